"""Request rates: a token bucket per key, the port every adapter takes a request's token from.

A bucket holds up to ``per_minute`` tokens (the burst) and refills at ``per_minute / 60`` a
second; a request takes one token or is refused. Two adapters keep the buckets: the in-process
one below (one process: ``postflow up``, tests) and the Redis one
(``integrations/rate_limits/redis_buckets.py``), shared by every hub when Redis is configured.
Both compute their answer with :func:`decision`, so they answer alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from postflow.clock import Clock, SystemClock

#: The window every limit is counted over, in seconds (limits are "per minute").
WINDOW_SECONDS = 60
#: The in-process adapter forgets full buckets once it holds this many (a full bucket is the
#: same as no bucket).
PRUNE_OVER = 10_000


class RateScope(StrEnum):
    """What a limit counts: the names of ``rate_limits`` in the plans file."""

    API_KEY = "api_key"
    HOOK = "hook"
    ORGANIZATION = "organization"


@dataclass(frozen=True)
class Decision:
    """One request's answer: allowed or not, and what a client should be told."""

    allowed: bool
    #: The bucket's size (the per-minute limit).
    limit: int
    #: Whole tokens left after this request.
    remaining: int
    #: Seconds until a refused request may succeed (0 when allowed).
    retry_after: int
    #: Seconds until the bucket is full again.
    reset: int


class RateLimiter(Protocol):
    async def take(self, key: str, per_minute: int) -> Decision:
        """Take one token from ``key``'s bucket of ``per_minute`` tokens."""
        ...

    async def close(self) -> None: ...


def decision(allowed: bool, tokens: float, per_minute: int) -> Decision:
    """The answer for a bucket left with ``tokens`` after the request was allowed or not."""
    per_second = per_minute / WINDOW_SECONDS
    short = 0.0 if allowed else max(0.0, 1.0 - tokens)
    return Decision(allowed=allowed, limit=per_minute, remaining=max(0, math.floor(tokens)),
                    retry_after=math.ceil(short / per_second) if short else 0,
                    reset=math.ceil(max(0.0, per_minute - tokens) / per_second))


def refill(tokens: float, elapsed_seconds: float, per_minute: int) -> float:
    """A bucket's tokens ``elapsed_seconds`` later (never more than it holds, never less: a
    clock that went back refills nothing)."""
    gained = max(0.0, elapsed_seconds) * per_minute / WINDOW_SECONDS
    return min(float(per_minute), tokens + gained)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class InProcessRateLimiter:
    """Buckets in this process's memory: right for one process only."""

    clock: Clock = field(default_factory=SystemClock)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    async def take(self, key: str, per_minute: int) -> Decision:
        now = self.clock.now().timestamp()
        bucket = self._buckets.get(key)
        tokens = float(per_minute) if bucket is None else refill(bucket.tokens,
                                                                  now - bucket.at, per_minute)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        if len(self._buckets) > PRUNE_OVER:
            self._prune(now)
        self._buckets[key] = _Bucket(tokens, max(now, bucket.at) if bucket else now)
        return decision(allowed, tokens, per_minute)

    def _prune(self, now: float) -> None:
        # A bucket untouched for a whole window is full again, whatever its limit.
        stale = [k for k, b in self._buckets.items() if now - b.at >= WINDOW_SECONDS]
        for key in stale:
            del self._buckets[key]

    async def close(self) -> None:
        self._buckets.clear()


def bucket_key(scope: RateScope, subject_id: str) -> str:
    """The bucket of one API key, hook or organization."""
    return f"{scope.value}:{subject_id}"
