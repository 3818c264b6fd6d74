"""Which scheduler leads: only the leader claims due posts, sends canaries and reconciles.

Leadership saves work, it does not guard correctness: claims are compare-and-swap in the store,
so two schedulers that both believe they lead (a lock expired during a long pause) still never
claim the same post twice.
"""

from __future__ import annotations

import secrets
from typing import Protocol

import redis.asyncio

DEFAULT_KEY = "postflow:scheduler:leader"

# Take the lock if it is free, or extend it if we hold it; never touch another holder's lock.
_ACQUIRE_OR_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
if not holder then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class LeaderLock(Protocol):
    async def acquire_or_renew(self) -> bool:
        """True while this holder leads; call more often than the lock's time to live."""
        ...

    async def release(self) -> None:
        """Give up leadership now (if held), so another scheduler takes over at once."""
        ...


class LocalLeader:
    """The only scheduler there is (embedded mode, one process): always the leader."""

    async def acquire_or_renew(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class RedisLeaderLock:
    """A lease in Redis: a key holding this holder's random token, with a time to live."""

    def __init__(self, redis_url: str, key: str = DEFAULT_KEY, ttl_seconds: float = 10.0) -> None:
        self._client = redis.asyncio.Redis.from_url(redis_url, socket_connect_timeout=2.0,
                                                    socket_timeout=2.0)
        self._key = key
        self._ttl_ms = int(ttl_seconds * 1000)
        self._token = secrets.token_hex(16)

    async def acquire_or_renew(self) -> bool:
        held = await self._client.eval(_ACQUIRE_OR_RENEW, 1, self._key,
                                       self._token, str(self._ttl_ms))
        return bool(held)

    async def release(self) -> None:
        await self._client.eval(_RELEASE, 1, self._key, self._token)

    async def close(self) -> None:
        await self._client.aclose()
