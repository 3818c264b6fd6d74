"""Turning a request (from a hook, the CLI or chat) into a post for review or the schedule."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from pydantic import BaseModel, Field

from postflow.clock import as_utc
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, NotFound
from postflow.ids import new_id
from postflow.local_time import resolve_local_time
from postflow.plans import Limit, limit_reached
from postflow.post_status import transition
from postflow.posts import MediaRef, Post, PostSource, PostStatus, PostTarget
from postflow.providers import PublishContent
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.audit_log import audit_event
from postflow.usecases.queues import apply_share_next, next_queue_slot, plan_share_next

#: A post asked for this far in the past is refused rather than published late by surprise.
PAST_TOLERANCE = timedelta(minutes=5)
MAX_AHEAD = timedelta(days=730)


class PostRequest(BaseModel):
    """What a caller asks for; adapters validate their own input shape into this."""

    text: str
    variants: dict[str, str] = Field(default_factory=dict)
    targets: list[str] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)
    media_urls: list[str] = Field(default_factory=list)
    #: Aware, or a wall-clock time read in ``timezone``; ``None`` with ``queue`` False means
    #: "publish now".
    schedule_at: datetime | None = None
    #: Take the next free slot of the targets' queues.
    queue: bool = False
    #: Take the first upcoming queue slot even if it is taken, pushing the queue back one.
    share_next: bool = False
    timezone: str | None = None


def usage_period(moment: datetime) -> str:
    """Metering period for monthly limits, in UTC: ``2026-11``."""
    return as_utc(moment).strftime("%Y-%m")


async def _resolve_targets(rt: Runtime, org_id: str, request: PostRequest) -> list[Connection]:
    if not request.targets and not request.networks:
        raise BadInput("Say where to publish: give `targets` (connection ids) or `networks`.")
    chosen: dict[str, Connection] = {}
    for connection_id in request.targets:
        try:
            connection = await rt.store.get_connection(org_id, connection_id)
        except NotFound:
            raise BadInput(f"Unknown target {connection_id!r}: no such connection in this "
                           "organization.", details={"target": connection_id}) from None
        chosen[connection.id] = connection
    for network in request.networks:
        rt.providers.get(network)
        found = [c for c in await rt.store.list_connections(org_id, network)
                 if c.status is ConnectionStatus.ACTIVE]
        if not found:
            raise BadInput(f"This organization has no connected {network} account.",
                           details={"network": network})
        chosen.update((c.id, c) for c in found)
    unusable = [c for c in chosen.values() if c.status is not ConnectionStatus.ACTIVE]
    if unusable:
        names = ", ".join(f"{c.display_name} ({c.network})" for c in unusable)
        raise BadInput(f"Reconnect these accounts before posting to them: {names}.",
                       details={"targets": [c.id for c in unusable]})
    return list(chosen.values())


def _validate_content(rt: Runtime, request: PostRequest, networks: set[str]) -> None:
    stray = sorted(set(request.variants) - networks)
    if stray:
        raise BadInput(f"There are variants for {', '.join(stray)} but no target there.",
                       details={"variants": stray})
    problems: dict[str, list[dict[str, str]]] = {}
    for network in sorted(networks):
        report = rt.providers.get(network).validate(PublishContent(
            text=request.variants.get(network, request.text),
            media_urls=tuple(request.media_urls)))
        if not report.valid:
            problems[network] = [{"code": p.code, "message": p.message}
                                 for p in report.problems]
    if problems:
        first = next(iter(problems.values()))[0]["message"]
        raise BadInput(f"The post is not valid: {first}", details={"problems": problems})


def _check_time(request: PostRequest, now: datetime) -> tuple[datetime | None, str]:
    """The instant asked for (UTC) and, when a local time had to be adjusted, a note saying how.

    ``schedule_at`` carries an offset, or is a wall-clock time in ``timezone`` resolved by the
    rule in :mod:`postflow.local_time`.
    """
    if request.schedule_at is None:
        return None, ""
    if request.queue or request.share_next:
        raise BadInput("Give either `schedule_at` or `queue` / `share_next`, not both.")
    note = ""
    if request.schedule_at.tzinfo is None:
        if request.timezone is None:
            raise BadInput("`schedule_at` needs a UTC offset (2026-12-01T09:00:00+01:00) or a "
                           "`timezone` to read it in (\"timezone\": \"Europe/Paris\").")
        resolved = resolve_local_time(request.schedule_at, require_timezone(request.timezone))
        at, note = resolved.utc, resolved.note
    else:
        at = as_utc(request.schedule_at)
    if at < now - PAST_TOLERANCE:
        raise BadInput(f"`schedule_at` {at.isoformat()} is in the past.",
                       details={"schedule_at": at.isoformat(), "now": now.isoformat()})
    if at > now + MAX_AHEAD:
        raise BadInput("`schedule_at` is more than two years ahead.")
    return max(at, now), note


async def submit_post(rt: Runtime, org_id: str, request: PostRequest, *, source: PostSource,
                      actor: str, review_required: bool) -> Post:
    """Create a post and move it as far as policy allows: In review, or Scheduled.

    The post is counted against the plan's monthly limit. A post that should go out now is left
    Scheduled with ``due_at`` = now; the caller dispatches it (see ``dispatch.claim_and_enqueue``).
    """
    now = rt.clock.now()
    org = await rt.store.get_organization(org_id)
    text = request.text.strip()
    if not text and not request.media_urls:
        raise BadInput("A post needs text or media.")
    tz = require_timezone(request.timezone or org.timezone)
    connections = await _resolve_targets(rt, org_id, request)
    _validate_content(rt, request, {c.network for c in connections})
    scheduled_at, time_note = _check_time(request, now)
    connection_ids = [c.id for c in connections]
    from_queue = request.queue or request.share_next
    if request.share_next:
        # Checked before anything is consumed; the queue is pushed back just before the insert.
        scheduled_at = (await plan_share_next(rt, org_id, connection_ids, tz)).at
    elif request.queue:
        scheduled_at = await next_queue_slot(rt, org_id, connection_ids, tz)

    plan = rt.plans.get(org.plan)
    period = usage_period(now)
    metric = Limit.SCHEDULED_POSTS_PER_MONTH.value
    if await rt.store.consume_usage(org_id, metric, period,
                                    plan.limits.get(Limit.SCHEDULED_POSTS_PER_MONTH)) is None:
        raise limit_reached(rt.plans, plan, Limit.SCHEDULED_POSTS_PER_MONTH,
                            await rt.store.get_usage(org_id, metric, period))
    try:
        if request.share_next:
            scheduled_at = await apply_share_next(rt, org_id, connection_ids, tz, actor=actor)
        post = Post(
            id=new_id("post"), org_id=org_id, text=text, variants=request.variants,
            media=[MediaRef(url=u) for u in request.media_urls],
            targets=[PostTarget(connection_id=c.id, network=c.network) for c in connections],
            timezone=tz, scheduled_at=scheduled_at, time_note=time_note,
            from_queue=from_queue,
            status=PostStatus.DRAFT, source=source, created_by=actor, created_at=now,
            updated_at=now)
        steps = [post]
        if review_required:
            steps.append(transition(steps[-1], PostStatus.IN_REVIEW, at=now,
                                    reason="the hook requires review"))
        else:
            steps.append(transition(steps[-1], PostStatus.APPROVED, at=now,
                                    reason="no review required"))
            steps.append(transition(steps[-1], PostStatus.SCHEDULED, at=now,
                                    due_at=scheduled_at or now))
        final = steps[-1]
        events = [audit_event(rt, org_id, actor, "post.created", final.id, source=source.kind,
                              targets=len(connections))]
        events += [audit_event(rt, org_id, actor, "post.status_changed", final.id,
                               **{"from": before.status.value, "to": after.status.value,
                                  "reason": after.status_reason})
                   for before, after in pairwise(steps)]
        await rt.store.insert_post(final, events)
    except BaseException:
        await rt.store.release_usage(org_id, metric, period)
        raise
    return final
