"""Token buckets in Redis, shared by every hub process: one Lua script per request.

A bucket is a hash ``postflow:rate:<scope>:<id>`` with its tokens (``t``) and when they were
counted (``at``, milliseconds of the injected clock, so every adapter and test sees the same
time). The script refills, takes a token if there is one, writes the bucket back and lets it
expire once it would be full again: an idle bucket costs Redis nothing. The answer is computed
by :func:`postflow.rate_limits.decision`, as the in-process adapter's is.

When Redis cannot be reached the request is let through (and logged, once a minute): an
outage of the limiter must not stop every hook.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

from postflow.clock import Clock
from postflow.rate_limits import Decision, decision

log = logging.getLogger(__name__)

KEY_PREFIX = "postflow:rate:"
CONNECT_TIMEOUT_SECONDS = 2.0
SOCKET_TIMEOUT_SECONDS = 2.0
#: Seconds between two warnings about an unreachable Redis.
WARN_EVERY_SECONDS = 60.0

#: KEYS[1] bucket; ARGV: per_minute, now (ms). Returns {allowed (0/1), tokens (string)}.
_TAKE = """
local cap = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local per_ms = cap / 60000
local saved = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(saved[1])
local at = tonumber(saved[2])
if tokens == nil or at == nil then
    tokens = cap
    at = now
end
if now > at then
    tokens = math.min(cap, tokens + (now - at) * per_ms)
    at = now
end
tokens = math.min(cap, tokens)
local allowed = 0
if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / per_ms) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter:
    """Buckets every hub shares; the client is this adapter's own (closed by :meth:`close`)."""

    def __init__(self, client: redis.asyncio.Redis, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._take = client.register_script(_TAKE)
        self._warned_at: float | None = None

    @classmethod
    def from_url(cls, url: str, clock: Clock) -> RedisRateLimiter:
        return cls(redis.asyncio.Redis.from_url(
            url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 1,
                        supported_errors=(redis.ConnectionError,))), clock)

    async def take(self, key: str, per_minute: int) -> Decision:
        now_ms = int(self._clock.now().timestamp() * 1000)
        try:
            allowed, tokens = await self._take(keys=[KEY_PREFIX + key],
                                               args=[per_minute, now_ms])
        except RedisError as err:
            self._warn(err)
            return decision(True, float(per_minute - 1), per_minute)
        text = tokens.decode() if isinstance(tokens, bytes) else str(tokens)
        return decision(bool(int(allowed)), float(text), per_minute)

    def _warn(self, err: RedisError) -> None:
        now = time.monotonic()
        if self._warned_at is None or now - self._warned_at >= WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning("rate limits: Redis cannot be reached (%s); requests are let through "
                        "unlimited until it answers", type(err).__name__)

    async def close(self) -> None:
        await self._client.aclose()
