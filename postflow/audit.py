"""The append-only audit log: who did what to which record, and when."""

from __future__ import annotations

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime

AuditValue = str | int | float | bool | None


class AuditEvent(BaseModel):
    id: str
    org_id: str
    at: UtcDatetime
    #: Who or what acted: ``hook:<id>``, ``cli``, ``scheduler``, ``worker``,
    #: ``slack:<team>:<user>`` (see :mod:`postflow.chat_actors`).
    actor: str
    #: Dotted verb such as ``post.created`` or ``post.status_changed``.
    action: str
    subject_id: str
    data: dict[str, AuditValue] = Field(default_factory=dict)
