"""A text over its network's hard cap (code points, far above the network's own limit) is refused
before any provider counts it: a 422 through the hub naming the cap and the network, a BadInput
from submit_post, the cap in the chat composer's live count, and nothing is created.

The caps are the documented ones (docs/networks.md); the providers' validate is replaced by a
recorder that must never be called, which is what "before counting" means.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from composition.hub import build_hub
from postflow.chatops.callers import resolve_member
from postflow.chatops.compose import ComposerState, composer_choices, network_counts
from postflow.config import Settings
from postflow.connections import Connection
from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.posts import PostSource
from postflow.providers import ConnectedAccount, PublishContent, TokenSet, ValidationReport
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import Broker, RecordingQueue, Sender, error_code, no_posts
from tests.postflow.chatops import conftest as chatops_fixtures

SANDBOX_CAP = 50_000
X_CAP = 4_096


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The test settings with an X app configured, so an organization can have an X account."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080",
                    x_client_id="cap-test", x_client_secret=SecretStr("cap-test-secret"))


class NeverCalled:
    """Stands in for a provider's ``validate``: any call is a failure of the cap."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, content: PublishContent) -> ValidationReport:
        self.calls.append(len(content.text))
        raise AssertionError(f"validate was called with a {len(content.text)}-character text")


# The hub's organization and sandbox account (tests/hub/conftest.py), for this folder too.
org = hub_fixtures.org
sandbox = hub_fixtures.sandbox


@pytest.fixture
async def sender(rt: Runtime, clock: ManualClock, org: Organization,
                 sandbox: Connection) -> AsyncIterator[Sender]:
    """Signed requests to a hook of the organization, through the real hub app."""
    hook = await create_hook(rt, org.id, "CI releases", actor="test")
    app = build_hub(rt, RecordingQueue(), Broker().ping)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Sender(client, clock, hook, sandbox)


@pytest.fixture
def sandbox_validate(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> NeverCalled:
    recorder = NeverCalled()
    monkeypatch.setattr(rt.providers.get("sandbox"), "validate", recorder)
    return recorder


@pytest.fixture
async def x_account(rt: Runtime, org: Organization) -> Connection:
    account = ConnectedAccount(account_id="x-1", display_name="acme",
                               tokens=TokenSet(access_token=SecretStr("x-token")))
    return await add_connection(rt, org.id, "x", account, actor="test")


async def test_hub_refuses_a_text_over_the_cap_with_422_naming_cap_and_network(
        sender: Sender, rt: Runtime, org: Organization,
        sandbox_validate: NeverCalled) -> None:
    response = await sender.post(sender.body(text="a" * (SANDBOX_CAP + 1)))

    assert response.status == 422
    assert await error_code(response) == "bad_input"
    body: dict[str, Any] = (await response.json())["error"]
    assert "50,000" in body["message"] and "Sandbox" in body["message"]
    assert body["details"]["problems"]["sandbox"][0]["code"] == "over_cap"
    assert sandbox_validate.calls == []
    assert await no_posts(rt, org)


async def test_hub_accepts_a_text_at_the_cap_as_far_as_the_cap_goes(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(sender.body(text="a" * SANDBOX_CAP))

    # The sandbox's own limit (5,000) refuses it, in its own words: the cap let it through.
    assert response.status == 422
    assert "5000" in (await response.json())["error"]["message"]


async def test_submit_refuses_an_x_text_over_the_cap_before_counting(
        rt: Runtime, org: Organization, x_account: Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = NeverCalled()
    monkeypatch.setattr(rt.providers.get("x"), "validate", recorder)

    with pytest.raises(BadInput) as refused:
        await submit_post(rt, org.id, PostRequest(text="a." * X_CAP, targets=[x_account.id]),
                          source=PostSource(kind="cli"), actor="test", review_required=False)

    assert "4,096" in refused.value.message and "X" in refused.value.message
    assert recorder.calls == []
    assert await rt.store.list_posts(org.id) == []


async def test_a_variant_over_its_network_cap_is_refused(
        rt: Runtime, org: Organization, x_account: Connection, sandbox: Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt.providers.get("x"), "validate", NeverCalled())

    with pytest.raises(BadInput) as refused:
        await submit_post(rt, org.id, PostRequest(
            text="short", variants={"x": "b" * (X_CAP + 1)},
            targets=[x_account.id, sandbox.id]),
            source=PostSource(kind="cli"), actor="test", review_required=False)

    assert refused.value.details["problems"]["x"][0]["code"] == "over_cap"


async def test_the_main_text_is_capped_even_when_every_network_has_a_variant(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    with pytest.raises(BadInput) as refused:
        await submit_post(rt, org.id, PostRequest(
            text="c" * 65_537, variants={"sandbox": "short"}, targets=[sandbox.id]),
            source=PostSource(kind="cli"), actor="test", review_required=False)

    assert "65,536" in refused.value.message
    assert await rt.store.list_posts(org.id) == []

# The chat-ops team (tests/postflow/chatops/conftest.py): an organization with a Slack workspace.
team = chatops_fixtures.team


async def test_the_composers_live_count_reports_the_cap_without_counting(
        rt: Runtime, team: chatops_fixtures.Team, monkeypatch: pytest.MonkeyPatch) -> None:
    await connect_sandbox(rt, team.org.id, "acme", actor="test")
    monkeypatch.setattr(rt.providers.get("sandbox"), "validate", NeverCalled())
    choices = await composer_choices(rt, await resolve_member(rt, team.admin), "UTC")

    [count] = network_counts(rt, choices, ComposerState(text="a" * (SANDBOX_CAP + 1)))

    assert count.network == "sandbox" and count.limit == SANDBOX_CAP
    assert "50,000" in count.problems[0]
