"""What an API handler gets (:class:`ApiCall`) and returns (:class:`Answer`), and the gates
every authenticated request passes before its handler runs.

Gates: ``app[API_GATES]`` is a list of async callables, each given the call once the key is
authenticated and its organization loaded, before the scope check and the handler. A gate
refuses by raising (a :class:`~hub.errors.HubError`, or a core error such as Forbidden) and may
add headers to the answer through ``call.response_headers`` (rate-limit headers). This is the
place for a suspended-organization check and per-key rate limits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from postflow.api_keys import ApiKey
from postflow.organizations import Organization
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class ApiCall:
    """One authenticated request: who calls (``key``, ``org``), its parsed parts."""

    request: web.Request
    rt: Runtime
    queue: PublishQueue
    key: ApiKey
    org: Organization
    body: BaseModel | None
    query: BaseModel | None
    #: Added to the answer (also to a refusal raised after the gates ran).
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def actor(self) -> str:
        """The audit log's name for this caller."""
        return f"api_key:{self.key.id}"

    def path(self, name: str) -> str:
        return self.request.match_info[name]

    def body_as(self, model: type[ModelT]) -> ModelT:
        """The parsed body, as the route table's request model said."""
        if not isinstance(self.body, model):
            raise TypeError(f"the route's body is not a {model.__name__}")
        return self.body

    def query_as(self, model: type[ModelT]) -> ModelT:
        if not isinstance(self.query, model):
            raise TypeError(f"the route's query is not a {model.__name__}")
        return self.query


@dataclass(frozen=True)
class Answer:
    """A handler's answer: a model to serialize (None: no body), a status and headers.

    A hot list may answer a plain dict shaped like its model, or that JSON already serialized
    (see ``hub/api/views.py``'s ``post_view``); the route table still names the model."""

    body: BaseModel | dict[str, Any] | bytes | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


ApiGate = Callable[[ApiCall], Awaitable[None]]

#: The gates of this app, run in order; empty unless a feature adds one.
API_GATES = web.AppKey("api_gates", list[ApiGate])
