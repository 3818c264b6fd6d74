"""Every API request goes the same way: authenticate the bearer key (401), load its
organization, run the gates (:data:`~hub.api.call.API_GATES`), check the route's scope (403),
parse the query and body into the route's models (422), then, for a POST, hold the
``Idempotency-Key``, call the handler and serialize its answer, with an ETag on reads
(``If-None-Match`` -> 304)."""

from __future__ import annotations

import hashlib

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel
from pydantic_core import to_json

from hub.api.call import API_GATES, Answer, ApiCall
from hub.api.idempotency import once_per_key
from hub.api.parsing import parse_body, parse_query
from hub.api.table import ApiRoute
from hub.errors import HubError, status_for
from hub.request_body import read_body
from hub.routes import PUBLISH_QUEUE, RUNTIME
from postflow.api_keys import ApiKey
from postflow.errors import ConfigurationError, NotFound, PostFlowError, Unauthorized
from postflow.runtime import Runtime
from postflow.usecases.api_keys import authenticate_api_key

REALM = 'Bearer realm="PostFlow API"'
MAX_ID = 100


def handler_for(route: ApiRoute) -> Handler:
    """The aiohttp handler of ``route``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        rt = request.app[RUNTIME]
        key = await _authenticate(request, rt)
        org = await rt.store.get_organization(key.org_id)
        call = ApiCall(request=request, rt=rt, queue=request.app[PUBLISH_QUEUE], key=key,
                       org=org, body=None, query=None)
        try:
            return await _serve(route, call)
        except HubError as err:
            err.headers = {**call.response_headers, **err.headers}
            raise
        except PostFlowError as err:
            if not call.response_headers or isinstance(err, ConfigurationError):
                raise
            raise HubError(status_for(err), err.code, err.message, details=err.details,
                           headers=call.response_headers) from err

    handle.__name__ = route.operation_id
    return handle


async def _serve(route: ApiRoute, call: ApiCall) -> web.StreamResponse:
    for gate in call.request.app[API_GATES]:
        await gate(call)
    if not call.key.allows(route.scope):
        raise HubError(403, "insufficient_scope",
                       f"This API key lacks the `{route.scope.value}` scope this request needs.",
                       details={"needed_scope": route.scope.value,
                                "key_scopes": [s.value for s in call.key.scopes]},
                       headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", '
                                                    f'scope="{route.scope.value}"'})
    for name, value in call.request.match_info.items():
        # Ids are short ASCII; anything else (a lone surrogate from a byte that is not UTF-8
        # included) names nothing, and never reaches a store.
        if not (value.isascii() and value.isprintable() and len(value) <= MAX_ID):
            raise NotFound("There is nothing at this address.", details={name: "unknown"})
    if route.query is not None:
        call.query = parse_query(route.query, call.request)
    if route.method == "GET":
        return _render(await route.handler(call), call, call.request)
    settings = call.rt.settings
    raw = await read_body(call.request, settings.webhook_max_body_bytes,
                          settings.http_body_timeout_seconds)
    if route.body is not None:
        call.body = parse_body(route.body, raw)
    elif raw.strip():
        raise HubError(400, "unexpected_body", "This request takes no body.")

    async def respond() -> web.Response:
        return _render(await route.handler(call), call, None)

    if route.method == "POST":
        return await once_per_key(call.request, call.rt, call.org.id, raw, respond)
    return await respond()


async def _authenticate(request: web.Request, rt: Runtime) -> ApiKey:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send an API key: `Authorization: Bearer pf_...`.",
                               details={"reason": "missing_api_key"})
        return await authenticate_api_key(rt, token.strip())
    except Unauthorized as err:
        challenge = REALM if err.details.get("reason") == "missing_api_key" \
            else f'{REALM}, error="invalid_token"'
        raise HubError(401, err.code, err.message, details=err.details,
                       headers={"WWW-Authenticate": challenge}) from None


def _render(answer: Answer, call: ApiCall, read: web.Request | None) -> web.Response:
    """The answer as JSON; with ``read`` (a GET), tagged and checked against If-None-Match."""
    headers = {**call.response_headers, **answer.headers}
    if answer.body is None:
        body = b""
    elif isinstance(answer.body, bytes):
        body = answer.body
    elif isinstance(answer.body, BaseModel):
        body = answer.body.model_dump_json().encode()
    else:
        body = to_json(answer.body)
    if read is not None and answer.body is not None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers["ETag"] = etag
        headers["Cache-Control"] = "private, no-cache"
        if _matches(read.headers.get("If-None-Match"), etag):
            return web.Response(status=304, headers=headers)
    if answer.body is None:
        return web.Response(status=answer.status, headers=headers)
    return web.Response(body=body, status=answer.status, content_type="application/json",
                        headers=headers)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags
