"""Past due keeps the paid plan through the grace period (Owners told), then the organization
falls to the free plan: accounts over its limit are paused and posts over its quota wait, with
nothing deleted; paying again resumes them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postflow.connections import Connection
from postflow.errors import LimitReached
from postflow.notices.events import GraceEnding, PaymentFailed, PlanChanged
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.billing.grace import check_billing_grace
from postflow.usecases.billing.plan_enforcement import (
    HOLD_PAUSED_ACCOUNT,
    HOLD_QUOTA,
    release_quota_holds,
)
from postflow.usecases.connections import connect_sandbox, disconnect_connection
from postflow.usecases.dispatch import dispatch_due_posts
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.recording_queue import RecordingQueue
from tests.fakes.stripe_api import FakeStripe
from tests.postflow.usecases.billing.conftest import NoticeLog, deliver_all, subscribe

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def early_month(clock: ManualClock) -> ManualClock:
    """Early in a month, so the grace period ends in the same quota month."""
    clock.set(START)
    return clock


async def accounts(rt: Runtime, org: Organization, count: int,
                   clock: ManualClock) -> list[Connection]:
    """``count`` accounts connected a second apart (the newest are paused first)."""
    connected = []
    for n in range(1, count + 1):
        clock.advance(1)
        connected.append(await connect_sandbox(rt, org.id, f"account{n}", actor="test"))
    return connected


async def post_to(rt: Runtime, org: Organization, connection: Connection, day: int) -> Post:
    return await submit_post(rt, org.id, PostRequest(
        text=f"Post for day {day}", targets=[connection.id],
        schedule_at=START + timedelta(days=day)), source=PostSource(kind="cli"), actor="test",
        review_required=False)


async def fall_due(rt: Runtime, stripe: FakeStripe, status: str) -> None:
    start = len(stripe.emitted)
    await stripe.set_status(stripe.latest_subscription()["id"], status,
                            invoice_status="open" if status == "past_due" else "paid")
    await deliver_all(rt, stripe, start)


async def test_past_due_keeps_the_paid_plan_and_tells_the_owners_until_when(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog,
        early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "business")

    await fall_due(rt, stripe, "past_due")

    after = await rt.store.get_organization(org.id)
    assert after.plan == "business"
    assert after.billing.grace_until == START + timedelta(days=7)
    [failed] = [n for n in notices.said if isinstance(n, PaymentFailed)]
    assert failed.grace_until == START + timedelta(days=7)


async def test_owners_are_warned_once_a_day_before_the_grace_period_ends(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog,
        early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "business")
    await fall_due(rt, stripe, "past_due")

    early_month.advance(5 * 86400)
    await check_billing_grace(rt)
    early_month.advance(int(1.5 * 86400))
    await check_billing_grace(rt)
    await check_billing_grace(rt)

    assert [type(n) for n in notices.said].count(GraceEnding) == 1
    assert (await rt.store.get_organization(org.id)).plan == "business"


async def test_when_the_grace_period_ends_accounts_pause_and_posts_wait_and_nothing_is_deleted(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog,
        early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    a1, _, _, a4 = await accounts(rt, org, 4, early_month)
    posts = [await post_to(rt, org, a1, day) for day in (20, 21, 22, 23)]
    to_paused = await post_to(rt, org, a4, 24)
    await fall_due(rt, stripe, "past_due")

    early_month.advance(7 * 86400 + 60)
    assert await check_billing_grace(rt) == 1

    after = await rt.store.get_organization(org.id)
    assert after.plan == "free"
    connections = await rt.store.list_connections(org.id)
    assert [c.paused_by_plan for c in connections] == [False, False, True, True]
    held = {p.id: p for p in await rt.store.list_posts(org.id, [PostStatus.SCHEDULED])}
    assert len(held) == 5  # nothing deleted, every post still Scheduled
    assert held[to_paused.id].plan_hold == HOLD_PAUSED_ACCOUNT
    # Five posts this month on a plan of three: the latest two wait (one for its account).
    assert held[posts[3].id].plan_hold == HOLD_QUOTA
    assert "over the Free plan's 3 scheduled posts" in held[posts[3].id].status_reason
    assert held[posts[3].id].due_at is None
    assert [held[p.id].plan_hold for p in posts[:3]] == [None, None, None]
    [changed] = [n for n in notices.said if isinstance(n, PlanChanged)][-1:]
    assert changed.paused == ("account3 (sandbox)", "account4 (sandbox)")
    assert changed.held_posts == 2


async def test_held_posts_are_not_dispatched_when_their_time_comes(
        rt: Runtime, stripe: FakeStripe, org: Organization, early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    a1, _, a3 = await accounts(rt, org, 3, early_month)
    await post_to(rt, org, a1, 10)
    await post_to(rt, org, a3, 10)
    await fall_due(rt, stripe, "unpaid")

    early_month.advance(10 * 86400 + 60)
    queue = RecordingQueue()
    await dispatch_due_posts(rt, queue)

    assert len(queue.jobs) == 1  # the post to the paused account waits


async def test_a_paused_account_takes_no_new_posts(
        rt: Runtime, stripe: FakeStripe, org: Organization, early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    *_, a3 = await accounts(rt, org, 3, early_month)
    await fall_due(rt, stripe, "canceled")

    with pytest.raises(LimitReached, match="paused"):
        await post_to(rt, org, a3, 3)


async def test_paying_again_resumes_accounts_and_releases_posts_at_their_time(
        rt: Runtime, stripe: FakeStripe, org: Organization, notices: NoticeLog,
        early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    a1, _, a3 = await accounts(rt, org, 3, early_month)
    for day in (20, 21, 22):
        await post_to(rt, org, a1, day)
    waiting = await post_to(rt, org, a3, 23)
    await fall_due(rt, stripe, "unpaid")
    assert (await rt.store.get_post(org.id, waiting.id)).plan_hold is not None

    await fall_due(rt, stripe, "active")

    assert (await rt.store.get_organization(org.id)).plan == "pro"
    assert not any(c.paused_by_plan for c in await rt.store.list_connections(org.id))
    released = await rt.store.get_post(org.id, waiting.id)
    assert released.plan_hold is None and released.status_reason == ""
    assert released.due_at == waiting.scheduled_at
    assert notices.said[-1] == PlanChanged(
        organization_id=org.id, plan_name="Pro", old_plan_name="Free",
        reason="the subscription is active", resumed=("account3 (sandbox)",))


async def test_disconnecting_an_account_resumes_a_paused_one(
        rt: Runtime, stripe: FakeStripe, org: Organization, early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    a1, _, a3 = await accounts(rt, org, 3, early_month)
    await fall_due(rt, stripe, "canceled")

    await disconnect_connection(rt, org.id, a1.id, actor="test")

    assert not (await rt.store.get_connection(org.id, a3.id)).paused_by_plan


async def test_posts_held_for_a_months_quota_go_in_the_next_month(
        rt: Runtime, stripe: FakeStripe, org: Organization, early_month: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    a1, = await accounts(rt, org, 1, early_month)
    posts = [await post_to(rt, org, a1, day) for day in (40, 41, 42, 43)]
    await fall_due(rt, stripe, "canceled")
    assert (await rt.store.get_post(org.id, posts[3].id)).plan_hold == HOLD_QUOTA
    assert await release_quota_holds(rt) == 0  # still this month

    early_month.set(datetime(2026, 12, 1, 0, 0, 1, tzinfo=UTC))

    assert await release_quota_holds(rt) == 1
    released = await rt.store.get_post(org.id, posts[3].id)
    assert released.plan_hold is None and released.due_at == posts[3].scheduled_at
