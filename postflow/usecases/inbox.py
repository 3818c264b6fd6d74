"""Members' notification centers: the latest notices of a member (unread first), marking them
all read, naming a member from the shell, and the scheduler's retention pass that deletes
notices older than ``POSTFLOW_NOTICE_RETENTION_DAYS``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from postflow.chat_actors import read_chat_actor
from postflow.errors import BadInput, NotFound
from postflow.inbox import InboxEntry
from postflow.organizations import Member
from postflow.runtime import Runtime

#: How often the scheduler runs the retention pass; the retention is counted in days.
RUN_EVERY = timedelta(hours=1)
#: Entries deleted per store query, and at most this many queries per pass (the rest wait).
BATCH = 500
MAX_BATCHES = 20
#: The most entries one listing shows.
MAX_SHOWN = 200


@dataclass(frozen=True)
class InboxView:
    """A member's latest notices, the unread ones first (each group newest first)."""

    entries: list[InboxEntry]
    unread: int


async def latest_notices(rt: Runtime, org_id: str, member_id: str, *, limit: int = 10,
                         unread_only: bool = False) -> InboxView:
    """Up to ``limit`` of the member's notices: the unread first, then the latest read ones."""
    limit = max(0, min(limit, MAX_SHOWN))
    unread = await rt.store.list_inbox_entries(org_id, member_id, unread_only=True,
                                               limit=limit)
    entries = list(unread)
    if not unread_only and len(entries) < limit:
        latest = await rt.store.list_inbox_entries(org_id, member_id, limit=limit)
        entries += [e for e in latest if not e.unread][:limit - len(entries)]
    count = await rt.store.count_unread_inbox_entries(org_id, member_id)
    return InboxView(entries=entries, unread=count)


async def organization_notices(rt: Runtime, org_id: str, *, limit: int = 50,
                               unread_only: bool = False) -> list[tuple[Member, InboxEntry]]:
    """The latest notices of every member of the organization, newest first, each with the
    member who received it."""
    limit = max(0, min(limit, MAX_SHOWN))
    found: list[tuple[Member, InboxEntry]] = []
    for member in await rt.store.list_members(org_id):
        found += [(member, e) for e in await rt.store.list_inbox_entries(
            org_id, member.id, unread_only=unread_only, limit=limit)]
    found.sort(key=lambda pair: (pair[1].created_at, pair[1].id), reverse=True)
    return found[:limit]


async def mark_all_read(rt: Runtime, org_id: str, member_id: str) -> int:
    """Mark every unread notice of the member read, now; how many were unread."""
    return await rt.store.mark_inbox_read(org_id, member_id, rt.clock.now())


async def member_named(rt: Runtime, org_id: str, ref: str) -> Member:
    """The member of the organization ``ref`` names: a member id (``mem_…``) or a chat
    identity as records name people (``slack:T123:U456``, ``discord:<guild>:<user>``)."""
    ref = ref.strip()
    identity = read_chat_actor(ref)
    if identity is not None and identity.workspace_id:
        member = await rt.store.find_member(org_id, identity.platform, identity.workspace_id,
                                            identity.user_id)
    elif identity is None and ref:
        member = next((m for m in await rt.store.list_members(org_id) if m.id == ref), None)
    else:
        raise BadInput(f"{ref!r} does not name a member: pass a member id or a chat identity "
                       "with its workspace, such as slack:T123:U456.", details={"member": ref})
    if member is None:
        raise NotFound(f"No member {ref!r} in this organization.", details={"member": ref})
    return member


async def delete_old_notices(rt: Runtime) -> int:
    """Delete the notices older than the retention, in every organization; how many."""
    cutoff = rt.clock.now() - timedelta(days=rt.settings.notice_retention_days)
    deleted = 0
    for _ in range(MAX_BATCHES):
        batch = await rt.store.purge_inbox_entries(cutoff, BATCH)
        deleted += batch
        if batch < BATCH:
            break
    return deleted
