"""The audit trail of an organization's records."""

from __future__ import annotations

from typing import Protocol

from postflow.audit import AuditEvent
from postflow.pages import PageAfter


class AuditRecords(Protocol):
    async def append_audit(self, event: AuditEvent) -> None: ...

    async def list_audit(self, org_id: str, subject_id: str | None = None,
                         limit: int = 200) -> list[AuditEvent]:
        """Oldest first."""
        ...

    async def list_recent_audit(self, org_id: str, *, offset: int = 0,
                                limit: int = 20) -> list[AuditEvent]:
        """One page of the organization's events, newest first (by ``at``, then id)."""
        ...

    async def list_audit_page(self, org_id: str, *, subject_id: str | None,
                              after: PageAfter | None, limit: int) -> list[AuditEvent]:
        """Up to ``limit`` events, newest first by (at, id), strictly after ``after``."""
        ...
