"""The sandbox's scripted failures, end to end in embedded mode: retried, refused, reconciled."""

from __future__ import annotations

from postflow.attempts import AttemptOutcome
from postflow.posts import Post, PostStatus
from postflow.providers import ErrorKind
from postflow.runtime import Runtime
from tests.e2e.conftest import Sender, make_sender
from tests.workers.scenario import post_in_status, published_records

FINAL = (PostStatus.PUBLISHED, PostStatus.FAILED, PostStatus.PARTIAL)


async def _send_and_settle(rt: Runtime, sender: Sender, text: str) -> Post:
    post_id = await sender.send(text)
    post = await rt.store.get_post(sender.account.org.id, post_id)
    return await post_in_status(rt, post, *FINAL, timeout=15)


async def test_a_rate_limited_post_is_retried_and_published_once(live_rt: Runtime,
                                                                  embedded: str) -> None:
    sender = await make_sender(live_rt, embedded)

    post = await _send_and_settle(live_rt, sender, "Busy day [sandbox:rate-limit]")

    assert post.status is PostStatus.PUBLISHED
    records = await live_rt.store.find_sandbox_posts(sender.account.connection.id)
    assert [r.outcome for r in records] == ["rejected", "published"]
    attempts = await live_rt.store.list_attempts(post.org_id, post.id)
    assert [a.outcome for a in attempts] == [AttemptOutcome.RETRY, AttemptOutcome.PUBLISHED]
    assert attempts[1].trigger == "scheduler"


async def test_a_rejected_post_fails_at_once_with_the_reason(live_rt: Runtime,
                                                             embedded: str) -> None:
    sender = await make_sender(live_rt, embedded)

    post = await _send_and_settle(live_rt, sender, "Not allowed [sandbox:reject]")

    assert post.status is PostStatus.FAILED
    assert "reject" in post.status_reason
    assert post.targets[0].error_kind == ErrorKind.BAD_INPUT.value
    [attempt] = await live_rt.store.list_attempts(post.org_id, post.id)
    assert attempt.outcome is AttemptOutcome.FAILED
    assert await published_records(live_rt, sender.account.connection.id) == []


async def test_a_lost_answer_is_reconciled_through_check_and_published_once(
        live_rt: Runtime, embedded: str) -> None:
    sender = await make_sender(live_rt, embedded)

    post = await _send_and_settle(live_rt, sender, "Into the void [sandbox:lost-answer]")

    assert post.status is PostStatus.PUBLISHED
    [record] = await published_records(live_rt, sender.account.connection.id)
    [attempt] = await live_rt.store.list_attempts(post.org_id, post.id)
    assert attempt.outcome is AttemptOutcome.RECONCILED
    assert attempt.platform_post_id == record.id == post.targets[0].platform_post_id
