"""Keeping an organization's accounts and posts within its plan, deleting nothing.

After a plan change (either way) :func:`enforce_plan` pauses the connected accounts over the
plan's limit (the newest first; their posts wait) and holds back the Scheduled posts over this
month's quota (the latest first), each with a reason people can read; whatever the plan allows
again is resumed. Held posts keep their status (Scheduled) and time; only ``due_at`` is cleared
while held, so the scheduler does not pick them, and set back when released (a post whose time
passed meanwhile is then marked Late for a person to decide, as any other).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from postflow.billing.lifecycle import addon_lifts_cap
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import Conflict
from postflow.organizations import Organization
from postflow.plans import Limit, Plan
from postflow.post_status import revise
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event, record
from postflow.usecases.submit_post import usage_period

log = logging.getLogger(__name__)

#: Why a post is held (``Post.plan_hold``).
HOLD_QUOTA = "quota"
HOLD_PAUSED_ACCOUNT = "paused_account"
#: Scheduled posts looked at per pass: more than any plan's monthly quota in practice.
MAX_POSTS = 10_000


@dataclass(frozen=True)
class Enforcement:
    """What one pass changed (names of accounts; post counts)."""

    paused: tuple[str, ...] = ()
    resumed: tuple[str, ...] = ()
    held: int = 0
    released: int = 0
    #: Posts held after the pass, for whatever reason.
    waiting: int = 0


def account_name(connection: Connection) -> str:
    return f"{connection.display_name} ({connection.network})"


async def enforce_plan(rt: Runtime, org: Organization, *, actor: str) -> Enforcement:
    """Pause and hold what ``org``'s plan no longer allows; resume and release what it does."""
    plan = rt.plans.get(org.plan)
    paused, resumed, paused_ids = await _pause_accounts(rt, org, plan, actor=actor)
    held, released, waiting = await _hold_posts(rt, org, plan, paused_ids, actor=actor)
    return Enforcement(paused=paused, resumed=resumed, held=held, released=released,
                       waiting=waiting)


async def _pause_accounts(rt: Runtime, org: Organization, plan: Plan, *,
                          actor: str) -> tuple[tuple[str, ...], tuple[str, ...], set[str]]:
    cap = plan.limits.get(Limit.CONNECTED_ACCOUNTS)
    counted = [c for c in await rt.store.list_connections(org.id)
               if c.status is not ConnectionStatus.DISCONNECTED]  # oldest first
    allowed = len(counted) if cap is None or addon_lifts_cap(plan, org.billing) else cap
    paused: list[str] = []
    resumed: list[str] = []
    for index, connection in enumerate(counted):
        pause = index >= allowed
        if connection.paused_by_plan == pause:
            continue
        await rt.store.update_connection(connection.model_copy(update={
            "paused_by_plan": pause, "updated_at": rt.clock.now()}))
        await record(rt, org.id, actor,
                     "connection.paused" if pause else "connection.resumed", connection.id,
                     plan=plan.key)
        (paused if pause else resumed).append(account_name(connection))
    paused_ids = {c.id for index, c in enumerate(counted) if index >= allowed}
    return tuple(paused), tuple(resumed), paused_ids


async def _hold_posts(rt: Runtime, org: Organization, plan: Plan, paused_ids: set[str], *,
                      actor: str) -> tuple[int, int, int]:
    now = rt.clock.now()
    posts = await rt.store.list_posts(org.id, [PostStatus.SCHEDULED], limit=MAX_POSTS)
    period = usage_period(now)
    cap = plan.limits.get(Limit.SCHEDULED_POSTS_PER_MONTH)
    over = 0
    if cap is not None:
        over = max(0, await rt.store.get_usage(
            org.id, Limit.SCHEDULED_POSTS_PER_MONTH.value, period) - cap)
    this_month = sorted((p for p in posts if usage_period(p.created_at) == period),
                        key=lambda p: (p.scheduled_at or p.created_at, p.id))
    over_quota = {p.id for p in this_month[len(this_month) - over:]} if over else set()
    held = released = waiting = 0
    for post in posts:
        hold, reason = _hold_for(post, paused_ids, over_quota, plan, cap)
        if hold is not None:
            waiting += 1
        if hold == post.plan_hold:
            continue
        changed = _held(post, hold, reason, now) if hold else _released(post, now)
        try:
            await rt.store.replace_post(changed, expected_version=post.version, audit=[
                audit_event(rt, org.id, actor, "post.plan_hold" if hold else "post.plan_release",
                            post.id, reason=hold or post.plan_hold or "")])
        except Conflict:  # changed meanwhile (edited, claimed): the next pass looks again
            log.info("post %s changed while its plan hold was set; left as it is", post.id)
            continue
        if hold:
            held += 1
        else:
            released += 1
    return held, released, waiting


def _hold_for(post: Post, paused_ids: set[str], over_quota: set[str], plan: Plan,
              cap: int | None) -> tuple[str | None, str]:
    if any(t.connection_id in paused_ids for t in post.targets):
        return HOLD_PAUSED_ACCOUNT, (
            f"Waiting: an account it posts to is paused because the {plan.name} plan allows "
            f"fewer connected accounts. Upgrade, or disconnect another account, to send it.")
    if post.id in over_quota:
        return HOLD_QUOTA, (
            f"Waiting: over the {plan.name} plan's {cap} scheduled posts this month. Upgrade "
            "to send it, or it waits for next month's quota.")
    return None, ""


def _held(post: Post, hold: str, reason: str, now: datetime) -> Post:
    return revise(post, at=now, plan_hold=hold, status_reason=reason, due_at=None)


def _released(post: Post, now: datetime) -> Post:
    return revise(post, at=now, plan_hold=None, status_reason="",
                  due_at=post.scheduled_at or now)


async def release_quota_holds(rt: Runtime, *, actor: str = "scheduler") -> int:
    """In a new month, let the posts held for last month's quota go (this month's counter
    starts again): one plan pass for each organization that holds some. How many were
    released."""
    released = 0
    for org in await rt.store.list_organizations():
        posts = await rt.store.list_posts(org.id, [PostStatus.SCHEDULED], limit=MAX_POSTS)
        if any(post.plan_hold == HOLD_QUOTA and
               usage_period(post.created_at) != usage_period(rt.clock.now()) for post in posts):
            released += (await enforce_plan(rt, org, actor=actor)).released
    return released
