"""Item 14: plan features are checked when they are used, not only when something is made: a
hook made on a plan with incoming hooks stops accepting posts once its organization moves to a
plan without them, with a 402 naming the plan, and works again after an upgrade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.routes import RUNTIME
from postflow.config import Settings
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.signatures import HEADER
from tests.conftest import TEST_SECRET_KEY
from tests.hub.conftest import Sender
from tests.security.hook_fixtures import *  # noqa: F403

PLANS = """\
default = "free"

[[plans]]
key = "basic"
name = "Basic"
features = []

[plans.limits]

[[plans]]
key = "free"
name = "Free"
features = ["incoming_hooks"]

[plans.limits]
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS, encoding="utf-8")
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", plans_file=plans)


async def _move_to(sender: Sender, org: Organization, plan: str) -> None:
    """Change the plan through the hub's own runtime (its read cache sees the change at once;
    a change made by another process is seen within the cache's two seconds)."""
    store = sender.client.app[RUNTIME].store
    current = await store.get_organization(org.id)
    await store.update_organization(current.model_copy(update={"plan": plan}))


async def test_a_downgraded_organizations_hook_refuses_posts_naming_the_plan(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await _move_to(sender, org, "basic")

    response = await sender.post()

    assert response.status == 402
    error = (await response.json())["error"]
    assert error["code"] == "limit_reached"
    assert "Basic plan does not include incoming hooks" in error["message"]
    assert error["details"]["plan"] == "basic"
    assert error["details"]["upgrade_plan"] == "free"
    assert await rt.store.list_posts(org.id) == []


async def test_a_stranger_learns_nothing_about_the_plan(sender: Sender, rt: Runtime,
                                                        org: Organization) -> None:
    await _move_to(sender, org, "basic")

    response = await sender.post(secret="whsec_not_the_secret")

    assert response.status == 401
    assert "plan" not in await response.text()


async def test_the_refused_request_goes_through_after_an_upgrade(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    raw = json.dumps(sender.body()).encode()
    headers = {"Content-Type": "application/json", HEADER: sender.sign(raw)}
    path = f"/v1/hooks/{sender.hook.hook.id}"
    await _move_to(sender, org, "basic")
    assert (await sender.client.post(path, data=raw, headers=headers)).status == 402

    await _move_to(sender, org, "free")

    assert (await sender.client.post(path, data=raw, headers=headers)).status == 202
    assert len(await rt.store.list_posts(org.id)) == 1
