"""Store contract: media held by organizations — holding charges the byte meter once and within
its limit, a use moves ``last_used_at``, idle records are found across organizations, release is
compare-and-swap on ``last_used_at`` and gives the bytes back, references by live posts and
series are found."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from postflow.org_media import MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD, OrgMedia
from postflow.posts import MediaRef, PostStatus
from postflow.recurrence import SeriesStatus
from postflow.store.port import Store, UsageExhausted
from tests.postflow.store.factories import T0, at, make_post
from tests.postflow.store.test_contract_recurring import make_series

A = "a" * 64
B = "b" * 64
C = "c" * 64


def held(org_id: str, media_id: str = A, **fields: Any) -> OrgMedia:
    values: dict[str, Any] = {"org_id": org_id, "media_id": media_id, "size": 100,
                              "content_type": "image/png", "created_at": T0,
                              "last_used_at": T0}
    return OrgMedia(**(values | fields))


async def meter(store: Store, org_id: str) -> int:
    return await store.get_usage(org_id, MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD)


async def test_holding_a_medium_charges_its_size_once(store: Store) -> None:
    assert await store.hold_media(held("org_a"), limit_bytes=None) is True
    assert await store.hold_media(held("org_a", last_used_at=at(5)), limit_bytes=None) is False

    assert await meter(store, "org_a") == 100
    assert await store.use_held_media("org_a", A, T0) == held("org_a", last_used_at=at(5))


async def test_holding_past_the_limit_writes_nothing(store: Store) -> None:
    await store.hold_media(held("org_a", A, size=250), limit_bytes=300)

    with pytest.raises(UsageExhausted):
        await store.hold_media(held("org_a", B, size=51), limit_bytes=300)

    assert await meter(store, "org_a") == 250
    assert await store.use_held_media("org_a", B, at(1)) is None
    assert await store.hold_media(held("org_a", B, size=50), limit_bytes=300) is True
    assert await meter(store, "org_a") == 300


async def test_a_single_medium_over_the_limit_is_refused(store: Store) -> None:
    with pytest.raises(UsageExhausted):
        await store.hold_media(held("org_a", size=301), limit_bytes=300)

    assert await meter(store, "org_a") == 0
    assert await store.count_media_holders(A) == 0


async def test_concurrent_holds_stop_at_the_limit(store: Store) -> None:
    ids = [f"{n:064x}" for n in range(8)]

    async def hold(media_id: str) -> bool:
        try:
            return await store.hold_media(held("org_a", media_id), limit_bytes=300)
        except UsageExhausted:
            return False

    results = await asyncio.gather(*(hold(media_id) for media_id in ids))

    assert results.count(True) == 3
    assert await meter(store, "org_a") == 300


async def test_holds_are_per_organization(store: Store) -> None:
    await store.hold_media(held("org_a"), limit_bytes=None)

    assert await store.use_held_media("org_b", A, at(1)) is None
    assert await store.hold_media(held("org_b"), limit_bytes=None) is True
    assert await store.count_media_holders(A) == 2
    assert await meter(store, "org_b") == 100


async def test_a_use_moves_last_used_forward_never_back(store: Store) -> None:
    await store.hold_media(held("org_a", last_used_at=at(10)), limit_bytes=None)

    assert (await store.use_held_media("org_a", A, at(5))) == held("org_a", last_used_at=at(10))
    assert (await store.use_held_media("org_a", A, at(20))) == held("org_a", last_used_at=at(20))


async def test_idle_media_are_found_across_organizations_least_recently_used_first(
        store: Store) -> None:
    await store.hold_media(held("org_b", B, last_used_at=at(2)), limit_bytes=None)
    await store.hold_media(held("org_a", A, last_used_at=at(1)), limit_bytes=None)
    await store.hold_media(held("org_a", C, last_used_at=at(9)), limit_bytes=None)

    idle = await store.find_idle_media(at(5), limit=10)

    assert [(m.org_id, m.media_id) for m in idle] == [("org_a", A), ("org_b", B)]
    assert len(await store.find_idle_media(at(5), limit=1)) == 1


async def test_release_gives_the_bytes_back(store: Store) -> None:
    record = held("org_a")
    await store.hold_media(record, limit_bytes=None)

    assert await store.release_held_media(record) is True
    assert await store.release_held_media(record) is False
    assert await meter(store, "org_a") == 0
    assert await store.count_media_holders(A) == 0
    assert await store.use_held_media("org_a", A, at(1)) is None


async def test_release_loses_to_a_use_after_the_read(store: Store) -> None:
    record = held("org_a")
    await store.hold_media(record, limit_bytes=None)
    await store.use_held_media("org_a", A, at(1))

    assert await store.release_held_media(record) is False
    assert await meter(store, "org_a") == 100


async def test_media_in_use_by_posts_and_series_of_the_organization(store: Store) -> None:
    await store.insert_post(make_post("org_a", status=PostStatus.SCHEDULED, media=[
        MediaRef(url=f"upload:{A}", media_id=A), MediaRef(url="https://cdn.example/x.png")]))
    await store.insert_post(make_post("org_a", status=PostStatus.PUBLISHED,
                                      media=[MediaRef(url=f"upload:{B}", media_id=B)]))
    await store.insert_post(make_post("org_b", status=PostStatus.SCHEDULED,
                                      media=[MediaRef(url=f"upload:{C}", media_id=C)]))
    await store.insert_series(make_series("org_a", status=SeriesStatus.ACTIVE,
                                          media=[MediaRef(url=f"upload:{C}", media_id=C)]))

    used = await store.media_in_use("org_a", [A, B, C], [PostStatus.SCHEDULED],
                                    [SeriesStatus.ACTIVE])

    assert used == {A, C}
    assert await store.media_in_use("org_a", [A, B, C], [PostStatus.SCHEDULED], []) == {A}
    assert await store.media_in_use("org_b", [A, B], [PostStatus.SCHEDULED],
                                    [SeriesStatus.ACTIVE]) == set()


async def test_the_last_update_of_the_posts_naming_each_medium(store: Store) -> None:
    await store.insert_post(make_post("org_a", status=PostStatus.PUBLISHED, updated_at=at(5),
                                      media=[MediaRef(url=f"upload:{A}", media_id=A)]))
    await store.insert_post(make_post("org_a", status=PostStatus.CANCELED, updated_at=at(9),
                                      media=[MediaRef(url=f"upload:{A}", media_id=A),
                                             MediaRef(url=f"upload:{B}", media_id=B)]))
    await store.insert_post(make_post("org_b", updated_at=at(20),
                                      media=[MediaRef(url=f"upload:{A}", media_id=A)]))

    assert await store.media_last_named("org_a", [A, B, C]) == {A: at(9), B: at(9)}
    assert await store.media_last_named("org_a", [C]) == {}
