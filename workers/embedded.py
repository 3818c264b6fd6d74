"""A Dramatiq worker inside the current process (``postflow up`` and ``postflow worker``).

Its jobs run as tasks on the actors' event loop (:mod:`workers.loop_worker`), at most
``worker_threads`` at once: the setting keeps its name from when each job had a thread.

Stopping lets in-flight jobs finish (up to a timeout). Whatever does not finish stays Queued or
Publishing in the store, and the reconciler hands it out again, so nothing is lost with the
in-memory broker either.
"""

from __future__ import annotations

import logging

import dramatiq

from postflow.config import Settings
from workers.loop_worker import LoopWorker

log = logging.getLogger(__name__)

#: The longest an idle worker waits between fetches of an empty queue (ms): Dramatiq's consumer
#: backs off up to this, so it bounds how late an idle worker sees the first message of a due
#: batch (docs/performance.md, due burst). Each idle fetch is one cheap Redis command.
DEFAULT_WORKER_TIMEOUT_MS = 200
#: Unacknowledged messages per queue per job slot, unless ``worker_prefetch`` is set.
#: Dramatiq's default is 2: its consumer thread fetches only while fewer messages than that are
#: out, and otherwise sleeps an exponential backoff (5 ms, 10 ms, ... up to the worker timeout),
#: so with 2 per thread the threads wait on the consumer: no-op jobs went at ~270/s per thread
#: (2,050/s with 8). With 8 per thread the consumer stays ahead (bench/queue_throughput.py;
#: docs/performance.md). A dead worker's prefetched messages come back like its in-flight ones.
PREFETCH_PER_THREAD = 8


#: Jobs at once when ``POSTFLOW_WORKER_THREADS`` is unset, in a ``postflow worker`` process:
#: publishing against a fast platform gains up to 32-40 jobs per process.
DEDICATED_WORKER_THREADS = 40
#: ... and inside ``postflow up``, whose hub shares the GIL: more jobs there lengthen the
#: hub's answers (chat acks) more than they speed up publishing.
EMBEDDED_WORKER_THREADS = 24


def worker_threads(settings: Settings, *, embedded: bool) -> int:
    """The jobs a worker process runs at once (``embedded``: inside ``postflow up``)."""
    if settings.worker_threads is not None:
        return settings.worker_threads
    return EMBEDDED_WORKER_THREADS if embedded else DEDICATED_WORKER_THREADS


class InProcessWorker:
    """A worker consuming every queue declared on ``broker``, its jobs tasks on one loop.

    Import ``workers.actors`` (so the queues exist) and call ``worker_runtime.install`` first.
    """

    def __init__(self, broker: dramatiq.Broker, settings: Settings, *, embedded: bool = False,
                 worker_timeout_ms: int = DEFAULT_WORKER_TIMEOUT_MS) -> None:
        self._broker = broker
        self._threads = worker_threads(settings, embedded=embedded)
        self._prefetch = settings.worker_prefetch or PREFETCH_PER_THREAD * self._threads
        self._timeout_ms = worker_timeout_ms
        self._worker: dramatiq.Worker | None = None

    def start(self) -> None:
        if self._worker is not None:
            raise RuntimeError("This worker is already running.")
        worker = LoopWorker(self._broker, concurrency=self._threads, prefetch=self._prefetch,
                            worker_timeout=self._timeout_ms)
        worker.start()
        self._worker = worker
        log.info("worker started: %d jobs at once, prefetch %d", self._threads, self._prefetch)

    def stop(self, timeout_seconds: float = 30.0) -> None:
        """Stop taking messages and wait up to ``timeout_seconds`` for in-flight jobs. Blocks:
        from async code, run it in a thread."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.stop(timeout=int(timeout_seconds * 1000))
        log.info("worker stopped")
