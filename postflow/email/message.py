"""One email PostFlow sends, recorded in the store (record type ``outgoing_email``) before it
is handed to the ``email`` queue: the record is the truth, the queue message only names it.

``status`` moves PENDING -> SENT, REFUSED (a permanent refusal, or the address is suppressed)
or FAILED (transient failures until the attempts ran out). A worker *claims* a pending email
for a while (``claimed_until``) before it calls the transport, so a redelivered queue message
does nothing while another worker sends it, and nothing once it is sent.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postflow.clock import UtcDatetime


class EmailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: Refused for good (the server refused the recipient, SES rejected it, the address is
    #: suppressed): never tried again.
    REFUSED = "refused"
    #: Every attempt failed for a passing reason; given up.
    FAILED = "failed"


class OutgoingEmail(BaseModel):
    """A rendered email to one address, and what became of it."""

    model_config = ConfigDict(frozen=True)

    id: str
    #: The organization and member it is for ("" for neither: an invitation to an address).
    org_id: str = ""
    member_id: str = ""
    #: What kind of mail it is (``failures``, ``confirm_address``...): for logs and lists.
    kind: str
    #: At most one email per key is ever recorded (a digest's period): inserting a second
    #: raises Conflict. Defaults to the id.
    dedupe_key: str = ""
    to: str
    subject: str
    text: str
    html: str = ""
    #: Extra headers (``Message-ID``, ``List-Unsubscribe``...), in order.
    headers: dict[str, str] = Field(default_factory=dict)
    status: EmailStatus = EmailStatus.PENDING
    #: Times a worker claimed it to send.
    attempts: int = 0
    created_at: UtcDatetime
    #: A worker is sending it until then; None when nobody is.
    claimed_until: UtcDatetime | None = None
    sent_at: UtcDatetime | None = None
    #: The last failure: the transport's code or class name, never a body or a secret.
    error: str = ""
    #: The id the transport gave it (SES's MessageId), for bounce reports.
    transport_id: str = ""

    @model_validator(mode="before")
    @classmethod
    def _dedupe_by_id(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("dedupe_key"):
            return {**data, "dedupe_key": data.get("id", "")}
        return data

    @property
    def key(self) -> str:
        """The unique key it is recorded under."""
        return self.dedupe_key


class SuppressionReason(StrEnum):
    #: A permanent bounce (SES) or a 5xx refusal of the recipient (SMTP).
    BOUNCE = "bounce"
    #: The recipient marked a mail as spam.
    COMPLAINT = "complaint"
    #: The transport refused the message to this address for good.
    REFUSED = "refused"


class EmailSuppression(BaseModel):
    """An address PostFlow no longer mails."""

    model_config = ConfigDict(frozen=True)

    #: Lower-case, as :func:`address_key` gives it.
    address: str
    reason: SuppressionReason
    at: UtcDatetime
    #: What the transport or the bounce said (a code, a short diagnostic), never a body.
    detail: str = ""


def address_key(address: str) -> str:
    """How addresses are compared: trimmed and lower-case."""
    return address.strip().lower()
