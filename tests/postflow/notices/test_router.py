"""The notice router: each notice reaches every sink that wants it, and a failing sink is
logged once without keeping the others from theirs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from postflow.notices.events import Notice, PlanLimitReached, PostLate, PostPublished
from postflow.notices.router import NoticeRouter
from postflow.notifications import LogSink
from postflow.posts import Post, PostSource, PostStatus, PostTarget
from tests.fakes.clock import ManualClock


@dataclass
class Sink:
    name: str
    kinds: tuple[type[Notice], ...]
    failure: Exception | None = None
    heard: list[Notice] = field(default_factory=list)

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, self.kinds)

    async def deliver(self, notice: Notice) -> None:
        if self.failure is not None:
            raise self.failure
        self.heard.append(notice)


def a_post(clock: ManualClock, status: PostStatus = PostStatus.PUBLISHED) -> Post:
    return Post(id="post_1", org_id="org_1", text="Secret launch text", status=status,
                targets=[PostTarget(connection_id="conn_1", network="sandbox")],
                source=PostSource(kind="cli"),
                created_at=clock.now(), updated_at=clock.now())


async def test_each_sink_hears_only_the_notices_it_wants(clock: ManualClock) -> None:
    chat = Sink("chat", (PostPublished, PostLate))
    billing = Sink("billing", (PlanLimitReached,))
    router = NoticeRouter([chat, billing])
    published = PostPublished(a_post(clock))
    limit = PlanLimitReached(organization_id="org_1", limit="posts_per_month",
                             message="Your Free plan allows 10 posts a month.")

    await router.notify(published)
    await router.notify(limit)

    assert chat.heard == [published] and billing.heard == [limit]


async def test_a_failing_sink_is_logged_once_and_the_next_sink_still_hears(
        clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    down = Sink("chat", (PostPublished,), failure=ConnectionError("token xoxb-secret"))
    email = Sink("email", (PostPublished,))
    caplog.set_level(logging.WARNING, logger="postflow.notices.router")

    await NoticeRouter([down, email]).notify(PostPublished(a_post(clock)))

    assert len(email.heard) == 1
    [line] = [r for r in caplog.records if r.name == "postflow.notices.router"]
    assert line.getMessage() == ("the chat sink could not say post.published about post_1 "
                                 "(organization org_1)")


async def test_the_log_sink_writes_ids_never_the_text(
        clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="postflow.notifications")

    await NoticeRouter([LogSink()]).notify(PostLate(a_post(clock, PostStatus.LATE)))
    await NoticeRouter([LogSink()]).notify(PlanLimitReached(
        organization_id="org_1", limit="posts_per_month", message="no more"))

    lines = [r.getMessage() for r in caplog.records if r.name == "postflow.notifications"]
    assert len(lines) == 2 and "post_1" in lines[0] and "posts_per_month" in lines[1]
    assert not any("Secret" in line for line in lines)
