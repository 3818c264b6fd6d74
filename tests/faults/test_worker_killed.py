"""A worker process killed with SIGKILL at each point of a publish, then a new worker started:
every post is published exactly once.

How each moment is forced, without guessing at timings:

- *before the call*: every concurrency slot of the network is taken by phantom holders, so the
  job waits at the gate (message taken, post Publishing with its attempt recorded, no request)
  — the kill lands there;
- *during the call*: the platform holds the request (having created the post or not) until the
  test releases it, and the kill lands while it is held;
- *after the answer, before the store write*: the platform creates the post and holds its 201;
  the test takes SQLite's write lock, releases the 201, and kills the worker while its first
  write after the answer (closing the attempt) waits on that lock;
- *after the store write*: a post with two targets; the first is published and saved, the
  platform holds the second's request, and the kill lands there.

The killed worker's unacknowledged message is put back on the queue at once (what Dramatiq's
maintenance does 15-25 s later) and consumed by the new worker: a stale message changes nothing.
The post itself comes back through the reconciler, which hands out posts left Queued or
Publishing for ``POSTFLOW_RECONCILE_AFTER_SECONDS`` (2 s here).
"""

from __future__ import annotations

import asyncio

import pytest

from postflow.attempts import AttemptOutcome
from postflow.posts import PostStatus, TargetStatus
from tests.fakes.loopback_network import NETWORK
from tests.fakes.platform_server import Fault
from tests.faults.harness import (
    Rig,
    assert_published_exactly_once,
    free_network_slots,
    messages_taken,
    outcomes,
    redeliver_dead_workers_messages,
    store_write_lock,
    take_every_network_slot,
)
from tests.workers.scenario import eventually

pytestmark = pytest.mark.faults

DONE_WITHIN = 20.0
#: After the platform handed its answer to the socket, how long the worker is given to read it
#: (on loopback, a millisecond) before the kill; meanwhile its next store write waits on the lock.
READ_ANSWER_SECONDS = 0.3

PUBLISHED, RECONCILED, RETRY, PENDING = (AttemptOutcome.PUBLISHED, AttemptOutcome.RECONCILED,
                                         AttemptOutcome.RETRY, AttemptOutcome.PENDING)


async def _replace_worker(rig: Rig) -> None:
    """Kill the running worker (SIGKILL), hand its taken message back to the queue, start
    another."""
    [running] = [w for w in rig.workers if w.alive]
    running.kill()
    assert await redeliver_dead_workers_messages(rig.redis_url) >= 1
    rig.start_worker()


async def test_killed_before_calling_the_platform(rig: Rig) -> None:
    account = await rig.new_account()
    holders = await take_every_network_slot(rig.redis_url, NETWORK)
    rig.start_worker()
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "killed at the gate")

    await eventually(lambda: _one_taken(rig), timeout=10, what="the worker taking the job")
    await asyncio.sleep(0.3)  # at the gate, polling for a slot
    assert rig.platform.received() == []
    assert (await rig.rt.store.get_post(post.org_id, post.id)).status is PostStatus.PUBLISHING
    [waiting] = await rig.rt.store.list_attempts(post.org_id, post.id)
    assert waiting.outcome is PENDING
    await _replace_worker(rig)
    await free_network_slots(rig.redis_url, NETWORK, holders)

    await rig.all_final([post], timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, [post])
    # The cut-off attempt is checked with the platform (nothing there), then one call.
    assert [outcome for _, outcome in await outcomes(rig.rt, post)] == [
        RETRY, PUBLISHED]


async def _one_taken(rig: Rig) -> bool:
    return await messages_taken(rig.redis_url, "publish") == 1


async def test_killed_during_a_call_that_created_nothing(rig: Rig) -> None:
    account = await rig.new_account()
    rig.platform.script(Fault.hang_without_create())
    rig.start_worker()
    await rig.worker_consuming()  # the first attempt is the scheduler's
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "killed mid-call, not created")

    await rig.requests(1)
    await _replace_worker(rig)
    rig.platform.release()  # the platform answers a dead connection; it created nothing

    await rig.all_final([post], timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, [post])
    # The cut-off attempt was checked with the platform (not found) before the new call.
    assert await outcomes(rig.rt, post) == [("scheduler", RETRY), ("reconciler", PUBLISHED)]
    assert len(rig.platform.received()) == 2


async def test_killed_during_a_call_that_created_the_post(rig: Rig) -> None:
    account = await rig.new_account()
    rig.platform.script(Fault.hang_after_create())
    rig.start_worker()
    await rig.worker_consuming()  # the first attempt is the scheduler's
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "killed mid-call, created")

    await rig.requests(1)
    await _replace_worker(rig)

    await rig.all_final([post], timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, [post])
    # Found by the check under the first attempt's id: no second call.
    assert await outcomes(rig.rt, post) == [("scheduler", RECONCILED)]
    assert len(rig.platform.received()) == 1


async def test_killed_after_the_answer_before_the_store_write(rig: Rig) -> None:
    account = await rig.new_account()
    rig.platform.script(Fault.hang_after_create())
    worker = rig.start_worker()
    await rig.worker_consuming()  # the first attempt is the scheduler's
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "killed before writing the answer")

    await rig.requests(1)
    with store_write_lock(rig.settings.sqlite_path):
        rig.platform.release()
        await eventually(lambda: rig.platform.received()[0].answered_at, timeout=5,
                         interval=0.01, what="the platform's 201 going out")
        await asyncio.sleep(READ_ANSWER_SECONDS)
        worker.kill()
    # The answer never reached the store: the attempt is open, the target mid-publish.
    [attempt] = await rig.rt.store.list_attempts(post.org_id, post.id)
    stored = await rig.current(post)
    assert (attempt.outcome, stored.targets[0].status) == (PENDING, TargetStatus.PUBLISHING)
    assert await redeliver_dead_workers_messages(rig.redis_url) >= 1
    rig.start_worker()

    await rig.all_final([post], timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, [post])
    assert await outcomes(rig.rt, post) == [("scheduler", RECONCILED)]
    assert len(rig.platform.received()) == 1


async def test_killed_after_the_store_write(rig: Rig) -> None:
    account = await rig.new_account()
    second = await rig.new_account(account.org)
    rig.platform.script(Fault(), Fault.hang_without_create())
    rig.start_worker()
    await rig.worker_consuming()  # the first attempt is the scheduler's
    rig.start_scheduler()
    [post] = await rig.submit(account, 1, "killed after one target was saved", second)

    await rig.requests(2)
    saved = await rig.current(post)
    assert sorted(t.status for t in saved.targets) == sorted(
        [TargetStatus.PUBLISHED, TargetStatus.PUBLISHING])
    await _replace_worker(rig)
    rig.platform.release()

    await rig.all_final([post], timeout=DONE_WITHIN)
    await rig.queues_drained()
    await assert_published_exactly_once(rig, [post])
    attempts = await rig.rt.store.list_attempts(post.org_id, post.id)
    per_target = sorted([(a.trigger, a.outcome) for a in attempts
                         if a.connection_id == target.connection_id]
                        for target in saved.targets)
    # The saved target is never called again; the cut-off one is checked, then called once.
    assert per_target == sorted([[("scheduler", PUBLISHED)],
                                 [("scheduler", RETRY), ("reconciler", PUBLISHED)]])
    assert len(rig.platform.received()) == 3
