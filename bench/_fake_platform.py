"""The fake platform the publishing benches publish to: ``tests/fakes/platform_server.py`` (a
real aiohttp server on 127.0.0.1, counting what it creates) with a fixed capacity and faults
spread over the run.

- Every answer takes ``latency`` seconds, and at most ``concurrency`` requests are served at
  once (later ones wait for a slot, like a platform with a fixed pool): its capacity is
  ``concurrency / latency`` posts per second.
- Faults are scripted by request number (the 1st, 2nd ... ``POST /posts``), so they hit the
  middle of a run instead of its first requests, as ``PlatformServer.script`` would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import multiprocessing
import multiprocessing.connection
import random
import time
from collections import Counter
from collections.abc import Mapping

import _repo_root  # noqa: F401 - makes ``tests.fakes`` importable
import aiohttp
from aiohttp import web

from tests.fakes.platform_server import Fault, PlatformServer

#: Retry-After of the scripted 429s: one account cools down this long.
RETRY_AFTER_SECONDS = 1.0


def spread_faults(requests: int, per_kind: int, *, within: float = 0.5,
                  seed: int = 7) -> dict[int, Fault]:
    """``per_kind`` each of: 503 (nothing created), 429 with Retry-After, and "created then 502"
    (the outcome is unknown until checked), at random request numbers among the first
    ``within`` of ``requests`` (so their retries finish inside the run)."""
    kinds = (Fault.unavailable(1, 503), Fault.rate_limited(1, RETRY_AFTER_SECONDS),
             Fault.created_then_error(1, 502))
    last = max(len(kinds) * per_kind, int(requests * within))
    numbers = random.Random(seed).sample(range(1, last + 1), len(kinds) * per_kind)
    return {number: kinds[index % len(kinds)] for index, number in enumerate(numbers)}


class BenchPlatform(PlatformServer):
    """The fake platform with a capacity, and faults at given request numbers."""

    def __init__(self, *, latency: float, concurrency: int,
                 faults: Mapping[int, Fault] | None = None) -> None:
        super().__init__()
        self.latency = latency
        self.concurrency = concurrency
        self._by_number = dict(faults or {})
        self._numbers = itertools.count(1)
        self._slots: asyncio.Semaphore | None = None
        self.set_latency(latency)

    @property
    def capacity(self) -> float:
        """Posts per second it can answer at most."""
        return self.concurrency / self.latency if self.latency > 0 else float("inf")

    def _take_fault(self) -> Fault:
        # Runs on the platform's loop only, one request at a time: the counter needs no lock.
        fault = self._by_number.get(next(self._numbers))
        if fault is None:
            return Fault(delay=self.latency)
        return dataclasses.replace(fault, delay=self.latency)

    async def _create(self, request: web.Request) -> web.StreamResponse:
        if self._slots is None:  # made on the platform's own loop
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            return await super()._create(request)

    def created_count(self) -> int:
        """How many posts it created so far (cheap: no copies)."""
        with self._lock:
            return len(self._state.created)

    def created_per_text(self) -> Counter[str]:
        """Created posts per text: the benches give each post a unique text."""
        return Counter(post.text for post in self.created())


# -- its capacity as measured on this machine ---------------------------------------------------
async def _drive(url: str, requests: int, concurrency: int) -> float:
    """Send ``requests`` creating POSTs, ``concurrency`` at a time, as bare as a client gets
    (one pooled session, the loopback network's request shape); returns requests/s."""
    numbers = iter(range(requests))
    headers = {"Authorization": "Bearer capacity"}

    async def client(session: aiohttp.ClientSession) -> None:
        for number in numbers:
            async with session.post(f"{url}/posts", headers={**headers,
                                    "Idempotency-Key": f"cap-{number}"},
                                    json={"text": f"capacity {number}", "media_urls": []}
                                    ) as response:
                await response.read()

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


def _drive_in_child(url: str, requests: int, concurrency: int,
                    answer: multiprocessing.connection.Connection) -> None:
    answer.send(asyncio.run(_drive(url, requests, concurrency)))


def measured_capacity(*, latency: float, concurrency: int, requests: int) -> float:
    """Posts/s that a platform like the bench's answers on this machine to a client doing
    nothing else: a fresh :class:`BenchPlatform` (no faults) in this process, driven by a
    bare aiohttp client in another process. The nominal ``concurrency / latency`` is a
    ceiling no client reaches: the platform's own request handling and the loopback add to
    every answer."""
    platform = BenchPlatform(latency=latency, concurrency=concurrency)
    platform.start()
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    process = spawn.Process(target=_drive_in_child,
                            args=(platform.url, requests, concurrency, child),
                            name="bench-platform-client")
    try:
        process.start()
        if not parent.poll(60 + requests * latency):
            raise RuntimeError("the platform capacity client did not finish")
        rate = float(parent.recv())
    finally:
        process.join(10)
        if process.is_alive():
            process.terminate()
        platform.stop()
    return rate
