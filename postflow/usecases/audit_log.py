"""Writing audit events from use cases."""

from __future__ import annotations

import itertools
import secrets
import time

from postflow.audit import AuditEvent, AuditValue
from postflow.runtime import Runtime

_sequence = itertools.count()


def _event_id() -> str:
    """An id that sorts in the order events were written by this process.

    Events written within one millisecond share ``at``, and the stores order ties by id: a
    random id would list "approved -> scheduled" before "draft -> approved".
    """
    return f"evt_{time.time_ns():020d}{next(_sequence) % 1_000_000:06d}{secrets.token_hex(4)}"


async def record(rt: Runtime, org_id: str, actor: str, action: str, subject_id: str,
                 **data: AuditValue) -> None:
    await rt.store.append_audit(AuditEvent(
        id=_event_id(), org_id=org_id, at=rt.clock.now(), actor=actor, action=action,
        subject_id=subject_id, data=data))
