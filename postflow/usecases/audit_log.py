"""Writing audit events from use cases."""

from __future__ import annotations

from postflow.audit import AuditEvent, AuditValue
from postflow.ids import new_sortable_id
from postflow.runtime import Runtime


def audit_event(rt: Runtime, org_id: str, actor: str, action: str, subject_id: str,
                **data: AuditValue) -> AuditEvent:
    """Build an event stamped now, for writing together with the record it is about."""
    return AuditEvent(id=new_sortable_id("evt"), org_id=org_id, at=rt.clock.now(), actor=actor,
                      action=action, subject_id=subject_id, data=data)


async def record(rt: Runtime, org_id: str, actor: str, action: str, subject_id: str,
                 **data: AuditValue) -> None:
    await rt.store.append_audit(audit_event(rt, org_id, actor, action, subject_id, **data))
