"""The one router every notice goes through: each sink that wants a notice gets it, and a sink
that fails is logged once (kind, record, sink; never the text or a token) without keeping the
others from theirs or the caller from going on. What the notice says is stored before it is
sent, so a notice lost here changes nothing else."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from postflow.notices.events import Notice

log = logging.getLogger(__name__)


class NoticeSink(Protocol):
    """A place notices go: a chat platform, the log; later email, outbound webhooks."""

    #: For the log: ``slack``, ``log``.
    name: str

    def wants(self, notice: Notice) -> bool:
        """Whether this sink handles ``notice``'s kind."""
        ...

    async def deliver(self, notice: Notice) -> None:
        """Say ``notice``; may raise, the router logs it."""
        ...


class Notices(Protocol):
    """What the use cases hold: hand a notice on, never raise."""

    async def notify(self, notice: Notice) -> None: ...


class NoticeRouter:
    """Gives each notice to every sink that wants it, in the order they were registered."""

    def __init__(self, sinks: Sequence[NoticeSink]) -> None:
        self.sinks = tuple(sinks)

    async def notify(self, notice: Notice) -> None:
        for sink in self.sinks:
            try:
                if sink.wants(notice):
                    await sink.deliver(notice)
            except Exception:
                log.warning("the %s sink could not say %s about %s (organization %s)",
                            sink.name, notice.kind, notice.subject, notice.org_id,
                            exc_info=True)
