"""With ``POSTFLOW_METRICS_TOKEN`` set, /metrics needs that bearer token, from anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from postflow.config import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.hub.conftest import HubClient

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    metrics_token=TOKEN)  # type: ignore[arg-type]


async def test_without_the_token_metrics_are_401_even_from_loopback(client: HubClient) -> None:
    response = await client.get("/metrics")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_wrong_token_is_401(client: HubClient) -> None:
    response = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert response.status == 401


async def test_the_token_opens_the_metrics_behind_a_proxy_too(client: HubClient) -> None:
    response = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}",
                                                     "X-Forwarded-For": "203.0.113.9"})
    assert response.status == 200
    assert "postflow_http_requests_total" in await response.text()


@pytest.mark.parametrize("given", [TOKEN[:-1], TOKEN + "x", TOKEN.upper(), f"Basic {TOKEN}"])
async def test_a_near_miss_of_the_token_is_401(client: HubClient, given: str) -> None:
    header = given if given.startswith("Basic ") else f"Bearer {given}"
    response = await client.get("/metrics", headers={"Authorization": header})
    assert response.status == 401
    assert "postflow_" not in await response.text()
