"""Writing audit events from use cases."""

from __future__ import annotations

from postflow.audit import AuditEvent, AuditValue
from postflow.ids import new_id
from postflow.runtime import Runtime


async def record(rt: Runtime, org_id: str, actor: str, action: str, subject_id: str,
                 **data: AuditValue) -> None:
    await rt.store.append_audit(AuditEvent(
        id=new_id("evt"), org_id=org_id, at=rt.clock.now(), actor=actor, action=action,
        subject_id=subject_id, data=data))
