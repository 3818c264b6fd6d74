"""Turning a request (from a hook, the CLI or chat) into a post for review or the schedule."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from postflow.clock import as_utc
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, LimitReached, NotFound
from postflow.ids import new_id
from postflow.local_time import resolve_local_time
from postflow.media import MediaAttachment
from postflow.notices.events import PlanLimitReached, PostScheduled
from postflow.plans import Limit, Plan, limit_reached
from postflow.post_status import transition
from postflow.posts import MediaRef, Post, PostSource, PostStatus, PostTarget
from postflow.providers import MAX_TEXT_CAP, PublishContent
from postflow.runtime import Runtime
from postflow.store.port import UsageCharge, UsageExhausted
from postflow.text_caps import over_cap
from postflow.timezones import shared_timezone
from postflow.usecases.audit_log import audit_event
from postflow.usecases.media import (
    check_media_count,
    described_media,
    store_post_media,
    stored_media_refs,
)
from postflow.usecases.queues import apply_share_next, next_queue_slot, plan_share_next
from postflow.usecases.reviews import approval_rules, request_review

log = logging.getLogger(__name__)

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
    #: Media already in the media store (uploaded from chat), attached after those of the URLs.
    media_ids: list[str] = Field(default_factory=list)
    #: Aware, or a wall-clock time read in ``timezone`` (else the targets' shared override,
    #: else the organization's zone); ``None`` with ``queue`` False means
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


async def resolve_targets(rt: Runtime, org_id: str, request: PostRequest) -> list[Connection]:
    """The active connections ``request`` names by id or by network; BadInput otherwise."""
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
    paused = [c for c in chosen.values() if c.paused_by_plan]
    if paused and not unusable:
        names = ", ".join(f"{c.display_name} ({c.network})" for c in paused)
        raise LimitReached(f"These accounts are paused because the plan allows fewer connected "
                           f"accounts: {names}. Upgrade, or disconnect another account.",
                           details={"targets": [c.id for c in paused]})
    if unusable:
        names = ", ".join(f"{c.display_name} ({c.network})" for c in unusable)
        raise BadInput(f"Reconnect these accounts before posting to them: {names}.",
                       details={"targets": [c.id for c in unusable]})
    return list(chosen.values())


def validate_content(rt: Runtime, request: PostRequest, networks: set[str], *,
                     media: tuple[MediaAttachment, ...] = ()) -> None:
    """Raise BadInput listing every problem the networks' providers find in the content
    (``media``: the stored media, once they are, so sizes and types are checked too). A text
    over its network's hard cap is refused before any provider counts (text_caps)."""
    stray = sorted(set(request.variants) - networks)
    if stray:
        raise BadInput(f"There are variants for {', '.join(stray)} but no target there.",
                       details={"variants": stray})
    if len(request.text) > MAX_TEXT_CAP:
        raise BadInput(f"The text has {len(request.text):,} characters: PostFlow refuses more "
                       f"than {MAX_TEXT_CAP:,}.", details={"cap": MAX_TEXT_CAP})
    contents = {network: PublishContent(text=request.variants.get(network, request.text),
                                        media_urls=tuple(request.media_urls), media=media)
                for network in sorted(networks)}
    # Every cap first: no provider counts anything while one text is over its network's cap.
    problems: dict[str, list[dict[str, str]]] = {
        network: [{"code": problem.code, "message": problem.message}]
        for network, content in contents.items()
        if (problem := over_cap(rt.providers.get(network), content)) is not None}
    for network, content in contents.items() if not problems else ():
        report = rt.providers.get(network).validate(content)
        if not report.valid:
            problems[network] = [{"code": p.code, "message": p.message}
                                 for p in report.problems]
    if problems:
        first = next(iter(problems.values()))[0]["message"]
        raise BadInput(f"The post is not valid: {first}", details={"problems": problems})


def _check_time(request: PostRequest, now: datetime, read_in: str | None,
                zones: dict[str, str]) -> tuple[datetime | None, str]:
    """The instant asked for (UTC) and, when a local time had to be adjusted, a note saying how.

    ``schedule_at`` carries an offset, or is a wall-clock time resolved by the rule in
    :mod:`postflow.local_time` in ``read_in``: the request's ``timezone``, else the zone all
    targets share, or None when they differ (``zones``: connection id -> its own zone, else the
    organization's).
    """
    if request.schedule_at is None:
        return None, ""
    if request.queue or request.share_next:
        raise BadInput("Give either `schedule_at` or `queue` / `share_next`, not both.")
    note = ""
    if request.schedule_at.tzinfo is None:
        if read_in is None:
            listed = ", ".join(f"{cid} in {tz}" for cid, tz in zones.items())
            raise BadInput(f"The targets read local times in different time zones ({listed}): "
                           "give `schedule_at` a UTC offset (2026-12-01T09:00:00+01:00) or the "
                           "`timezone` to read it in (\"timezone\": \"Europe/Paris\").",
                           details={"timezones": zones})
        resolved = resolve_local_time(request.schedule_at, read_in)
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
                      actor: str, review_required: bool, post_id: str | None = None) -> Post:
    """Create a post and move it as far as policy allows: In review, or Scheduled.

    ``post_id`` is for a caller that must create the post at most once (a recurring series'
    occurrence): a second submit with that id raises Conflict and writes nothing.

    The post is counted against the plan's monthly limit. A post that should go out now is left
    Scheduled with ``due_at`` = now; the caller dispatches it (see ``dispatch.claim_and_enqueue``).
    """
    now = rt.clock.now()
    org = await rt.store.get_organization(org_id)
    text = request.text.strip()
    if not text and not request.media_urls and not request.media_ids:
        raise BadInput("A post needs text or media.")
    connections = await resolve_targets(rt, org_id, request)
    networks = {c.network for c in connections}
    check_media_count(rt, networks, len(request.media_urls) + len(request.media_ids))
    validate_content(rt, request, networks)
    # The zone each target reads local times in; the post keeps the one its time was read in.
    zones = {c.id: c.timezone or org.timezone for c in connections}
    read_in = shared_timezone(request.timezone, zones.values())
    tz = read_in or org.timezone
    scheduled_at, time_note = _check_time(request, now, read_in, zones)
    connection_ids = [c.id for c in connections]
    from_queue = request.queue or request.share_next
    if request.share_next:
        # Checked before anything is consumed; the queue is pushed back just before the insert.
        scheduled_at = (await plan_share_next(rt, org_id, connection_ids,
                                              request.timezone)).at
    elif request.queue:
        scheduled_at = await next_queue_slot(rt, org_id, connection_ids, request.timezone)

    plan = rt.plans.get(org.plan)
    charge = UsageCharge(Limit.SCHEDULED_POSTS_PER_MONTH.value, usage_period(now),
                         plan.limits.get(Limit.SCHEDULED_POSTS_PER_MONTH))
    # Quota left this month? Asked, not taken (the charge is taken with the insert), and only
    # when there is media to fetch: a post the plan refuses costs no fetch, and one without
    # URLs is refused by the charge itself, with no read spent on every post.
    if request.media_urls and charge.limit is not None and \
            await rt.store.get_usage(org_id, charge.metric, charge.period) >= charge.limit:
        raise await _limit_reached(rt, org_id, plan, charge)
    # Fetched last, after every check that needs no bytes, and stored now rather than at
    # publish time: a bad URL is the sender's to hear about.
    # Media named by id are checked (held by this organization) before any URL is fetched.
    uploaded = await stored_media_refs(rt, request.media_ids, org_id=org_id)
    media = [*await store_post_media(rt, request.media_urls, networks, org_id=org_id), *uploaded]
    if any(ref.media_id for ref in media):
        validate_content(rt, request, networks, media=await described_media(rt, media))
    if request.share_next:
        # Jumping the queue pushes other posts back: take the charge first, so a post refused
        # at the limit moves nothing, and give it back if the post is not written after all.
        if await rt.store.consume_usage(org_id, charge.metric, charge.period,
                                        charge.limit) is None:
            raise await _limit_reached(rt, org_id, plan, charge)
        try:
            scheduled_at = await apply_share_next(rt, org_id, connection_ids,
                                                  request.timezone, actor=actor)
            final = await _insert(rt, org_id, request, connections, media, text=text, tz=tz,
                                  scheduled_at=scheduled_at, time_note=time_note,
                                  from_queue=from_queue, source=source, actor=actor,
                                  review_required=review_required, now=now, post_id=post_id,
                                  charge=None)
        except BaseException:
            await rt.store.release_usage(org_id, charge.metric, charge.period)
            raise
        return final
    try:
        return await _insert(rt, org_id, request, connections, media, text=text, tz=tz,
                             scheduled_at=scheduled_at, time_note=time_note,
                             from_queue=from_queue, source=source, actor=actor,
                             review_required=review_required, now=now, post_id=post_id,
                             charge=charge)
    except UsageExhausted:
        raise await _limit_reached(rt, org_id, plan, charge) from None


async def _limit_reached(rt: Runtime, org_id: str, plan: Plan,
                         charge: UsageCharge) -> LimitReached:
    """The refusal, said first as a notice to the sinks that want it."""
    refusal = limit_reached(rt.plans, plan, Limit.SCHEDULED_POSTS_PER_MONTH,
                            await rt.store.get_usage(org_id, charge.metric, charge.period))
    await rt.notices.notify(PlanLimitReached(organization_id=org_id,
                                             limit=Limit.SCHEDULED_POSTS_PER_MONTH.value,
                                             message=refusal.message))
    return refusal


async def _insert(rt: Runtime, org_id: str, request: PostRequest, connections: list[Connection],
                  media: list[MediaRef], *, text: str, tz: str,
                  scheduled_at: datetime | None, time_note: str,
                  from_queue: bool, source: PostSource, actor: str, review_required: bool,
                  now: datetime, post_id: str | None, charge: UsageCharge | None) -> Post:
    """Write the post in the status policy allows, with one audit event saying how it got there."""
    post = Post(
        id=post_id or new_id("post"), org_id=org_id, text=text, variants=request.variants,
        media=media,
        targets=[PostTarget(connection_id=c.id, network=c.network) for c in connections],
        timezone=tz, scheduled_at=scheduled_at, time_note=time_note, from_queue=from_queue,
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
    # The statuses a new post passes through in one go are one event: "created, scheduled".
    created = audit_event(rt, org_id, actor, "post.created", final.id, source=source.kind,
                          targets=len(connections), status=final.status.value,
                          path=" > ".join(step.status.value for step in steps),
                          reason=steps[1].status_reason)
    if final.status is PostStatus.IN_REVIEW:
        # A review the plan cannot open (multi-step approval it lost) refuses the post here,
        # rather than leaving it In review with nobody asked.
        await approval_rules(rt, final)
    await rt.store.insert_post(final, [created], charge=charge)
    if final.status is PostStatus.IN_REVIEW:
        await open_review(rt, final, actor)
    else:
        await rt.notices.notify(PostScheduled(final))
    return final


async def open_review(rt: Runtime, post: Post, actor: str) -> None:
    """Ask for review of a post created In review; the post stands even if this fails (it can
    be asked again), so a hook's retry never creates it twice."""
    try:
        await request_review(rt, post.id, post.org_id, requested_by=actor)
    except Exception:
        log.warning("could not open the review of post %s", post.id, exc_info=True)
