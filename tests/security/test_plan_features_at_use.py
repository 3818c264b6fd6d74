"""Item 14: plan features are checked when they are used, not only when something is made.

- A hook made on a plan with incoming hooks stops accepting posts once its organization moves
  to a plan without them, with a 402 naming the plan, and works again after an upgrade.
- An approval policy asking for more than one approval, set on a plan with multi-step approval,
  is not quietly weakened after a downgrade: asking for a review is refused with the plan named
  (fail closed), through a hook and in the core, and nothing is half done.
- (Recurring series were already checked at each occurrence, see recurring_posts.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.routes import RUNTIME
from postflow.approvals import ApprovalPolicy
from postflow.config import Settings
from postflow.connections import Connection
from postflow.errors import LimitReached
from postflow.organizations import Organization
from postflow.posts import PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.signatures import HEADER
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import change_plan
from postflow.usecases.reviews import request_review
from postflow.usecases.submit_post import PostRequest, submit_post
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

[[plans]]
key = "team"
name = "Team"
features = ["incoming_hooks", "multi_step_approval"]

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


# -- multi-step approval ---------------------------------------------------------------------

async def _two_approvals_then_downgrade(rt: Runtime, org: Organization) -> None:
    await change_plan(rt, org.id, "team", actor="test")
    await rt.store.save_approval_policy(org.id, "", ApprovalPolicy(quorum=2))


async def test_a_hook_with_review_refuses_posts_when_the_plan_lost_multi_step_approval(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await _two_approvals_then_downgrade(rt, org)
    sender.hook = await create_hook(rt, org.id, "Reviewed", actor="test", review_required=True)
    await change_plan(rt, org.id, "free", actor="test")

    response = await sender.post()

    assert response.status == 402
    error = (await response.json())["error"]
    assert "Free plan does not include multi step approval" in error["message"]
    assert error["details"]["upgrade_plan"] == "team"
    assert await rt.store.list_posts(org.id) == []


async def test_asking_for_a_review_is_refused_and_leaves_the_post_as_it_was(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    await change_plan(rt, org.id, "team", actor="test")
    post = await submit_post(rt, org.id, PostRequest(text="Launch", targets=[sandbox.id]),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)
    await rt.store.save_approval_policy(org.id, "", ApprovalPolicy(quorum=2))
    await change_plan(rt, org.id, "free", actor="test")

    with pytest.raises(LimitReached, match="Free plan does not include multi step approval"):
        await request_review(rt, post.id, org.id, requested_by="cli")

    after = await rt.store.get_post(org.id, post.id)
    assert after.status is post.status is PostStatus.SCHEDULED
    assert await rt.store.find_review_for_post(org.id, post.id) is None


async def test_one_approval_needs_no_plan_feature(sender: Sender, rt: Runtime,
                                                  org: Organization) -> None:
    sender.hook = await create_hook(rt, org.id, "Reviewed", actor="test", review_required=True)

    response = await sender.post()

    assert response.status == 202
    assert (await response.json())["status"] == "in_review"
