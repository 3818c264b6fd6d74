"""Store contract: connections (social accounts an organization publishes to)."""

from __future__ import annotations

import pytest

from postflow.connections import ConnectionStatus
from postflow.errors import Conflict, NotFound
from postflow.store.port import Store
from tests.postflow.store.factories import at, make_connection


async def test_connection_round_trip_keeps_every_field(store: Store) -> None:
    connection = make_connection("org_a", status=ConnectionStatus.NEEDS_RECONNECT,
                                 token_expires_at=at(90), updated_at=at(3),
                                 timezone="Europe/Paris")
    await store.insert_connection(connection)

    assert await store.get_connection("org_a", connection.id) == connection


async def test_connection_without_optional_fields_round_trips(store: Store) -> None:
    connection = make_connection("org_a", sealed_tokens=None, token_expires_at=None)
    await store.insert_connection(connection)

    assert await store.get_connection("org_a", connection.id) == connection


async def test_get_connection_of_another_organization_raises_not_found(store: Store) -> None:
    connection = make_connection("org_a")
    await store.insert_connection(connection)

    with pytest.raises(NotFound):
        await store.get_connection("org_b", connection.id)


async def test_same_account_twice_in_one_organization_raises_conflict(store: Store) -> None:
    await store.insert_connection(make_connection("org_a", network="x", account_id="42"))

    with pytest.raises(Conflict):
        await store.insert_connection(make_connection("org_a", network="x", account_id="42"))


async def test_same_account_may_be_connected_by_two_organizations(store: Store) -> None:
    await store.insert_connection(make_connection("org_a", network="x", account_id="42"))
    await store.insert_connection(make_connection("org_b", network="x", account_id="42"))

    assert len(await store.list_connections("org_b")) == 1


async def test_list_connections_is_oldest_first_and_scoped(store: Store) -> None:
    newer = make_connection("org_a", created_at=at(10))
    older = make_connection("org_a", created_at=at(1))
    for connection in (newer, older, make_connection("org_b")):
        await store.insert_connection(connection)

    assert await store.list_connections("org_a") == [older, newer]


async def test_list_connections_filters_by_network(store: Store) -> None:
    mastodon = make_connection("org_a", network="mastodon")
    await store.insert_connection(mastodon)
    await store.insert_connection(make_connection("org_a", network="bluesky"))

    assert await store.list_connections("org_a", network="mastodon") == [mastodon]


async def test_count_connections_leaves_out_disconnected_ones(store: Store) -> None:
    for status in (ConnectionStatus.ACTIVE, ConnectionStatus.NEEDS_RECONNECT,
                   ConnectionStatus.DISCONNECTED):
        await store.insert_connection(make_connection("org_a", status=status))
    await store.insert_connection(make_connection("org_b"))

    assert await store.count_connections("org_a") == 2


async def test_update_connection_replaces_it(store: Store) -> None:
    connection = make_connection("org_a")
    await store.insert_connection(connection)
    changed = connection.model_copy(update={"status": ConnectionStatus.DISCONNECTED,
                                            "sealed_tokens": None, "updated_at": at(5)})

    await store.update_connection(changed)

    assert await store.get_connection("org_a", connection.id) == changed
    assert await store.count_connections("org_a") == 0


async def test_update_connection_of_another_organization_raises_not_found(
        store: Store) -> None:
    connection = make_connection("org_a")
    await store.insert_connection(connection)

    with pytest.raises(NotFound):
        await store.update_connection(connection.model_copy(update={"org_id": "org_b"}))
    assert await store.get_connection("org_a", connection.id) == connection
