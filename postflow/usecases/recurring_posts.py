"""Recurring posts: creating a series, reading it, pausing, resuming and canceling it, and
turning each occurrence into its own scheduled post when its time comes near.

**Materializing.** :func:`materialize_due_occurrences` runs on every scheduler tick, before due
posts are dispatched. For every active series whose next occurrence is within ``HORIZON``
(24 hours) it creates that occurrence's post through :func:`submit_post`, like any scheduled
post: the targets and the text are checked again, the post counts against the plan's monthly
limit when it is created, and it waits Scheduled until its own time, when the dispatcher sends
it like any other. So a series never publishes ahead of time, and many series created together
publish each at its own time. The post's id comes from the series and the occurrence's local
date (:func:`occurrence_post_id`): two schedulers racing on one occurrence write one post, and
the series' cursor moves on by compare-and-swap, so each occurrence is handled once.

An occurrence that cannot become a post (the plan's limit is reached, an account needs
reconnecting, the plan no longer includes recurring posts) is **skipped**: recorded in the
audit log and on the series with the reason, and the series goes on with the next one. An
occurrence whose time passed more than ``MISSED_AFTER`` ago before it was reached (PostFlow was
not running for longer than the horizon) is **missed**: skipped without a post, never published
late.

**Pause, resume, cancel.** Pausing stops creating posts; the posts already created (up to 24 h
ahead) are left as they are (cancel one with ``posts cancel``). Resuming goes on with the first
occurrence after now; those that passed while paused are skipped. Canceling ends the series for
good and cancels its posts that have not started publishing; published ones stay.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from postflow.errors import BadInput, Conflict, InvalidTransition, LimitReached, NotFound
from postflow.ids import new_id
from postflow.local_time import in_zone
from postflow.plans import Feature, require_feature
from postflow.posts import MediaRef, Post, PostSource, PostStatus
from postflow.recurrence import (
    Frequency,
    Occurrence,
    RecurringSeries,
    SeriesStatus,
    build_rule,
    cursor_on,
    first_occurrence_after,
    next_after,
    occurrence_post_id,
)
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.audit_log import record
from postflow.usecases.post_actions import cancel_post
from postflow.usecases.submit_post import (
    PAST_TOLERANCE,
    PostRequest,
    resolve_targets,
    submit_post,
    validate_content,
)

log = logging.getLogger(__name__)

#: How far ahead an occurrence's post is created.
HORIZON = timedelta(hours=24)
#: An occurrence reached later than this after its time is missed, not published late.
MISSED_AFTER = PAST_TOLERANCE
#: ``PostSource.kind`` of an occurrence's post; its ``ref`` is the series id.
SOURCE_KIND = "recurring"
#: Series handled per materializer call, and occurrences per series per call.
BATCH = 200
MAX_STEPS = 100
#: How many times a change lost to a racer is decided again before giving up.
MAX_RACES = 5
#: Post statuses that canceling a series cancels: nothing has gone out yet.
WAITING = frozenset({PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED,
                     PostStatus.SCHEDULED, PostStatus.LATE, PostStatus.QUEUED})
#: The actor of what the materializer writes.
MATERIALIZER = "scheduler"


class SeriesRequest(BaseModel):
    """What a caller asks for; adapters validate their own input shape into this."""

    text: str
    variants: dict[str, str] = Field(default_factory=dict)
    #: Connection ids; ``networks`` adds every active connection on those networks.
    targets: list[str] = Field(default_factory=list)
    networks: list[str] = Field(default_factory=list)
    media_urls: list[str] = Field(default_factory=list)
    frequency: Frequency
    #: Weekly: 0 (Monday) .. 6 (Sunday).
    weekdays: list[int] = Field(default_factory=list)
    #: Monthly: 1..31 (a shorter month uses its last day).
    day_of_month: int | None = None
    #: Local time, ``HH:MM``.
    at: str
    #: IANA zone; None: the organization's.
    timezone: str | None = None
    #: First local date; None: today in the zone.
    starts_on: date | None = None
    until: date | None = None
    count: int | None = None


class Outcome(StrEnum):
    CREATED = "created"
    SKIPPED = "skipped"
    MISSED = "missed"


@dataclass
class MaterializeReport:
    """What one materializer run did; each occurrence is counted by the run that moved the
    series past it."""

    created: int = 0
    skipped: int = 0
    missed: int = 0
    #: Series whose materializing failed unexpectedly (logged; tried again next run).
    failed: int = 0

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.CREATED:
            self.created += 1
        elif outcome is Outcome.SKIPPED:
            self.skipped += 1
        else:
            self.missed += 1


@dataclass(frozen=True)
class SeriesCancellation:
    series: RecurringSeries
    #: Its posts this cancel canceled.
    canceled: list[Post] = field(default_factory=list)
    #: Its posts that could not be canceled any more (publishing right now).
    left: list[Post] = field(default_factory=list)


# -- creating and reading -----------------------------------------------------------------------

async def create_series(rt: Runtime, org_id: str, request: SeriesRequest, *,
                        actor: str) -> RecurringSeries:
    """Validate the template and the rule and store an active series; no post is created here.

    Needs a plan with recurring posts. The targets and text are checked as ``submit_post``
    checks them; each occurrence is checked again when its post is created.
    """
    now = rt.clock.now()
    org = await rt.store.get_organization(org_id)
    require_feature(rt.plans, org.plan, Feature.RECURRING_POSTS, flags=org.feature_flags)
    text = request.text.strip()
    if not text and not request.media_urls:
        raise BadInput("A post needs text or media.")
    template = PostRequest(text=text, variants=request.variants, targets=request.targets,
                           networks=request.networks, media_urls=request.media_urls)
    connections = await resolve_targets(rt, org_id, template)
    validate_content(rt, template, {c.network for c in connections})
    tz = require_timezone(request.timezone or org.timezone)
    rule = build_rule(frequency=request.frequency, at=request.at, timezone=tz,
                      starts_on=request.starts_on or in_zone(now, tz).date(),
                      weekdays=request.weekdays, day_of_month=request.day_of_month,
                      until=request.until, count=request.count)
    first = first_occurrence_after(rule, now)
    if first is None:
        raise BadInput("The series would have no occurrence: its end date has passed.",
                       details={"until": rule.until.isoformat() if rule.until else None})
    series = RecurringSeries(
        id=new_id("rec"), org_id=org_id, text=text, variants=request.variants,
        media=[MediaRef(url=u) for u in request.media_urls],
        targets=[c.id for c in connections], rule=rule, created_by=actor, created_at=now,
        updated_at=now).model_copy(update=cursor_on(first))
    await rt.store.insert_series(series)
    await record(rt, org_id, actor, "recurring.created", series.id, rule=rule.describe(),
                 targets=len(connections), first_at=first.utc.isoformat())
    return series


async def series_posts(rt: Runtime, series: RecurringSeries, limit: int = 50) -> list[Post]:
    """The posts created for the series' occurrences, latest first."""
    return await rt.store.list_posts_by_source(series.org_id, SOURCE_KIND, series.id, limit)


# -- pause, resume, cancel ----------------------------------------------------------------------

async def pause_series(rt: Runtime, org_id: str, series_id: str, *,
                       actor: str) -> RecurringSeries:
    """Stop creating posts; posts already created are left as they are."""
    now = rt.clock.now()

    def decide(series: RecurringSeries) -> RecurringSeries:
        _require(series, {SeriesStatus.ACTIVE}, "paused")
        return _revise(series, now, status=SeriesStatus.PAUSED,
                       status_reason=f"paused by {actor}")

    series = await _change(rt, org_id, series_id, decide)
    await record(rt, org_id, actor, "recurring.paused", series_id)
    return series


async def resume_series(rt: Runtime, org_id: str, series_id: str, *,
                        actor: str) -> RecurringSeries:
    """Go on with the first occurrence after now; those that passed while paused are skipped."""
    now = rt.clock.now()
    passed = 0

    def decide(series: RecurringSeries) -> RecurringSeries:
        nonlocal passed
        _require(series, {SeriesStatus.PAUSED}, "resumed")
        upcoming, passed = _first_upcoming(series, now)
        changes: dict[str, object] = {"status": SeriesStatus.ACTIVE,
                                      "status_reason": f"resumed by {actor}",
                                      "skipped_count": series.skipped_count + passed,
                                      **cursor_on(upcoming)}
        if passed:
            changes["last_skip_reason"] = f"{passed} occurrence(s) passed while paused"
        if upcoming is None:
            changes |= {"status": SeriesStatus.ENDED,
                        "status_reason": "its last occurrence passed while it was paused"}
        return _revise(series, now, **changes)

    series = await _change(rt, org_id, series_id, decide)
    await record(rt, org_id, actor, "recurring.resumed", series_id, skipped=passed,
                 next_at=series.next_at.isoformat() if series.next_at else None)
    return series


async def cancel_series(rt: Runtime, org_id: str, series_id: str, *,
                        actor: str) -> SeriesCancellation:
    """End the series for good and cancel its posts that have not started publishing."""
    now = rt.clock.now()

    def decide(series: RecurringSeries) -> RecurringSeries:
        _require(series, {SeriesStatus.ACTIVE, SeriesStatus.PAUSED, SeriesStatus.ENDED},
                 "canceled")
        return _revise(series, now, status=SeriesStatus.CANCELED,
                       status_reason=f"canceled by {actor}", **cursor_on(None))

    series = await _change(rt, org_id, series_id, decide)
    # After the series is canceled, so no materializer creates another post behind this list
    # (one that was mid-way cancels its own post when it sees the series canceled).
    canceled: list[Post] = []
    left: list[Post] = []
    for post in await series_posts(rt, series, limit=BATCH):
        if post.status not in WAITING:
            continue
        try:
            canceled.append(await cancel_post(rt, org_id, post.id, actor=actor))
        except Conflict:  # InvalidTransition included: it started publishing meanwhile
            left.append(post)
    await record(rt, org_id, actor, "recurring.canceled", series_id,
                 posts_canceled=len(canceled), posts_left=len(left))
    return SeriesCancellation(series, canceled, left)


# -- materializing ------------------------------------------------------------------------------

async def materialize_due_occurrences(rt: Runtime, now: datetime | None = None, *,
                                      limit: int = BATCH) -> MaterializeReport:
    """Create the post of every occurrence of an active series due within ``HORIZON`` of
    ``now`` (default: the clock), at most once each; see the module for the rules."""
    now = now or rt.clock.now()
    report = MaterializeReport()
    for series in await rt.store.find_due_series(now + HORIZON, limit):
        try:
            await _materialize_series(rt, series, now, report)
        except Exception:  # one broken series stops no other; the next run tries it again
            report.failed += 1
            log.warning("could not materialize recurring series %s", series.id, exc_info=True)
    return report


async def _materialize_series(rt: Runtime, series: RecurringSeries, now: datetime,
                              report: MaterializeReport) -> None:
    for _ in range(MAX_STEPS):
        occurrence = series.next_occurrence()
        if (series.status is not SeriesStatus.ACTIVE or occurrence is None
                or occurrence.utc > now + HORIZON):
            return
        outcome, reason, inserted = await _materialize(rt, series, occurrence, now)
        advanced = _advance(series, occurrence, outcome, reason, now)
        try:
            await rt.store.replace_series(advanced, expected_version=series.version)
        except Conflict:
            # Another materializer, or a person, wrote first: go on from what they left.
            series = await rt.store.get_series(series.org_id, series.id)
            if inserted and series.status is SeriesStatus.CANCELED:
                await _withdraw(rt, series, occurrence)
            continue
        series = advanced
        report.count(outcome)
        await record(rt, series.org_id, MATERIALIZER, f"recurring.occurrence_{outcome.value}",
                     series.id, number=occurrence.number,
                     local_date=occurrence.local_date.isoformat(),
                     at=occurrence.utc.isoformat(),
                     post_id=(occurrence_post_id(series.id, occurrence.local_date)
                              if outcome is Outcome.CREATED else None),
                     reason=reason or None)
        if series.status is SeriesStatus.ENDED:
            await record(rt, series.org_id, MATERIALIZER, "recurring.ended", series.id,
                         reason=series.status_reason)


async def _materialize(rt: Runtime, series: RecurringSeries, occurrence: Occurrence,
                       now: datetime) -> tuple[Outcome, str, bool]:
    """Make sure the occurrence's post exists: (outcome, why it was skipped, inserted now)."""
    if occurrence.utc < now - MISSED_AFTER:
        return (Outcome.MISSED, f"its time {occurrence.utc.isoformat()} had passed when PostFlow "
                "reached it (it was not running)", False)
    post_id = occurrence_post_id(series.id, occurrence.local_date)
    if await _post_exists(rt, series.org_id, post_id):
        return Outcome.CREATED, "", False
    rule = series.rule
    try:
        org = await rt.store.get_organization(series.org_id)
        require_feature(rt.plans, org.plan, Feature.RECURRING_POSTS, flags=org.feature_flags)
        await submit_post(
            rt, series.org_id,
            PostRequest(text=series.text, variants=series.variants, targets=series.targets,
                        media_urls=[m.url for m in series.media], timezone=rule.timezone,
                        schedule_at=datetime.combine(occurrence.local_date, rule.local_time)),
            source=PostSource(kind=SOURCE_KIND, ref=series.id),
            actor=series.created_by or MATERIALIZER, review_required=False, post_id=post_id)
    except Conflict:  # a racing materializer created it first
        return Outcome.CREATED, "", False
    except (BadInput, LimitReached, NotFound) as err:
        if await _post_exists(rt, series.org_id, post_id):  # a racer created it meanwhile
            return Outcome.CREATED, "", False
        return Outcome.SKIPPED, err.message, False
    return Outcome.CREATED, "", True


def _advance(series: RecurringSeries, occurrence: Occurrence, outcome: Outcome, reason: str,
             now: datetime) -> RecurringSeries:
    """The series with its cursor past ``occurrence``, counting how it went."""
    following = next_after(series.rule, occurrence)
    changes: dict[str, object] = {"last_on": occurrence.local_date, "last_at": occurrence.utc,
                                  **cursor_on(following)}
    if outcome is Outcome.CREATED:
        changes["created_count"] = series.created_count + 1
    else:
        changes["skipped_count"] = series.skipped_count + 1
        changes["last_skip_reason"] = f"{occurrence.local_date.isoformat()}: {reason}"
    if following is None:
        changes |= {"status": SeriesStatus.ENDED, "status_reason":
                    f"its last occurrence was on {occurrence.local_date.isoformat()}"}
    return _revise(series, now, **changes)


async def _withdraw(rt: Runtime, series: RecurringSeries, occurrence: Occurrence) -> None:
    """Cancel the post just created for a series that was canceled meanwhile."""
    post_id = occurrence_post_id(series.id, occurrence.local_date)
    # Already canceled, or publishing right now: nothing more to do here.
    with suppress(Conflict, NotFound):
        await cancel_post(rt, series.org_id, post_id, actor=MATERIALIZER)


async def _post_exists(rt: Runtime, org_id: str, post_id: str) -> bool:
    try:
        await rt.store.get_post(org_id, post_id)
    except NotFound:
        return False
    return True


# -- helpers ------------------------------------------------------------------------------------

def _first_upcoming(series: RecurringSeries, now: datetime) -> tuple[Occurrence | None, int]:
    """The series' first occurrence after ``now`` from its cursor, and how many it passes."""
    occurrence = series.next_occurrence()
    passed = 0
    while occurrence is not None and occurrence.utc <= now:
        passed += 1
        occurrence = next_after(series.rule, occurrence)
    return occurrence, passed


def _revise(series: RecurringSeries, now: datetime, **changes: object) -> RecurringSeries:
    return series.model_copy(update={"version": series.version + 1, "updated_at": now,
                                     **changes})


def _require(series: RecurringSeries, allowed: set[SeriesStatus], done: str) -> None:
    if series.status in allowed:
        return
    raise InvalidTransition(
        f"Series {series.id} cannot be {done}: it is {series.status.value}.",
        details={"series_id": series.id, "status": series.status.value,
                 "allowed_from": sorted(s.value for s in allowed)})


async def _change(rt: Runtime, org_id: str, series_id: str,
                  decide: Callable[[RecurringSeries], RecurringSeries]) -> RecurringSeries:
    """Read the series, decide its new version, write it if nobody wrote first; else again."""
    for _ in range(MAX_RACES):
        series = await rt.store.get_series(org_id, series_id)
        new = decide(series)
        try:
            await rt.store.replace_series(new, expected_version=series.version)
        except Conflict:
            continue
        return new
    raise Conflict("The series kept changing while PostFlow updated it; try again.",
                   details={"series_id": series_id})
