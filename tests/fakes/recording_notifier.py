"""A Notifier that remembers every post it was told about."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.connections import Connection
from postflow.posts import Post


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

    async def post_late(self, post: Post) -> None:
        if self.failure is not None:
            raise self.failure
        self.late.append(post)

    async def post_published(self, post: Post) -> None:
        self.outcomes.append(("published", post))

    async def post_partially_published(self, post: Post) -> None:
        self.outcomes.append(("partial", post))

    async def post_failed(self, post: Post) -> None:
        self.outcomes.append(("failed", post))

    async def connection_needs_reconnect(self, connection: Connection, reason: str) -> None:
        self.reconnects.append(connection)

    async def token_expiring(self, connection: Connection, days_left: int) -> None:
        self.expiring.append((connection.id, days_left))

    def late_ids(self) -> list[str]:
        return [post.id for post in self.late]
