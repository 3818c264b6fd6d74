"""Audit events read back in the order they were written."""

from __future__ import annotations

from postflow.runtime import Runtime
from postflow.usecases.audit_log import record


async def test_events_written_at_the_same_instant_list_in_write_order(rt: Runtime) -> None:
    for n in range(30):
        await record(rt, "org_1", "cli", "post.status_changed", "post_1", step=n)

    events = await rt.store.list_audit("org_1")

    assert [e.data["step"] for e in events] == list(range(30))
    assert len({e.at for e in events}) == 1
