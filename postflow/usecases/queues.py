"""Per-connection queues: reading and changing their settings, finding a post's slot, and
"share next" (take the first slot and push the queue back one).

How a post to several connections picks its slot is in :mod:`postflow.queue_slots`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from postflow.errors import BadInput, Conflict
from postflow.post_status import revise
from postflow.posts import Post, PostStatus
from postflow.queue_slots import QueueState, next_slot_for_all, upcoming_slots
from postflow.queues import QueueSettings, build_queue_settings, default_queue_settings, slot_label
from postflow.runtime import Runtime
from postflow.usecases.audit_log import audit_event, record

#: How far back queued posts are read, so the caps see the current day and ISO week.
CAP_LOOKBACK = timedelta(days=8)
#: Statuses of a queue-placed post that share next may move to a later slot.
MOVABLE = frozenset({PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED,
                     PostStatus.SCHEDULED})
#: How many times share next plans again after a racer changed one of the posts it moves.
MAX_RACES = 5


async def queue_settings_for(rt: Runtime, org_id: str, connection_id: str,
                             default_timezone: str | None = None) -> QueueSettings:
    """The stored settings, else the defaults in ``default_timezone`` (a request's zone), else
    in the connection's own zone, else in the organization's."""
    stored = await rt.store.get_queue_settings(org_id, connection_id)
    if stored is not None:
        return stored
    if default_timezone is None:
        default_timezone = (await rt.store.get_connection(org_id, connection_id)).timezone
    if default_timezone is None:
        default_timezone = (await rt.store.get_organization(org_id)).timezone
    return default_queue_settings(org_id, connection_id, default_timezone)


async def set_queue_settings(rt: Runtime, org_id: str, connection_id: str, *,
                             slots: list[tuple[int, str]], timezone: str | None,
                             max_per_day: int | None, max_per_week: int | None,
                             actor: str) -> QueueSettings:
    """Replace the connection's queue settings; ``timezone`` None keeps the current zone.

    Posts already queued keep their times; only posts queued from now on use the new slots.
    """
    await rt.store.get_connection(org_id, connection_id)  # NotFound for a stranger's id
    current = await queue_settings_for(rt, org_id, connection_id)
    settings = build_queue_settings(
        org_id=org_id, connection_id=connection_id, timezone=timezone or current.timezone,
        slots=slots, max_per_day=max_per_day, max_per_week=max_per_week,
        updated_at=rt.clock.now())
    await rt.store.save_queue_settings(settings)
    await record(rt, org_id, actor, "queue.updated", connection_id,
                 timezone=settings.timezone,
                 slots=", ".join(slot_label(s) for s in settings.slots),
                 max_per_day=settings.max_per_day, max_per_week=settings.max_per_week)
    return settings


async def upcoming_queue(rt: Runtime, org_id: str, connection_id: str) -> list[Post]:
    """The posts holding the connection's queue slots from now on, soonest first."""
    await rt.store.get_connection(org_id, connection_id)
    return await rt.store.list_queue_posts(org_id, connection_id, rt.clock.now())


async def next_queue_slot(rt: Runtime, org_id: str, connection_ids: Sequence[str],
                          default_timezone: str | None) -> datetime:
    """The first slot after now that is free and within the caps for every connection."""
    now = rt.clock.now()
    queues = [QueueState(await queue_settings_for(rt, org_id, cid, default_timezone),
                         await rt.store.list_queue_times(org_id, cid, now - CAP_LOOKBACK))
              for cid in connection_ids]
    slot = next_slot_for_all(now, queues)
    if slot is None:
        raise BadInput("The queue has no free slot in the next year.",
                       details={"targets": list(connection_ids)})
    return slot


# -- share next ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShareNextPlan:
    """Where a shared-next post goes, and which queued posts move back to make room."""

    at: datetime
    #: (the post as read, its new time), latest first: the order they are written in, so no
    #: two posts ever hold one slot in between.
    moves: tuple[tuple[Post, datetime], ...]


async def plan_share_next(rt: Runtime, org_id: str, connection_ids: Sequence[str],
                          default_timezone: str | None, *,
                          moving: str | None = None) -> ShareNextPlan:
    """Put a post on the first upcoming slot of its first target's queue, taken or not.

    A new post, or the queued post ``moving``, which then counts as out of the queue: the slot
    it leaves is a gap, so the push stops there and the posts after it keep their slots.

    Every movable queued post from that slot on, on the post's connections, is pushed back in
    order: a post whose slot is needed (or whose day or week went over a cap) takes the next
    slot of its own first target's queue that is free and within the caps for all its targets.
    The push stops at the first gap. Posts on
    other connections that a pushed post also goes to are not pushed: it skips their slots.
    """
    now = rt.clock.now()
    settings: dict[str, QueueSettings] = {}
    queued: dict[str, list[Post]] = {}

    async def load(cid: str) -> None:
        if cid not in queued:
            settings[cid] = await queue_settings_for(rt, org_id, cid, default_timezone)
            queued[cid] = [p for p in await rt.store.list_queue_posts(
                org_id, cid, now - CAP_LOOKBACK) if p.id != moving]

    for cid in connection_ids:
        await load(cid)
    first = settings[connection_ids[0]]
    start = next(upcoming_slots(now, first.timezone, first.slot_times()), None)
    if start is None:
        raise BadInput("The queue has no slot in the next year.")
    affected = sorted(
        {p.id: p for cid in connection_ids for p in queued[cid]
         if p.status in MOVABLE and p.scheduled_at is not None and p.scheduled_at >= start
         }.values(), key=lambda p: (p.scheduled_at, p.id))
    for post in affected:
        for target in post.targets:
            await load(target.connection_id)

    waiting = {p.id for p in affected}  # not placed yet: they will go after whoever is placed
    placed: dict[str, datetime] = {}
    last_on = {cid: start for cid in connection_ids}

    def time_of(post: Post) -> datetime:
        return placed.get(post.id) or post.scheduled_at or now

    def state(cid: str, mover: str) -> QueueState:
        # Posts still waiting are left out: each goes after the mover and checks for itself.
        taken = [time_of(p) for p in queued[cid] if p.id != mover and p.id not in waiting]
        taken += [start] if cid in connection_ids else []
        return QueueState(settings[cid], taken)

    moves: list[tuple[Post, datetime]] = []
    for post in affected:
        waiting.discard(post.id)
        conns = [t.connection_id for t in post.targets]
        floor = max(last_on[c] for c in conns if c in last_on)
        when = time_of(post)
        queues = [state(c, post.id) for c in conns]
        # A post moves when the one before it took its slot, or when its day or week is now
        # over a cap because of the posts pushed into it.
        if when <= floor or not all(q.accepts(when) for q in queues):
            own = settings[conns[0]]
            when = next((at for at in upcoming_slots(floor, own.timezone, own.slot_times())
                         if all(q.accepts(at) for q in queues)), floor)
            if when == floor:
                raise BadInput(f"Post {post.id} has no free slot to move to in the next year.")
            placed[post.id] = when
            moves.append((post, when))
        for c in conns:
            last_on[c] = max(last_on.get(c, when), when)
    return ShareNextPlan(at=start, moves=tuple(reversed(moves)))


async def apply_share_next(rt: Runtime, org_id: str, connection_ids: Sequence[str],
                           default_timezone: str | None, *, actor: str) -> datetime:
    """Make room as :func:`plan_share_next` says and return the freed first slot."""
    return (await make_room(rt, org_id, connection_ids, default_timezone, actor=actor)).at


async def make_room(rt: Runtime, org_id: str, connection_ids: Sequence[str],
                    default_timezone: str | None, *, actor: str,
                    moving: str | None = None) -> ShareNextPlan:
    """Push queued posts back as :func:`plan_share_next` says; the plan that was carried out.

    Each move is compare-and-swap; when a racer changed a post first, it plans again.
    """
    now = rt.clock.now()
    for _ in range(MAX_RACES):
        plan = await plan_share_next(rt, org_id, connection_ids, default_timezone,
                                     moving=moving)
        try:
            for post, when in plan.moves:
                moved = revise(post, at=now, scheduled_at=when,
                               due_at=None if post.due_at is None else when,
                               status_reason=f"pushed back to {when.isoformat()} by a post "
                                             "shared next")
                await rt.store.replace_post(
                    moved, expected_version=post.version, audit=[audit_event(
                        rt, org_id, actor, "post.queue_shifted", post.id,
                        previous_scheduled_at=_iso(post.scheduled_at),
                        scheduled_at=when.isoformat())])
        except Conflict:
            continue
        return plan
    raise Conflict("The queue kept changing while PostFlow made room; try again.",
                   details={"targets": list(connection_ids)})


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
