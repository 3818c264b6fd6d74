"""A notice sink that remembers every post and connection it was told about, behind the real
router (so a failing sink is isolated and logged the way production's are)."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.connections import Connection
from postflow.notices.events import (
    ConnectionBroken,
    Notice,
    PostFailed,
    PostLate,
    PostPartiallyPublished,
    PostPublished,
    TokenExpiring,
)
from postflow.notices.router import NoticeRouter
from postflow.posts import Post

OUTCOMES: dict[type[Notice], str] = {PostPublished: "published",
                                     PostPartiallyPublished: "partial", PostFailed: "failed"}


@dataclass
class RecordingNotifier:
    late: list[Post] = field(default_factory=list)
    #: (event, post) for published, partially published and failed posts.
    outcomes: list[tuple[str, Post]] = field(default_factory=list)
    reconnects: list[Connection] = field(default_factory=list)
    #: (connection id, days left) for each expiry warning.
    expiring: list[tuple[str, int]] = field(default_factory=list)
    #: While set, every notice raises it, as a chat platform that is down would.
    failure: Exception | None = None
    name: str = "recording"

    async def notify(self, notice: Notice) -> None:
        """Through the router, as the runtime's notices."""
        await NoticeRouter([self]).notify(notice)

    def wants(self, notice: Notice) -> bool:
        return True

    async def deliver(self, notice: Notice) -> None:
        if self.failure is not None:
            raise self.failure
        match notice:
            case PostLate(post=post):
                self.late.append(post)
            case PostPublished() | PostPartiallyPublished() | PostFailed():
                self.outcomes.append((OUTCOMES[type(notice)], notice.post))
            case ConnectionBroken(connection=connection):
                self.reconnects.append(connection)
            case TokenExpiring(connection=connection, days_left=days_left):
                self.expiring.append((connection.id, days_left))

    def late_ids(self) -> list[str]:
        return [post.id for post in self.late]
