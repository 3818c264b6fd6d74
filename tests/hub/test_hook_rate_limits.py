"""Incoming hooks are limited per hook and per organization, at the plan's rates: over a
limit the answer is 429 with Retry-After and the RateLimit fields, and nothing is done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from postflow.config import Settings
from postflow.organizations import Organization
from postflow.plans import DEFAULT_PLANS, PlanRateLimits
from postflow.runtime import Runtime
from postflow.usecases.hooks import create_hook
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Sender, error_code, no_posts

#: Three requests a minute per hook, five per organization, and no monthly post cap.
PLANS = """\
default = "free"

[[plans]]
key = "free"
name = "Free"
features = ["incoming_hooks"]

[plans.limits]

[plans.rate_limits]
hook = 3
organization = 5
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS, encoding="utf-8")
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", plans_file=plans)


async def test_the_request_over_the_hooks_rate_is_429_with_the_rate_fields(
        sender: Sender) -> None:
    for n in range(3):
        assert (await sender.post(sender.body(text=f"post {n}"))).status == 202
    response = await sender.post()
    assert response.status == 429
    assert await error_code(response) == "rate_limited"
    assert response.headers["Retry-After"] == "20"
    assert response.headers["RateLimit-Policy"] == '"hook";q=3;w=60'
    assert response.headers["RateLimit"] == '"hook";r=0;t=60'


async def test_a_refused_request_creates_nothing_and_can_be_sent_again(
        sender: Sender, rt: Runtime, org: Organization, clock: ManualClock) -> None:
    for n in range(3):
        await sender.post(sender.body(text=f"post {n}"))
    before = len(await rt.store.list_posts(org.id))
    refused_body = sender.body(text="the one refused")
    signed_at = int(clock.now().timestamp())
    assert (await sender.post(refused_body, timestamp=signed_at)).status == 429
    assert len(await rt.store.list_posts(org.id)) == before
    clock.advance(20)
    # The very same signed request: its signature was not recorded as seen, so no 409 replay.
    retried = await sender.post(refused_body, timestamp=signed_at)
    assert retried.status == 202


async def test_an_accepted_request_carries_its_budget(sender: Sender) -> None:
    response = await sender.post()
    assert response.status == 202
    assert response.headers["RateLimit-Policy"] == ('"hook";q=3;w=60, '
                                                    '"organization";q=5;w=60')
    assert response.headers["RateLimit"] == '"hook";r=2;t=20, "organization";r=4;t=12'


async def test_the_organizations_rate_covers_all_its_hooks(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    other = await create_hook(rt, org.id, "CMS", actor="test")
    for n in range(3):
        assert (await sender.post(sender.body(text=f"post {n}"))).status == 202
    answers = []
    for n in range(3):
        raw = json.dumps(sender.body(text=f"other {n}")).encode()
        answers.append(await sender.post(raw, hook_id=other.hook.id,
                                         signature=sender.sign(raw, secret=other.secret)))
    assert [a.status for a in answers] == [202, 202, 429]
    assert answers[2].headers["RateLimit-Policy"].endswith('"organization";q=5;w=60')


async def test_an_unsigned_request_spends_none_of_the_hooks_budget(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    for _ in range(10):
        assert (await sender.post(unsigned=True)).status == 401
    assert await no_posts(rt, org)
    assert (await sender.post()).status == 202


async def test_status_reads_count_against_the_hook(sender: Sender) -> None:
    created = await (await sender.post()).json()
    path = f"/v1/hooks/{sender.hook.hook.id}/posts/{created['post_id']}"
    assert (await sender.get(path)).status == 200
    assert (await sender.get(path)).status == 200
    assert (await sender.get(path)).status == 429


def test_the_free_plan_allows_60_a_minute_per_key_and_per_hook() -> None:
    free = DEFAULT_PLANS.get("free").rate_limits
    assert (free.api_key, free.hook) == (60, 60)



async def test_a_plan_without_rate_limits_leaves_requests_unlimited(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    # This test's own catalog (read from its plans file): its plan loses its rate limits.
    rt.plans.plans[0] = rt.plans.get("free").model_copy(update={"rate_limits": PlanRateLimits()})
    response = await sender.post()
    assert response.status == 202
    assert "RateLimit" not in response.headers
