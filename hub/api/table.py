"""The route table: one :class:`ApiRoute` per operation holds everything both the server and
the OpenAPI document need (method, path, scope, models, status, summary)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from hub.api.call import Answer, ApiCall
from postflow.api_keys import ApiScope

ApiHandler = Callable[[ApiCall], Awaitable[Answer]]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    #: aiohttp's and OpenAPI's shared syntax: ``/v1/posts/{post_id}``.
    path: str
    handler: ApiHandler
    scope: ApiScope
    summary: str
    #: The success answer's model (None: no body) and status.
    response: type[BaseModel] | None
    status: int = 200
    #: The JSON body's model (validated strictly) and the query string's.
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    #: The OpenAPI tag (a resource name); the docs group operations by it.
    tag: str = ""
    description: str = ""

    @property
    def operation_id(self) -> str:
        return self.handler.__name__
