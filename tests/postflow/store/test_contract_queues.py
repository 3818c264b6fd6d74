"""Store contract: queue settings and the posts holding queue slots."""

from __future__ import annotations

from postflow.posts import PostStatus
from postflow.queues import QueueSettings
from postflow.store.port import Store
from tests.postflow.store.factories import T0, at, make_post


def make_settings(org_id: str = "org_a", connection_id: str = "conn_a",
                  **fields: object) -> QueueSettings:
    values: dict[str, object] = {
        "org_id": org_id, "connection_id": connection_id, "timezone": "America/New_York",
        "slots": [(0, "09:00"), (2, "13:00")], "max_per_day": 2, "max_per_week": None,
        "updated_at": T0}
    return QueueSettings.model_validate(values | fields)


async def test_queue_settings_round_trip(store: Store) -> None:
    settings = make_settings()
    await store.save_queue_settings(settings)

    assert await store.get_queue_settings("org_a", "conn_a") == settings


async def test_a_connection_without_settings_has_none(store: Store) -> None:
    assert await store.get_queue_settings("org_a", "conn_a") is None


async def test_saving_again_replaces_the_settings(store: Store) -> None:
    await store.save_queue_settings(make_settings())
    newer = make_settings(slots=[(4, "17:30")], max_per_day=None, max_per_week=3,
                          updated_at=at(5))

    await store.save_queue_settings(newer)

    assert await store.get_queue_settings("org_a", "conn_a") == newer


async def test_queue_settings_are_scoped_to_organization_and_connection(store: Store) -> None:
    await store.save_queue_settings(make_settings())
    other = make_settings(connection_id="conn_b", timezone="Asia/Kolkata")
    await store.save_queue_settings(other)

    assert await store.get_queue_settings("org_b", "conn_a") is None
    assert await store.get_queue_settings("org_a", "conn_b") == other


async def test_list_queue_posts_returns_the_queue_placed_posts_in_slot_order(
        store: Store) -> None:
    later = make_post("org_a", ("conn_a",), from_queue=True, scheduled_at=at(20),
                      status=PostStatus.SCHEDULED)
    sooner = make_post("org_a", ("conn_a", "conn_b"), from_queue=True, scheduled_at=at(10),
                       status=PostStatus.SCHEDULED)
    for post in (later, sooner,
                 make_post("org_a", ("conn_a",), from_queue=False, scheduled_at=at(15)),
                 make_post("org_a", ("conn_a",), from_queue=True, scheduled_at=at(16),
                           status=PostStatus.CANCELED),
                 make_post("org_a", ("conn_a",), from_queue=True, scheduled_at=at(1)),
                 make_post("org_a", ("conn_c",), from_queue=True, scheduled_at=at(17)),
                 make_post("org_b", ("conn_a",), from_queue=True, scheduled_at=at(18))):
        await store.insert_post(post)

    assert await store.list_queue_posts("org_a", "conn_a", after=at(5)) == [sooner, later]
