"""A Dramatiq worker whose jobs run as tasks on the actors' event loop, not one thread each.

Dramatiq's :class:`~dramatiq.Worker` hands each message to one of N worker threads, and each
thread, for an ``async def`` actor, hands the coroutine to the AsyncIO middleware's event loop
and blocks until it is done. Every job thus crosses threads four times (consumer -> worker
thread -> loop -> worker thread, then its ack), and N threads contend for the GIL: measured,
a no-op job cost ~560 us of CPU, ~40 % of it in the kernel (docs/performance.md).

:class:`LoopWorker` keeps everything of Dramatiq's worker except those threads: its consumer
threads (fetching, prefetch, heartbeats, delayed messages), its work queue, its start and stop
sequence (in-memory messages requeued at stop), and every middleware hook. What the worker
threads did is done by :class:`_LoopRunner`:

- a job is a task on the actors' loop, at most ``concurrency`` at once;
- the actor's ``time_limit`` is an ``asyncio.timeout`` (Dramatiq's TimeLimit middleware raises
  into a worker *thread*, which would hit the loop here; it is not installed), and a job over
  it fails with Dramatiq's own ``TimeLimitExceeded``, so Retries treats it as before;
- ``after_process_message`` and the ack (both may call Redis: Retries re-enqueues a failed job)
  run on one finisher thread, in order, never on the loop.

Only ``async def`` actors run here (PostFlow's are); a plain function is refused with a clear
error rather than blocking the loop.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import dramatiq
import redis
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.errors import RateLimitExceeded, Retry
from dramatiq.middleware import SkipMessage
from dramatiq.middleware.time_limit import TimeLimitExceeded
from dramatiq.worker import ConsumerThread, _WorkQueueItem

log = logging.getLogger(__name__)

#: The longest a job may run when neither its message nor its actor sets ``time_limit``
#: (Dramatiq's TimeLimit default: 10 minutes).
DEFAULT_TIME_LIMIT_MS = 600_000
#: The most finished jobs acknowledged in one Redis round trip.
ACK_BATCH = 256


@runtime_checkable
class BatchAcker(Protocol):
    """A broker that acknowledges several messages of a queue in one round trip."""

    def ack_many(self, queue_name: str, redis_message_ids: Sequence[str]) -> None: ...


class TimeLimitOption(dramatiq.Middleware):
    """Declares the ``time_limit`` actor option, which :class:`LoopWorker` enforces itself."""

    @property
    def actor_options(self) -> set[str]:
        return {"time_limit"}


class _WakingWorkQueue(queue.PriorityQueue[_WorkQueueItem]):
    """Dramatiq's work queue that also tells the loop when a message arrives.

    The consumer threads put messages here; one wake-up is scheduled on the loop per burst, not
    one per message (each ``call_soon_threadsafe`` writes to the loop's self-pipe).
    """

    def __init__(self) -> None:
        super().__init__()
        self.on_put: Callable[[], None] | None = None

    def put(self, item: _WorkQueueItem, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        on_put = self.on_put
        if on_put is not None:
            on_put()


class _LoopRunner:
    """Stands in for Dramatiq's worker threads (it is joined and stopped like them)."""

    def __init__(self, broker: dramatiq.Broker, consumers: dict[str, ConsumerThread],
                 work_queue: _WakingWorkQueue, concurrency: int,
                 loop: asyncio.AbstractEventLoop) -> None:
        self._broker = broker
        self._acker = broker if isinstance(broker, BatchAcker) else None
        self._consumers = consumers
        self._work_queue = work_queue
        self._concurrency = concurrency
        self._loop = loop
        self._running = 0
        self._stopping = False
        self._wake_scheduled = False
        self._functions: dict[str, Callable[..., Any]] = {}  # actor name -> its async def
        self._idle = threading.Event()
        self._finished: queue.SimpleQueue[tuple[dramatiq.MessageProxy, Any, BaseException | None]
                                          | None] = queue.SimpleQueue()
        self._finisher = threading.Thread(target=self._finish_loop, name="postflow-finisher",
                                          daemon=True)

    # -- lifecycle (called from Dramatiq's Worker, on its thread) -------------------------------
    def start(self) -> None:
        self._finisher.start()
        self._work_queue.on_put = self._schedule_wake
        self._schedule_wake()  # messages may already be waiting

    def stop(self) -> None:
        """Take no new message; jobs in flight finish (``join`` waits for them)."""
        self._work_queue.on_put = None
        self._loop.call_soon_threadsafe(self._begin_stop)

    def join(self, timeout: float | None = None) -> None:
        """Wait (up to ``timeout`` seconds) for the jobs in flight, then for their acks."""
        finished_in_time = self._idle.wait(timeout)
        if not finished_in_time:
            log.warning("%d jobs were still running at the stop timeout; their messages stay "
                        "unacknowledged and come back to a live worker", self._running)
        self._finished.put(None)
        self._finisher.join()

    # -- taking messages (on the loop) ------------------------------------------------------------
    def _schedule_wake(self) -> None:
        # Called by consumer threads. A put that sees the flag already set is taken by the
        # pending wake: the loop clears the flag before it drains the queue.
        if not self._wake_scheduled:
            self._wake_scheduled = True
            self._loop.call_soon_threadsafe(self._on_wake)

    def _on_wake(self) -> None:
        self._wake_scheduled = False
        self._take_messages()

    def _take_messages(self) -> None:
        while not self._stopping and self._running < self._concurrency:
            try:
                item = self._work_queue.get_nowait()
            except queue.Empty:
                return
            self._running += 1
            self._loop.create_task(self._process(item.message))

    def _begin_stop(self) -> None:
        self._stopping = True
        if self._running == 0:
            self._idle.set()

    async def _process(self, message: dramatiq.MessageProxy) -> None:
        result: Any = None
        exception: BaseException | None = None
        try:
            result = await self._run_actor(message)
        except asyncio.CancelledError:
            # Only the loop's shutdown cancels a job: its message stays unacknowledged and a
            # live worker gets it again (as with a worker thread abandoned at the stop timeout).
            raise
        except BaseException as error:  # every outcome goes to the middleware
            exception = error
        self._finished.put((message, result, exception))
        self._running -= 1
        if not self._stopping:
            self._take_messages()
        elif self._running == 0:
            self._idle.set()

    async def _run_actor(self, message: dramatiq.MessageProxy) -> Any:
        log.debug("Received message %s with id %r.", message, message.message_id)
        self._broker.emit_before("process_message", message)
        if message.failed:
            return None
        actor = self._broker.get_actor(message.actor_name)
        coroutine_function = self._functions.get(actor.actor_name)
        if coroutine_function is None:
            coroutine_function = self._functions[actor.actor_name] = _coroutine_function(actor)
        limit_ms = (message.options.get("time_limit") or actor.options.get("time_limit")
                    or DEFAULT_TIME_LIMIT_MS)
        try:
            async with asyncio.timeout(limit_ms / 1000):
                return await coroutine_function(*message.args, **message.kwargs)
        except TimeoutError as error:
            raise TimeLimitExceeded(f"{actor.actor_name} ran longer than its time limit of "
                                    f"{limit_ms} ms") from error

    # -- after each job (on the finisher thread) --------------------------------------------------
    def _finish_loop(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._finished.get()]
            while len(batch) < ACK_BATCH:
                try:
                    batch.append(self._finished.get_nowait())
                except queue.Empty:
                    break
            done = [item for item in batch if item is not None]
            stopping = len(done) < len(batch)
            for message, result, exception in done:
                try:
                    self._after_process(message, result, exception)
                except Exception:  # a bug here must not stop every later ack
                    log.exception("after processing %s", message)
            self._post_process([message for message, _, _ in done])
            for message, _, _ in done:
                self._work_queue.task_done()
                message.clear_exception()

    def _post_process(self, messages: list[dramatiq.MessageProxy]) -> None:
        """Ack (or dead-letter) ``messages``: the acks of a Redis queue in one round trip."""
        acker = self._acker
        by_queue: dict[str, list[dramatiq.MessageProxy]] = {}
        for message in messages:
            if message.failed or acker is None:
                self._consumers[message.queue_name].post_process_message(message)
            else:
                by_queue.setdefault(message.queue_name, []).append(message)
        if acker is None:
            return
        for queue_name, acked in by_queue.items():
            consumer = self._consumers[queue_name]
            for message in acked:
                self._broker.emit_before("ack", message)
            try:
                acker.ack_many(queue_name, [message.options["redis_message_id"]
                                            for message in acked])
            except redis.ConnectionError:
                # One at a time, each retried by Dramatiq until Redis is back (an ack of the
                # batch that did reach Redis is harmless to send again).
                for message in acked:
                    consumer.post_process_message(message)
                continue
            held = getattr(consumer.consumer, "queued_message_ids", None)
            for message in acked:
                if held is not None:
                    held.discard(message.message_id)  # no longer counts against the prefetch
                self._broker.emit_after("ack", message)

    def _after_process(self, message: dramatiq.MessageProxy, result: Any,
                       exception: BaseException | None) -> None:
        if exception is None:
            self._broker.emit_after("process_message", message, result=result)
            return
        if isinstance(exception, SkipMessage):
            log.warning("Message %s was skipped.", message)
            self._broker.emit_after("skip_message", message)
            return
        message.stuff_exception(exception)
        actor = self._broker.get_actor(message.actor_name)
        throws = message.options.get("throws") or actor.options.get("throws")
        if isinstance(exception, RateLimitExceeded):
            log.debug("Rate limit exceeded in message %s: %s.", message, exception)
        elif throws and isinstance(exception, throws):
            log.info("Failed to process message %s with expected exception %s.", message,
                     type(exception).__name__)
        elif not isinstance(exception, Retry):
            log.error("Failed to process message %s with unhandled exception.", message,
                      exc_info=exception)
        try:  # Retries records the traceback of the exception being handled
            raise exception
        except BaseException:
            self._broker.emit_after("process_message", message, exception=exception)


def _coroutine_function(actor: dramatiq.Actor[..., Any]) -> Callable[..., Any]:
    """The ``async def`` behind ``actor`` (Dramatiq wraps it to run it from a thread)."""
    function = getattr(actor.fn, "__wrapped__", None)
    if function is None or not asyncio.iscoroutinefunction(function):
        raise TypeError(f"Actor {actor.actor_name!r} is not an async function; PostFlow's "
                        "worker runs async actors only.")
    return function  # type: ignore[no-any-return]


class LoopWorker(dramatiq.Worker):
    """Dramatiq's Worker with its jobs run as tasks on the AsyncIO middleware's loop.

    ``concurrency`` is how many jobs run at once; ``prefetch`` how many messages per queue it
    holds unacknowledged (in flight plus waiting).
    """

    def __init__(self, broker: dramatiq.Broker, *, concurrency: int, prefetch: int,
                 worker_timeout: int) -> None:
        super().__init__(broker, worker_timeout=worker_timeout, worker_threads=1)
        self.queue_prefetch = prefetch
        self.work_queue = _WakingWorkQueue()
        self._concurrency = concurrency

    def start(self) -> None:
        for actor in self.broker.actors.values():
            _coroutine_function(actor)  # refuse a plain function before anything starts
        super().start()

    def _add_worker(self) -> None:
        loop_thread = get_event_loop_thread()
        if loop_thread is None:
            raise RuntimeError("LoopWorker needs Dramatiq's AsyncIO middleware on the broker.")
        assert isinstance(self.work_queue, _WakingWorkQueue)
        runner = _LoopRunner(self.broker, self.consumers, self.work_queue, self._concurrency,
                             loop_thread.loop)
        runner.start()
        self.workers.append(runner)  # type: ignore[arg-type]  # joined and stopped like a thread
