"""Discord's rate limits, honoured before a request is sent rather than discovered by a 429.

Discord announces a bucket on every answer (``X-RateLimit-Bucket``, ``-Remaining``,
``-Reset-After`` in seconds): requests on the same route and the same top-level resource (the
channel, the webhook) share it. When a bucket is empty the next request on it waits until it
resets; a 429 empties its bucket for ``retry_after`` seconds (the whole bot's when Discord says
``global``: ``X-RateLimit-Global`` or ``"global": true``). On top, a bot may make at most
:data:`GLOBAL_PER_SECOND` requests a second. A wait longer than ``max_wait`` is not slept: the
caller gets it back (the ``chat`` actor sends the message again after it, freeing its thread).

The state is this process's: each worker keeps its own (the ``chat`` queue's per-channel pacing is
shared in Redis; these are the finer limits Discord announces to each client).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

#: Discord's global limit for a bot.
GLOBAL_PER_SECOND = 50
#: Waits up to this long are slept before sending; longer ones are handed back.
MAX_WAIT_SECONDS = 5.0
#: Past this many buckets (one per route and channel), the ones already reset are forgotten.
BUCKETS_KEPT = 10_000


@dataclass
class _Bucket:
    remaining: int
    reset_at: float


class RateLimits:
    """One bot's view of Discord's buckets."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep, *,
                 per_second: int = GLOBAL_PER_SECOND,
                 max_wait: float = MAX_WAIT_SECONDS) -> None:
        self._clock = clock
        self._sleep = sleep
        self._per_second = per_second
        self._max_wait = max_wait
        #: "METHOD /route/{template}" -> the bucket id Discord said it belongs to.
        self._bucket_of: dict[str, str] = {}
        #: (bucket id, major parameter) -> what is left of it.
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._global_until = 0.0
        self._sent: deque[float] = deque()

    def wait_for(self, route: str, major: str) -> float:
        """Seconds to wait before a request on ``route`` (``POST /channels/{channel_id}/
        messages``) for the resource ``major`` (its channel id); 0 when it may go now."""
        now = self._clock()
        waits = [self._global_until - now]
        bucket_id = self._bucket_of.get(route)
        bucket = None if bucket_id is None else self._buckets.get((bucket_id, major))
        if bucket is not None and bucket.remaining <= 0:
            waits.append(bucket.reset_at - now)
        while self._sent and now - self._sent[0] >= 1.0:
            self._sent.popleft()
        if len(self._sent) >= self._per_second:
            waits.append(self._sent[0] + 1.0 - now)
        return max(0.0, *waits)

    async def acquire(self, route: str, major: str) -> float:
        """Wait (up to ``max_wait``) until a request may go, and count it; 0 when it may be
        sent now, else the seconds to come back after (nothing was counted)."""
        wait = self.wait_for(route, major)
        if wait > self._max_wait:
            return wait
        while wait > 0:
            await self._sleep(wait)
            wait = self.wait_for(route, major)
            if wait > self._max_wait:
                return wait
        self._sent.append(self._clock())
        bucket_id = self._bucket_of.get(route)
        bucket = None if bucket_id is None else self._buckets.get((bucket_id, major))
        if bucket is not None and bucket.remaining > 0:
            bucket.remaining -= 1  # until Discord's answer says what is left
        return 0.0

    def update(self, route: str, major: str, status: int, headers: Mapping[str, str],
               retry_after: float | None = None, is_global: bool = False) -> None:
        """Learn from Discord's answer: its bucket headers, and a 429's ``retry_after``."""
        now = self._clock()
        bucket_id = headers.get("X-RateLimit-Bucket")
        if bucket_id:
            self._bucket_of[route] = bucket_id
            remaining = _number(headers.get("X-RateLimit-Remaining"))
            reset_after = _number(headers.get("X-RateLimit-Reset-After"))
            if remaining is not None and reset_after is not None:
                self._buckets[(bucket_id, major)] = _Bucket(int(remaining), now + reset_after)
                if len(self._buckets) > BUCKETS_KEPT:
                    self._buckets = {key: bucket for key, bucket in self._buckets.items()
                                     if bucket.reset_at > now}
        if status != 429 or retry_after is None:
            return
        if is_global or headers.get("X-RateLimit-Global", "").lower() == "true":
            self._global_until = max(self._global_until, now + retry_after)
            return
        key = (self._bucket_of.get(route, route), major)
        self._buckets[key] = _Bucket(0, now + retry_after)
        self._bucket_of.setdefault(route, route)


def _number(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None
