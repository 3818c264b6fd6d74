"""The OpenAPI 3.1 document, built from the route table and the same pydantic models the
handlers validate with; served at ``GET /v1/openapi.json``.

The signed hook routes (``hub/routes/hooks.py``) are described here too, with their own
security scheme, so the document covers every ``/v1`` route the hub serves.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hub.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from hub.api.table import ApiRoute
from hub.api.views import ErrorEnvelope
from hub.hook_request import HookPostBody
from postflow import __version__
from postflow.api_keys import ApiScope

OPENAPI_PATH = "/v1/openapi.json"
REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{(\w+)}")

#: The refusals every authenticated operation may answer, with the cause each names.
ERRORS: dict[str, str] = {
    "401": "Missing, unknown or revoked API key (`WWW-Authenticate` says so).",
    "403": "The key lacks the scope (`insufficient_scope`), or the organization may not.",
    "404": "No such object in this key's organization.",
    "409": "A conflict: the object's state, or an `Idempotency-Key` reused.",
    "422": "The input is not valid; `details.errors` lists why.",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}

#: Each (model, mode)'s ``$ref`` in the document.
Refs = Mapping[tuple[Any, JsonSchemaMode], Any]


def _schema_keys(routes: tuple[ApiRoute, ...]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    keys: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorEnvelope, "serialization"),
                                                          (HookPostBody, "validation")]
    for route in routes:
        if route.body is not None:
            keys.append((route.body, "validation"))
        if route.response is not None:
            keys.append((route.response, "serialization"))
    return list(dict.fromkeys(keys))


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        description = prop.pop("description", "")
        prop.pop("title", None)
        params.append({"name": name, "in": "query", "required": name in required,
                       "description": description, "schema": prop})
    return params


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAM.findall(path)]


def _operation(route: ApiRoute, refs: Refs) -> dict[str, Any]:
    parameters = _path_parameters(route.path)
    if route.query is not None:
        parameters += _query_parameters(route.query)
    if route.method == "POST":
        parameters.append({"name": IDEMPOTENCY_HEADER, "in": "header", "required": False,
                           "description": "Replays the first answer for the same request; "
                                          "409 for another request.",
                           "schema": {"type": "string", "maxLength": 200}})
    if route.method == "GET":
        parameters.append({"name": "If-None-Match", "in": "header", "required": False,
                           "description": "An ETag of an earlier answer: 304 if unchanged.",
                           "schema": {"type": "string"}})
    success: dict[str, Any] = {"description": route.summary}
    if route.response is not None:
        success["content"] = {"application/json": {
            "schema": refs[(route.response, "serialization")]}}
    responses: dict[str, Any] = {str(route.status): success}
    if route.method == "GET":
        responses["304"] = {"description": "Not modified since the ETag in If-None-Match."}
    responses.update({code: {"$ref": "#/components/responses/Error"} for code in ERRORS})
    operation: dict[str, Any] = {
        "operationId": route.operation_id, "summary": route.summary,
        "description": (route.description + "\n\n" if route.description else "")
        + f"Needs the `{route.scope.value}` scope.",
        "tags": [route.tag], "security": [{"apiKey": []}],
        "x-required-scope": route.scope.value, "parameters": parameters,
        "responses": responses}
    if route.body is not None:
        operation["requestBody"] = {"required": route.method != "POST" or not _all_optional(
            route.body), "content": {"application/json": {
                "schema": refs[(route.body, "validation")]}}}
    return operation


def _all_optional(model: type[BaseModel]) -> bool:
    return not any(field.is_required() for field in model.model_fields.values())


def _signed_hook_paths(hook_body: Any) -> dict[str, Any]:
    hook_id = _path_parameters("/v1/hooks/{hook_id}")
    error = {code: {"$ref": "#/components/responses/Error"} for code in ("401", "404", "409",
                                                                      "422")}
    return {
        "/v1/hooks/{hook_id}": {"post": {
            "operationId": "post_to_hook", "summary": "Create a post through a signed hook",
            "description": "Signed with the hook's secret (`PostFlow-Signature: t=...,v1=...`), "
                           "not an API key; see docs/api.md.",
            "tags": ["hooks"], "security": [{"hookSignature": []}],
            "parameters": [*hook_id, {"name": IDEMPOTENCY_HEADER, "in": "header",
                                      "required": False, "schema": {"type": "string"}}],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": hook_body}}},
            "responses": {"202": {"description": "Accepted: the post, its status and a "
                                                 "status URL.",
                                  "content": {"application/json": {
                                      "schema": {"type": "object"}}}}, **error}}},
        "/v1/hooks/{hook_id}/posts/{post_id}": {"get": {
            "operationId": "get_hook_post", "summary": "Track a post created through a hook",
            "description": "Signed over the request path with the hook's secret.",
            "tags": ["hooks"], "security": [{"hookSignature": []}],
            "parameters": _path_parameters("/v1/hooks/{hook_id}/posts/{post_id}"),
            "responses": {"200": {"description": "The post's status, targets and attempts.",
                                  "content": {"application/json": {
                                      "schema": {"type": "object"}}}}, **error}}},
    }


def build_document(routes: tuple[ApiRoute, ...], base_url: str) -> dict[str, Any]:
    """The whole document for ``routes`` served at ``base_url``."""
    refs, top = models_json_schema(_schema_keys(routes), ref_template=REF)
    paths: dict[str, Any] = _signed_hook_paths(refs[(HookPostBody, "validation")])
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    paths[OPENAPI_PATH] = {"get": {
        "operationId": "get_openapi", "summary": "This document", "tags": ["meta"],
        "security": [], "responses": {"200": {"description": "OpenAPI 3.1",
                                              "content": {"application/json": {
                                                  "schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "PostFlow API", "version": __version__,
                 "description": "Schedule social posts. Authenticate with "
                                "`Authorization: Bearer pf_...`; scopes: "
                                + ", ".join(f"`{s.value}`" for s in ApiScope) + "."},
        "servers": [{"url": base_url}],
        "tags": [{"name": tag} for tag in dict.fromkeys(
            [*(r.tag for r in routes), "hooks", "meta"])],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "responses": {"Error": {"description": "The error envelope.", "content": {
                "application/json": {"schema": refs[(ErrorEnvelope, "serialization")]}}}},
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer",
                           "description": "An API key, `pf_...` (`postflow apikey create`)."},
                "hookSignature": {"type": "apiKey", "in": "header",
                                  "name": "PostFlow-Signature"},
            },
        },
    }



