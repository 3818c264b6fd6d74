"""What the fuzz of every route found (tests/security/test_unauthenticated_fuzz.py), pinned:
tokens, signatures and timestamps no honest client sends get a 4xx, never a 500 or a trace."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from composition.hub import build_hub
from hub.server import ServedApp, serve
from postflow.config import Settings
from postflow.runtime import Runtime
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import Broker, HubClient, RecordingQueue
from tests.security.every_surface import every_surface_settings
from tests.security.test_unauthenticated_fuzz import send

NON_ASCII = "%C3%A9"  # é
SUPERSCRIPT_TWO = "%C2%B2"  # ², a digit to str.isdigit, not to int()

client, queue, broker = hub_fixtures.client, hub_fixtures.queue, hub_fixtures.broker


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return every_surface_settings(tmp_path / "var")


@pytest.fixture
async def served(rt: Runtime) -> AsyncIterator[ServedApp]:
    hub = await serve(build_hub(rt, RecordingQueue(), Broker().ping), "127.0.0.1", 0,
                      access_log=False)
    try:
        yield hub
    finally:
        await hub.stop()


async def refused(client: HubClient, url: str, **kwargs: object) -> int:
    answer = await client.request(kwargs.pop("method", "GET"), url,  # type: ignore[arg-type]
                                  allow_redirects=False, **kwargs)  # type: ignore[arg-type]
    body = await answer.text()
    assert answer.status < 500, body
    assert "Traceback" not in body
    return answer.status


async def test_a_connect_link_with_a_non_ascii_signature(client: HubClient) -> None:
    assert await refused(client, f"/oauth/x/start?state=a.1.{NON_ASCII}") == 401


async def test_a_callback_with_a_non_ascii_state(client: HubClient) -> None:
    assert await refused(client, f"/oauth/x/callback?state=a.1.{NON_ASCII}&code=c") == 401


async def test_a_slack_install_callback_with_a_non_ascii_state(client: HubClient) -> None:
    assert await refused(client, f"/slack/oauth_redirect?state={SUPERSCRIPT_TWO}&code=c") \
        == 401


async def test_a_billing_link_with_a_non_ascii_signature(client: HubClient) -> None:
    body = base64.urlsafe_b64encode(json.dumps({"o": "org_x", "m": "mem_x", "e": 1}).encode()
                                    ).decode().rstrip("=")

    assert await refused(client, f"/billing?token={body}.{NON_ASCII}") == 401


async def test_a_media_link_whose_expiry_is_not_an_ascii_number(client: HubClient) -> None:
    assert await refused(client, f"/media/{'0' * 64}?exp={SUPERSCRIPT_TWO}&sig=ab") == 403


async def test_a_media_link_whose_expiry_has_thousands_of_digits(client: HubClient) -> None:
    assert await refused(client, f"/media/{'0' * 64}?exp={'9' * 5000}&sig=ab") == 403


async def test_a_form_post_that_is_not_a_form(client: HubClient) -> None:
    status = await refused(client, "/oauth/facebook/pages", method="POST", data=b"",
                           headers={"Content-Type": "multipart/form-data"})

    assert status == 400


# A raw socket: a client library would not send these headers as they are.
async def test_a_slack_timestamp_too_large_for_a_float(served: ServedApp) -> None:
    status, answer = await asyncio.to_thread(send, served.port, "POST", "/slack/events", [
        ("X-Slack-Request-Timestamp", "9" * 400), ("X-Slack-Signature", "v0=00")], b"{}")

    assert status == 401, answer


async def test_a_non_ascii_slack_signature(served: ServedApp, rt: Runtime) -> None:
    now = str(int(rt.clock.now().timestamp()))
    status, answer = await asyncio.to_thread(send, served.port, "POST", "/slack/events", [
        ("X-Slack-Request-Timestamp", now), ("X-Slack-Signature", "v0=é")], b"{}")

    assert status == 401, answer
