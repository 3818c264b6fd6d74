"""What operators watch, measured from the store: how far the scheduler is behind, and the
health of the connected accounts."""

from __future__ import annotations

from postflow.runtime import Runtime
from postflow.usecases.admin import suspended_org_ids


async def scheduler_lag_seconds(rt: Runtime) -> float:
    """Now minus the due time of the oldest Scheduled post that is due (0 when none is);
    a suspended organization's posts wait on purpose and do not count."""
    now = rt.clock.now()
    due = await rt.store.next_due_at()
    if due is not None and due < now:  # only then can a suspended organization's posts matter
        due = await rt.store.next_due_at(excluding_orgs=await suspended_org_ids(rt))
    if due is None:
        return 0.0
    return max(0.0, (now - due).total_seconds())


async def connections_by_health(rt: Runtime) -> dict[tuple[str, str], int]:
    """How many connections each (network, status) has, across organizations."""
    counts: dict[tuple[str, str], int] = {}
    for org in await rt.store.list_organizations():
        for connection in await rt.store.list_connections(org.id):
            key = (connection.network, connection.status.value)
            counts[key] = counts.get(key, 0) + 1
    return counts
