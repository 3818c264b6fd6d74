"""Emails recorded before they are sent (postflow/email/message.py), and the addresses no
longer mailed. Global, not per organization: the ``email`` queue's message names only the
email's id, and a bounce report names only the address."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from postflow.email.message import EmailStatus, EmailSuppression, OutgoingEmail


class OutgoingEmailRecords(Protocol):
    async def insert_outgoing_email(self, email: OutgoingEmail) -> None:
        """Record a pending email; Conflict when one with the same ``key`` (its dedupe key,
        or its id) is recorded already."""
        ...

    async def get_outgoing_email(self, email_id: str) -> OutgoingEmail:
        """Raises NotFound."""
        ...

    async def claim_outgoing_email(self, email_id: str, now: datetime,
                                   until: datetime) -> OutgoingEmail | None:
        """Take a pending email nobody holds (or whose hold ended by ``now``) until ``until``,
        counting one more attempt; the email as claimed, or None when it is not pending or
        someone else holds it. Of two racing claims, one wins."""
        ...

    async def finish_outgoing_email(self, email_id: str, status: EmailStatus, now: datetime,
                                    *, error: str = "", transport_id: str = "") -> None:
        """Set the final status (``sent_at`` is ``now`` when SENT) and drop the claim."""
        ...

    async def release_outgoing_email(self, email_id: str, error: str) -> None:
        """Drop the claim of an email still pending (a transient failure), saying why."""
        ...

    async def find_unsent_emails(self, created_before: datetime, now: datetime,
                                 limit: int) -> list[OutgoingEmail]:
        """Pending emails recorded before ``created_before`` that nobody holds at ``now``,
        oldest first (the sweep hands them to the queue again)."""
        ...

    async def list_outgoing_emails(self, org_id: str, limit: int) -> list[OutgoingEmail]:
        """The organization's emails, newest first."""
        ...

    async def find_recorded_email_keys(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` (dedupe keys) an email is recorded under, whatever its status."""
        ...


class EmailSuppressionRecords(Protocol):
    async def suppress_email_address(self, suppression: EmailSuppression) -> None:
        """Stop mailing ``suppression.address`` (replacing an earlier suppression of it)."""
        ...

    async def find_email_suppression(self, address: str) -> EmailSuppression | None:
        """The suppression of ``address`` (compared lower-case), if any."""
        ...

    async def lift_email_suppression(self, address: str) -> bool:
        """Mail ``address`` again (an operator's decision); False when it was not suppressed."""
        ...
