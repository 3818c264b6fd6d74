"""Slack's per-channel posting budget (about one message per second per channel), shared by
the ``chat`` actor's messages: in process memory (embedded mode, one worker process) or in Redis
(every worker process shares one budget; times come from the Redis server's clock).

A message *reserves* its channel's next free turn and learns how long until it; it never waits
here, so the caller can hand the message back to the broker with that delay.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Protocol

import redis

#: Slack's posting budget: one message per second per channel.
PACE_SECONDS = 1.0
PACE_KEY_PREFIX = "postflow:chat-pace:"


class ChatPacer(Protocol):
    async def reserve(self, key: str) -> float:
        """Take the channel's next free turn; seconds until it (0 when it is now)."""
        ...

    async def hold_off(self, key: str, seconds: float) -> None:
        """Slack said 429: nothing goes to the channel for ``seconds``."""
        ...


class InProcessChatPacer:
    """The budget in this process's memory (embedded mode: one worker process)."""

    def __init__(self, interval: float = PACE_SECONDS) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    async def reserve(self, key: str) -> float:
        with self._lock:
            now = time.monotonic()
            if len(self._next) > 1000:
                self._next = {k: v for k, v in self._next.items() if v > now}
            turn = max(now, self._next.get(key, now))
            self._next[key] = turn + self.interval
            return turn - now

    async def hold_off(self, key: str, seconds: float) -> None:
        with self._lock:
            self._next[key] = max(self._next.get(key, 0.0), time.monotonic() + seconds)


# KEYS[1] the channel's next free turn (ms, Redis server time); ARGV[1] the interval in ms.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local turn = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local after = turn + tonumber(ARGV[1])
redis.call('SET', KEYS[1], after, 'PX', after - now + 1000)
return turn - now
"""

# KEYS[1] as above; ARGV[1] the hold-off in ms. Keeps the later of the two ends.
_HOLD_OFF = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ms = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_ms then
    redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]) + 1000)
end
return 0
"""


class RedisChatPacer:
    """The budget in Redis, shared by every worker; times come from the Redis server's clock.

    It uses the broker's (synchronous, thread-safe) client from a thread, so it lives and closes
    with the broker and never blocks the actors' event loop.
    """

    def __init__(self, client: redis.Redis, interval: float = PACE_SECONDS) -> None:
        self._client = client
        self.interval = interval

    async def reserve(self, key: str) -> float:
        waited = await asyncio.to_thread(self._client.eval, _RESERVE, 1,
                                         PACE_KEY_PREFIX + key, str(int(self.interval * 1000)))
        return int(waited) / 1000

    async def hold_off(self, key: str, seconds: float) -> None:
        await asyncio.to_thread(self._client.eval, _HOLD_OFF, 1,
                                PACE_KEY_PREFIX + key, str(int(seconds * 1000)))
