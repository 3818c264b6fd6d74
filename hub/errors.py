"""Every failure leaves the hub as ``{"error": {"code", "message", "details"}}``; mapped here once.

Core errors map by class: BadInput 422, Unauthorized 401, Forbidden 403, NotFound 404,
Conflict and InvalidTransition 409, ConfigurationError 500 (its operator-facing text goes to the
log, not to the caller). LimitReached is 402 Payment
Required: it differs from a 403 (a role that may never do this) in that upgrading the plan
lifts it, and ``details.upgrade_plan`` names the plan that does.

Anything unexpected is a 500 whose message only carries a reference (the ``X-Request-Id``
every response gets); the trace goes to the server log, never to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from postflow.errors import (
    BadInput,
    BillingUnavailable,
    ConfigurationError,
    Conflict,
    Forbidden,
    LimitReached,
    NotFound,
    PostFlowError,
    Unauthorized,
)
from postflow.ids import new_id

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = web.RequestKey("request_id", str)

#: Checked in order, so a subclass (InvalidTransition is a Conflict) takes its parent's status.
STATUS_BY_ERROR: tuple[tuple[type[PostFlowError], int], ...] = (
    (BadInput, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (LimitReached, 402),
    (ConfigurationError, 500),
    (BillingUnavailable, 503),
)


class HubError(Exception):
    """An HTTP-level refusal the core has no word for (body too large, malformed JSON...)."""

    def __init__(self, status: int, code: str, message: str, *,
                 details: dict[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = details or {}
        self.headers: dict[str, str] = dict(headers or {})


def error_response(status: int, code: str, message: str,
                   details: Mapping[str, Any] | None = None, *,
                   headers: Mapping[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "details": dict(details or {})}}
    return web.json_response(body, status=status, headers=headers)


def status_for(err: PostFlowError) -> int:
    for error_class, status in STATUS_BY_ERROR:
        if isinstance(err, error_class):
            return status
    return 500


def _http_exception_response(exc: web.HTTPException) -> web.Response:
    """aiohttp's own refusals (unknown route, wrong method) in the same shape as ours."""
    code = exc.reason.lower().replace(" ", "_").replace("-", "_")
    headers = None
    if isinstance(exc, web.HTTPMethodNotAllowed):
        message = (f"This address does not accept {exc.method}; "
                   f"it accepts {', '.join(sorted(exc.allowed_methods))}.")
        headers = {"Allow": exc.headers["Allow"]}
    elif exc.status == 404:
        message = "There is nothing at this address."
    else:
        message = exc.reason + "."
    return error_response(exc.status, code, message, headers=headers)


def _internal_error(request: web.Request, request_id: str, err: BaseException) -> web.Response:
    log.error("unhandled error on %s %s (request %s)", request.method, request.path, request_id,
              exc_info=err)
    return error_response(500, "internal",
                          f"Something went wrong on our side. Reference: {request_id}")


async def _to_response(request: web.Request, handler: Handler,
                       request_id: str) -> web.StreamResponse:
    try:
        return await handler(request)
    except HubError as err:
        return error_response(err.status, err.code, err.message, err.details,
                              headers=err.headers)
    except ConfigurationError as err:
        # Operator-facing text; the caller only needs to know it is not their fault.
        log.error("configuration error on %s %s (request %s): %s", request.method,
                  request.path, request_id, err.message)
        return error_response(500, err.code, "PostFlow is not configured correctly on the "
                              f"server. Reference: {request_id}")
    except PostFlowError as err:
        return error_response(status_for(err), err.code, err.message, err.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_exception_response(exc)
    except Exception as err:
        return _internal_error(request, request_id, err)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give each request an id, and turn whatever goes wrong into the one JSON error shape."""
    request_id = new_id("req")
    request[REQUEST_ID] = request_id
    try:
        response = await _to_response(request, handler, request_id)
    except web.HTTPException as exc:  # a redirect: pass it on, with the id
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    response.headers[REQUEST_ID_HEADER] = request_id
    return response
