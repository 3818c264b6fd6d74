"""The email ports: how an email leaves (a transport: SMTP, Amazon SES, the outbox folder),
how its body is rendered (templates), and where a recorded email is handed to be sent (the
``email`` queue). Their adapters are built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from postflow.email.content import EmailContent, RenderedBody
from postflow.email.message import OutgoingEmail


class EmailSendError(Exception):
    """Raised by a transport when an email did not leave; ``code`` is the server's code or
    the error's class name (safe to log: never a body, an address list or a secret)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class TransientEmailError(EmailSendError):
    """Worth another try later: the server could not be reached, a 4xx, a throttle."""


class EmailRefusedError(EmailSendError):
    """Refused for good (a 5xx refusal of the recipient, SES's MessageRejected): never sent
    again, and the address is marked failing."""


class EmailTransport(Protocol):
    """Sends one email; raises :class:`TransientEmailError` or :class:`EmailRefusedError`."""

    #: For logs and ``postflow up``: ``smtp``, ``ses``, ``outbox``.
    name: str

    async def send(self, email: OutgoingEmail) -> str:
        """Send ``email`` from the configured sender; the transport's id for it (or "")."""
        ...

    def describe(self) -> str:
        """Where mail goes, for a person (never a password)."""
        ...


class EmailRenderer(Protocol):
    """Lays :class:`EmailContent` out as a text part and an HTML part (one layout)."""

    def render(self, content: EmailContent) -> RenderedBody: ...


class EmailQueue(Protocol):
    """Where a recorded email is handed to be sent: the ``email`` Dramatiq queue, or at once
    in a process without a worker (a CLI command)."""

    async def enqueue(self, email_id: str) -> None:
        """May raise when the broker is down: the email stays recorded as pending and the
        scheduler's sweep hands it out again."""
        ...


@dataclass(frozen=True)
class Mail:
    """A process's email side, built by the composition root (``composition/email.py``)."""

    #: The From address (``POSTFLOW_EMAIL_FROM``).
    sender: str
    transport: EmailTransport
    renderer: EmailRenderer
    queue: EmailQueue
    #: Where links in mails point (``POSTFLOW_PUBLIC_URL``), without a trailing slash.
    public_url: str

    def link(self, path: str) -> str:
        """An absolute link to ``path`` on the hub."""
        return f"{self.public_url}/{path.lstrip('/')}"

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2].rstrip(">").strip() or "postflow.invalid"
