"""The audit trail of an organization's records."""

from __future__ import annotations

from typing import Protocol

from postflow.audit import AuditEvent


class AuditRecords(Protocol):
    async def append_audit(self, event: AuditEvent) -> None: ...

    async def list_audit(self, org_id: str, subject_id: str | None = None,
                         limit: int = 200) -> list[AuditEvent]:
        """Oldest first."""
        ...
