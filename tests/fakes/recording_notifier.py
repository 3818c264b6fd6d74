"""A Notifier that remembers every post it was told about."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.posts import Post


@dataclass
class RecordingNotifier:
    late: list[Post] = field(default_factory=list)
    #: While set, every notice raises it, as a chat platform that is down would.
    failure: Exception | None = None

    async def post_late(self, post: Post) -> None:
        if self.failure is not None:
            raise self.failure
        self.late.append(post)

    def late_ids(self) -> list[str]:
        return [post.id for post in self.late]
