"""Publish attempts: one per call to a network, recorded before the call."""

from __future__ import annotations

from typing import Protocol

from postflow.attempts import PublishAttempt


class AttemptRecords(Protocol):
    async def insert_attempt(self, attempt: PublishAttempt) -> None:
        """Raises Conflict when the attempt id exists."""
        ...

    async def finish_attempt(self, attempt: PublishAttempt) -> None:
        """Close a pending attempt with its outcome; Conflict if it was closed already."""
        ...

    async def list_attempts(self, org_id: str, post_id: str) -> list[PublishAttempt]:
        """Oldest first."""
        ...
