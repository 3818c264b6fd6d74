"""A misbehaving platform: rate limits, outages, slow answers and lost answers, each published
exactly once by a real worker process through real Redis."""

from __future__ import annotations

import pytest

from postflow.attempts import AttemptOutcome
from tests.fakes.platform_server import Fault
from tests.faults.harness import Rig, assert_published_exactly_once, outcomes

pytestmark = pytest.mark.faults

RETRY_AFTER = 1.5
#: A call that had passed the gate when the 429 was answered may still arrive just after it.
IN_FLIGHT_SLACK = 0.2
DONE_WITHIN = 20.0
#: Longer than the loopback client waits (tests/faults/conftest.py).
SLOW_SECONDS = 1.5

RETRY, PUBLISHED, RECONCILED, NOT_SENT = (AttemptOutcome.RETRY, AttemptOutcome.PUBLISHED,
                                          AttemptOutcome.RECONCILED, AttemptOutcome.NOT_SENT)


async def _run(rig: Rig, count: int, label: str, *faults: Fault) -> list[list[AttemptOutcome]]:
    """Script ``faults``, publish ``count`` posts, check them; return each post's outcomes."""
    account = await rig.new_account()
    rig.platform.script(*faults)
    rig.start_worker()
    rig.start_scheduler()
    posts = await rig.submit(account, count, label)
    await rig.all_final(posts, timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, posts)
    return [[outcome for _, outcome in await outcomes(rig.rt, post)] for post in posts]


async def test_a_rate_limit_is_waited_out_and_every_post_goes_out_once(rig: Rig) -> None:
    per_post = await _run(rig, 5, "rate limited", Fault.rate_limited(1, RETRY_AFTER))

    [limited] = [r for r in rig.platform.received() if r.status == 429]
    assert limited.answered_at is not None
    too_soon = [r for r in rig.platform.received()
                if limited.answered_at + IN_FLIGHT_SLACK < r.arrived_at
                < limited.answered_at + RETRY_AFTER]
    assert not too_soon, "the account was called again before its Retry-After ran out"
    # One post met the 429; the others either went out before it or were held back by the
    # cool-down before their call (a not-sent attempt), then published.
    called = [[o for o in outcomes_ if o is not NOT_SENT] for outcomes_ in per_post]
    assert sorted(called, key=len)[-1] == [RETRY, PUBLISHED]
    assert sorted(len(o) for o in called) == [1, 1, 1, 1, 2]


async def test_the_limited_posts_next_attempt_waits_for_retry_after(rig: Rig) -> None:
    account = await rig.new_account()
    rig.platform.script(Fault.rate_limited(1, RETRY_AFTER))
    rig.start_worker()
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "one rate limited")
    await rig.all_final([post], timeout=DONE_WITHIN)
    await assert_published_exactly_once(rig, [post])

    first, second = await rig.rt.store.list_attempts(post.org_id, post.id)
    assert (first.outcome, first.error_kind, second.outcome) == (RETRY, "retry_after", PUBLISHED)
    assert first.finished_at is not None
    assert (second.started_at - first.finished_at).total_seconds() >= RETRY_AFTER


async def test_a_burst_of_503s_is_retried_and_every_post_goes_out_once(rig: Rig) -> None:
    per_post = await _run(rig, 5, "unavailable", Fault.unavailable(8))

    assert len([r for r in rig.platform.received() if r.status == 503]) == 8
    assert sum(o.count(RETRY) for o in per_post) == 8
    assert all(o[-1] is PUBLISHED and set(o[:-1]) <= {RETRY} for o in per_post), per_post


async def test_a_slow_answer_that_created_the_post_is_reconciled_not_repeated(rig: Rig) -> None:
    per_post = await _run(rig, 4, "slow, created", Fault.slow(2, SLOW_SECONDS, creates=True))

    assert sorted(per_post) == sorted([[PUBLISHED]] * 2 + [[RECONCILED]] * 2)


async def test_a_slow_answer_that_created_nothing_is_published_again_once(rig: Rig) -> None:
    per_post = await _run(rig, 4, "slow, not created", Fault.slow(2, SLOW_SECONDS, creates=False))

    assert sorted(per_post) == sorted([[PUBLISHED]] * 2 + [[RETRY, PUBLISHED]] * 2)


async def test_a_post_created_then_answered_502_is_reconciled_not_repeated(rig: Rig) -> None:
    per_post = await _run(rig, 4, "created then 502", Fault.created_then_error(2, 502))

    assert len([r for r in rig.platform.received() if r.status == 502]) == 2
    assert sorted(per_post) == sorted([[PUBLISHED]] * 2 + [[RECONCILED]] * 2)
