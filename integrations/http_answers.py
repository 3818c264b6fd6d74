"""What every network's HTTP client shares: the answer it keeps of a call, and the two failures
that are the same everywhere (the network could not be reached; an answer PostFlow cannot read)
as :class:`~postflow.providers.ProviderError`. Each network's own answers are mapped in its
``errors.py``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

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


def transport_error(network: str, err: BaseException, *, sent: bool) -> ProviderError:
    """A network fault talking to ``network`` (its display name). ``sent``: the request may have
    reached the network and created a post, so the outcome is unknown rather than retryable."""
    if sent:
        return ProviderError(ErrorKind.UNKNOWN, f"The connection to {network} broke after the "
                             "post was sent; it may have been published.", raw=type(err).__name__)
    return ProviderError(ErrorKind.RETRY_AFTER, f"PostFlow could not reach {network}.",
                         retry_after=SERVER_ERROR_WAIT_SECONDS, raw=type(err).__name__)


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
