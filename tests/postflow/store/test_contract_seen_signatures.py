"""Store contract: signatures of requests already seen (replays are refused while they live)."""

from __future__ import annotations

import asyncio

from postflow.store.port import Store
from tests.postflow.store.factories import at


async def test_a_first_signature_is_claimed(store: Store) -> None:
    assert await store.claim_signature("hook:h1", "sig1", at(5), at(0)) is True


async def test_a_live_signature_cannot_be_claimed_again(store: Store) -> None:
    await store.claim_signature("hook:h1", "sig1", at(5), at(0))

    assert await store.claim_signature("hook:h1", "sig1", at(9), at(4)) is False


async def test_the_same_signature_in_another_scope_is_free(store: Store) -> None:
    await store.claim_signature("hook:h1", "sig1", at(5), at(0))

    assert await store.claim_signature("slack", "sig1", at(5), at(0)) is True


async def test_an_expired_signature_can_be_claimed_again(store: Store) -> None:
    await store.claim_signature("hook:h1", "sig1", at(5), at(0))

    assert await store.claim_signature("hook:h1", "sig1", at(10), at(5)) is True
    assert await store.claim_signature("hook:h1", "sig1", at(12), at(6)) is False


async def test_concurrent_claims_let_exactly_one_through(store: Store) -> None:
    results = await asyncio.gather(*(store.claim_signature("slack", "sig1", at(5), at(0))
                                     for _ in range(20)))

    assert results.count(True) == 1


async def test_purge_deletes_only_expired_signatures_and_counts_them(store: Store) -> None:
    for signature, expires in (("old1", at(5)), ("old2", at(10)), ("live", at(11))):
        await store.claim_signature("slack", signature, expires, at(0))

    assert await store.purge_seen_signatures(at(10)) == 2
    assert await store.purge_seen_signatures(at(10)) == 0

    assert await store.claim_signature("slack", "live", at(20), at(10)) is False
