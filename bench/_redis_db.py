"""A Redis database of the bench's own, claimed the way test sessions claim theirs.

``tests/conftest.py`` (``session_redis_url``) claims one of dbs 1-15 through a key
``postflow:test-session:db<N>`` in db 0 (SET NX with a TTL) and gives it back at the end. A bench
that flushes its database claims one the same way, so it never flushes a test session's database
(or another bench's), and a test session never takes the bench's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

DEFAULT_SERVER = "redis://127.0.0.1:6379"
CLAIMABLE_DBS = range(1, 16)
#: A claim outlives any bench run; a crashed run's claim expires by itself.
CLAIM_SECONDS = 3600


def claim_key(db: int) -> str:
    return f"postflow:test-session:db{db}"


@contextmanager
def claimed_redis_db(server: str = DEFAULT_SERVER) -> Iterator[str]:
    """Claim a free database on ``server``, flush it, yield its URL; flush and release it after."""
    base = server.rstrip("/")
    claims = redis.Redis.from_url(base + "/0")
    try:
        claims.ping()
    except redis.ConnectionError as err:
        raise SystemExit(f"No Redis answers at {base}; `make bench` starts one.") from err
    token = f"bench-{os.getpid()}-{uuid.uuid4().hex}"
    db = next((n for n in CLAIMABLE_DBS
               if claims.set(claim_key(n), token, nx=True, ex=CLAIM_SECONDS)), None)
    if db is None:
        claims.close()
        raise SystemExit("Every Redis database 1-15 is claimed by a test session or a bench.")
    url = f"{base}/{db}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
        yield url
    finally:
        try:
            client.flushdb()
            client.close()
        finally:
            if claims.get(claim_key(db)) == token.encode():
                claims.delete(claim_key(db))
            claims.close()
