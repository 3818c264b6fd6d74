"""``GET /v1/openapi.json``: a valid OpenAPI 3.1 document that lists exactly the /v1 routes the
hub serves, with the models the handlers validate with."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from openapi_spec_validator import OpenAPIV31SpecValidator

from hub.api.posts import PostCreate
from hub.api.routes import API_ROUTES
from tests.hub.conftest import HubClient


async def _document(client: HubClient) -> dict[str, Any]:
    response = await client.get("/v1/openapi.json")
    assert response.status == 200
    document: dict[str, Any] = await response.json()
    return document


async def test_the_document_is_valid_openapi_3_1(client: HubClient) -> None:
    document = await _document(client)

    assert document["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(document).validate()


async def test_every_served_v1_route_is_documented_and_every_documented_one_served(
        client: HubClient) -> None:
    app: web.Application = client.server.app  # type: ignore[assignment]
    served = {(route.method, resource.canonical)
              for resource in app.router.resources()
              if resource.canonical.startswith("/v1/")
              for route in resource if route.method != "HEAD"}
    documented = {(method.upper(), path)
                  for path, operations in (await _document(client))["paths"].items()
                  for method in operations}

    assert served == documented


async def test_operations_name_their_scope_and_the_models_handlers_validate_with(
        client: HubClient) -> None:
    document = await _document(client)
    create = document["paths"]["/v1/posts"]["post"]

    assert create["x-required-scope"] == "posts:write"
    assert create["security"] == [{"apiKey": []}]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["properties"]) == set(PostCreate.model_fields)
    assert schema["additionalProperties"] is False
    assert {p["name"] for p in document["paths"]["/v1/posts"]["get"]["parameters"]} >= {
        "limit", "cursor", "status", "network", "If-None-Match"}
    assert "201" in create["responses"]
    assert len(API_ROUTES) <= sum(len(ops) for ops in document["paths"].values())


async def test_the_document_is_public_and_tagged(client: HubClient) -> None:
    response = await client.get("/v1/openapi.json")
    again = await client.get("/v1/openapi.json",
                             headers={"If-None-Match": response.headers["ETag"]})

    assert again.status == 304
