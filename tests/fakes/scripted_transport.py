"""An email transport tests script: each send takes the next scripted failure (or succeeds),
and what was sent is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.email.message import OutgoingEmail


@dataclass
class ScriptedTransport:
    name: str = "scripted"
    #: Raised in order, one per send; an empty script sends.
    failures: list[Exception] = field(default_factory=list)
    sent: list[OutgoingEmail] = field(default_factory=list)
    calls: int = 0

    def describe(self) -> str:
        return "kept in memory by a test"

    async def send(self, email: OutgoingEmail) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(email)
        return f"scripted-{len(self.sent)}"


@dataclass
class RecordingEmailQueue:
    """The ``email`` queue as a list of the ids handed to it."""

    enqueued: list[str] = field(default_factory=list)
    broken: bool = False

    async def enqueue(self, email_id: str) -> None:
        if self.broken:
            raise ConnectionError("broker down")
        self.enqueued.append(email_id)
