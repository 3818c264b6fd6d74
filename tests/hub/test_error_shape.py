"""One JSON error shape for everything, a request id on every answer, no leaked internals."""

from __future__ import annotations

import logging

import pytest

from hub.errors import status_for
from hub.routes import hooks as hook_routes
from postflow.errors import (
    BadInput,
    ConfigurationError,
    Conflict,
    Forbidden,
    InvalidTransition,
    LimitReached,
    NotFound,
    PostFlowError,
    Unauthorized,
)
from tests.hub.conftest import HubClient, Sender, error_code


async def test_unexpected_error_is_a_generic_500_with_a_reference(
        sender: Sender, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret-xyz")

    monkeypatch.setattr(hook_routes, "submit_post", crash)
    with caplog.at_level(logging.ERROR, logger="hub.errors"):
        response = await sender.post()
    assert response.status == 500
    body = await response.json()
    request_id = response.headers["X-Request-Id"]
    assert body == {"error": {"code": "internal", "details": {},
                              "message": "Something went wrong on our side. "
                                         f"Reference: {request_id}"}}
    assert "secret-xyz" not in await response.text()
    assert "Traceback" not in await response.text()
    # The operator gets the whole story in the log, under the same reference.
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)


async def test_unknown_route_is_a_json_404(client: HubClient) -> None:
    response = await client.get("/no/such/page")
    assert response.status == 404
    assert await error_code(response) == "not_found"
    assert response.headers["X-Request-Id"]


async def test_wrong_method_is_a_json_405_with_allow(client: HubClient) -> None:
    response = await client.delete("/healthz")
    assert response.status == 405
    assert await error_code(response) == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


async def test_every_answer_has_its_own_request_id(client: HubClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


@pytest.mark.parametrize(("error", "status"), [
    (BadInput("x"), 422), (Unauthorized("x"), 401), (Forbidden("x"), 403),
    (NotFound("x"), 404), (Conflict("x"), 409), (InvalidTransition("x"), 409),
    (LimitReached("x"), 402), (ConfigurationError("x"), 500), (PostFlowError("x"), 500)])
def test_core_errors_map_to_one_status_each(error: PostFlowError, status: int) -> None:
    assert status_for(error) == status


async def test_configuration_error_is_a_500_without_its_text(
        sender: Sender, monkeypatch: pytest.MonkeyPatch) -> None:
    async def misconfigured(*args: object, **kwargs: object) -> None:
        raise ConfigurationError("POSTFLOW_SECRET_KEY must be set on db.internal:27017")

    monkeypatch.setattr(hook_routes, "submit_post", misconfigured)
    response = await sender.post()
    assert response.status == 500
    assert await error_code(response) == "configuration_error"
    assert "db.internal" not in await response.text()
