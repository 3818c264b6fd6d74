"""Addresses that bounced for good or complained: never mailed again (a suppression each)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from postflow.clock import Clock
from postflow.email.message import EmailSuppression, SuppressionReason
from postflow.store.records.outgoing_emails import EmailSuppressionRecords

log = logging.getLogger(__name__)


async def suppress_addresses(store: EmailSuppressionRecords, clock: Clock,
                             addresses: Sequence[str], reason: SuppressionReason,
                             detail: str = "") -> int:
    """Stop mailing each of ``addresses``; how many."""
    for address in addresses:
        await store.suppress_email_address(EmailSuppression(
            address=address, reason=reason, at=clock.now(), detail=detail))
    if addresses:
        log.info("stopped mailing %d address(es) after a %s", len(addresses), reason.value)
    return len(addresses)
