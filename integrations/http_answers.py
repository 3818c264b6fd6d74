"""What every network's HTTP client shares: the answer it keeps of a call, and the two failures
that are the same everywhere (the network could not be reached; an answer PostFlow cannot read)
as :class:`~postflow.providers.ProviderError`. Each network's own answers are mapped in its
``errors.py``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from pydantic import BaseModel, ValidationError

from integrations.http_session import http_session
from postflow.providers import ErrorKind, ProviderError

ModelT = TypeVar("ModelT", bound=BaseModel)

#: How long to wait after a network fault, a 5xx or an unreadable answer before trying again.
SERVER_ERROR_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body text, and headers with lower-case names."""

    status: int
    body: str
    headers: dict[str, str]


async def call(network: str, method: str, url: str, *, timeout_seconds: float,
               creates: bool = False, **request: Any) -> Answer:
    """One request to ``network`` (its display name) over the shared session, kept as an
    :class:`Answer`; ``request`` goes to :meth:`aiohttp.ClientSession.request` (headers, params,
    data, json). A fault before the request left is retryable; one after it is an unknown outcome
    when the request ``creates`` something (:func:`transport_error`)."""
    session = await http_session()
    try:
        async with session.request(method, url, timeout=aiohttp.ClientTimeout(
                total=timeout_seconds), **request) as response:
            return Answer(response.status, await response.text(),
                          {k.lower(): v for k, v in response.headers.items()})
    except aiohttp.ClientConnectorError as err:  # never reached the network
        raise transport_error(network, err, sent=False) from None
    except (aiohttp.ClientError, TimeoutError) as err:
        raise transport_error(network, err, sent=creates) from None


def transport_error(network: str, err: BaseException, *, sent: bool) -> ProviderError:
    """A network fault talking to ``network`` (its display name). ``sent``: the request may have
    reached the network and created a post, so the outcome is unknown rather than retryable."""
    if sent:
        return ProviderError(ErrorKind.UNKNOWN, f"The connection to {network} broke after the "
                             "post was sent; it may have been published.", raw=type(err).__name__)
    return ProviderError(ErrorKind.RETRY_AFTER, f"PostFlow could not reach {network}.",
                         retry_after=SERVER_ERROR_WAIT_SECONDS, raw=type(err).__name__)


def status_error(network: str, status: int, *, detail: str = "", code: str | None,
                 raw: str | None, created_something: bool) -> ProviderError:
    """What is left of an HTTP error status once a network's own cases are handled: a 4xx
    other than 429 refuses the post; a 5xx after the request may have created something is an
    unknown outcome (503 excepted: the request was not taken); anything else is retried."""
    if 400 <= status < 500 and status != 429:
        return ProviderError(ErrorKind.BAD_INPUT, f"{network} refused this post"
                             + (f": {detail}" if detail else f" (HTTP {status})."),
                             platform_code=code, raw=raw)
    if created_something and status >= 500 and status != 503:
        return ProviderError(ErrorKind.UNKNOWN,
                             f"{network} failed (HTTP {status}) after receiving the post; it may "
                             "have been published.", platform_code=code, raw=raw)
    return ProviderError(ErrorKind.RETRY_AFTER, f"{network} is having trouble (HTTP {status}).",
                         retry_after=SERVER_ERROR_WAIT_SECONDS, platform_code=code, raw=raw)


def parse_answer(model: type[ModelT], body: str, what: str) -> ModelT:
    """``body`` read as ``model``; an answer of another shape is retried later. The body is never
    kept: token answers and account lists hold secrets."""
    try:
        return model.model_validate_json(body)
    except ValidationError:
        raise ProviderError(ErrorKind.RETRY_AFTER, f"{what} was not what PostFlow expected.",
                            retry_after=SERVER_ERROR_WAIT_SECONDS) from None


def json_object(body: str) -> dict[str, Any]:
    """``body`` as a JSON object; ``{}`` when it is not one (an HTML error page, say)."""
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def first_text(data: dict[str, Any], *keys: str) -> str:
    """The first non-empty string among ``data[key]`` for ``keys``, or ``""``."""
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def oauth_error_code(body: str) -> str:
    """The ``error`` of an OAuth 2.0 error answer (RFC 6749 §5.2), or ``""``."""
    return str(json_object(body).get("error", ""))
