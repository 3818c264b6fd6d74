"""Connecting accounts: the plan's limit, tokens sealed at rest and refreshed."""

from __future__ import annotations

import pytest

from postflow.connections import ConnectionStatus
from postflow.errors import BadInput, LimitReached, NotFound
from postflow.organizations import Organization
from postflow.providers import ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import (
    add_connection,
    connect_sandbox,
    mark_needs_reconnect,
    open_tokens,
    set_connection_timezone,
    store_refreshed_tokens,
)
from postflow.usecases.organizations import create_organization

NEW_SECRET_KEY = "rotated-secret-key-0123456789abc"


def account(n: int, access: str = "access-plain-123", refresh: str | None = "refresh-plain-456",
            ) -> ConnectedAccount:
    return ConnectedAccount(account_id=f"acct-{n}", display_name=f"Account {n}",
                            tokens=TokenSet.model_validate({"access_token": access,
                                                            "refresh_token": refresh}))


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


async def test_connecting_the_sandbox_stores_an_active_connection(rt: Runtime,
                                                                  org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "Acme test", actor="cli")

    stored = await rt.store.get_connection(org.id, connection.id)
    assert (stored.network, stored.display_name, stored.status) == (
        "sandbox", "Acme test", ConnectionStatus.ACTIVE)


async def test_connecting_is_audited(rt: Runtime, org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "Acme test", actor="slack:U1")

    events = await rt.store.list_audit(org.id, subject_id=connection.id)
    assert [(e.actor, e.action) for e in events] == [("slack:U1", "connection.added")]


async def test_stored_tokens_are_sealed(rt: Runtime, org: Organization) -> None:
    connection = await add_connection(rt, org.id, "sandbox", account(1), actor="cli")

    stored = await rt.store.get_connection(org.id, connection.id)
    assert stored.sealed_tokens is not None
    assert "access-plain-123" not in stored.sealed_tokens
    assert "refresh-plain-456" not in stored.sealed_tokens


async def test_sealed_tokens_open_to_the_original_tokens(rt: Runtime, org: Organization) -> None:
    connection = await add_connection(rt, org.id, "sandbox", account(1), actor="cli")

    tokens = open_tokens(rt, await rt.store.get_connection(org.id, connection.id))

    assert tokens.access_token.get_secret_value() == "access-plain-123"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "refresh-plain-456"


async def test_the_free_plan_allows_three_connected_accounts(rt: Runtime,
                                                             org: Organization) -> None:
    for name in ("one", "two", "three"):
        await connect_sandbox(rt, org.id, name, actor="cli")

    assert await rt.store.count_connections(org.id) == 3


async def test_a_fourth_account_on_the_free_plan_is_refused(rt: Runtime,
                                                            org: Organization) -> None:
    for name in ("one", "two", "three"):
        await connect_sandbox(rt, org.id, name, actor="cli")

    with pytest.raises(LimitReached) as caught:
        await connect_sandbox(rt, org.id, "four", actor="cli")

    assert caught.value.message == ("Your Free plan allows 3 connected accounts and you have "
                                    "used 3. The Pro plan allows 15 connected accounts.")
    assert await rt.store.count_connections(org.id) == 3


async def test_a_disconnected_account_frees_its_place(rt: Runtime, org: Organization) -> None:
    connections = [await connect_sandbox(rt, org.id, n, actor="cli") for n in ("a", "b", "c")]
    await rt.store.update_connection(connections[0].model_copy(
        update={"status": ConnectionStatus.DISCONNECTED}))

    await connect_sandbox(rt, org.id, "d", actor="cli")

    assert await rt.store.count_connections(org.id) == 3


async def test_an_unknown_network_is_bad_input(rt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput, match="myspace"):
        await add_connection(rt, org.id, "myspace", account(1), actor="cli")


async def test_refreshed_tokens_are_stored_sealed(rt: Runtime, org: Organization) -> None:
    connection = await add_connection(rt, org.id, "sandbox", account(1), actor="cli")

    await store_refreshed_tokens(rt, connection, TokenSet.model_validate(
        {"access_token": "access-new", "refresh_token": "refresh-new"}))

    stored = await rt.store.get_connection(org.id, connection.id)
    assert stored.sealed_tokens is not None and "access-new" not in stored.sealed_tokens
    assert open_tokens(rt, stored).access_token.get_secret_value() == "access-new"


async def test_a_refresh_answer_without_refresh_token_keeps_the_old_one(
        rt: Runtime, org: Organization) -> None:
    connection = await add_connection(rt, org.id, "sandbox", account(1), actor="cli")

    await store_refreshed_tokens(rt, connection,
                                 TokenSet.model_validate({"access_token": "access-new"}))

    tokens = open_tokens(rt, await rt.store.get_connection(org.id, connection.id))
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.get_secret_value() == "refresh-plain-456"


async def test_marking_needs_reconnect_is_stored_and_audited(rt: Runtime,
                                                             org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "a", actor="cli")

    await mark_needs_reconnect(rt, connection, "revoked")

    stored = await rt.store.get_connection(org.id, connection.id)
    assert stored.status is ConnectionStatus.NEEDS_RECONNECT
    assert (await rt.store.list_audit(org.id, subject_id=connection.id))[-1].action == \
        "connection.needs_reconnect"


# -- time zone override ---------------------------------------------------------------------------

async def test_a_connection_has_no_zone_of_its_own_until_one_is_set(
        rt: Runtime, org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "main", actor="cli")

    assert (await rt.store.get_connection(org.id, connection.id)).timezone is None


async def test_setting_a_zone_stores_and_audits_it(rt: Runtime, org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "main", actor="cli")

    updated = await set_connection_timezone(rt, org.id, connection.id, "Europe/Paris",
                                            actor="cli")

    assert updated.timezone == "Europe/Paris"
    assert (await rt.store.get_connection(org.id, connection.id)).timezone == "Europe/Paris"
    event = (await rt.store.list_audit(org.id, subject_id=connection.id))[-1]
    assert (event.action, event.data) == ("connection.timezone_set",
                                          {"timezone": "Europe/Paris", "previous_timezone": None})


async def test_clearing_the_zone_falls_back_to_the_organizations(
        rt: Runtime, org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "main", actor="cli")
    await set_connection_timezone(rt, org.id, connection.id, "Europe/Paris", actor="cli")

    cleared = await set_connection_timezone(rt, org.id, connection.id, None, actor="cli")

    assert (await rt.store.get_connection(org.id, connection.id)).timezone is None
    assert cleared.timezone is None
    event = (await rt.store.list_audit(org.id, subject_id=connection.id))[-1]
    assert (event.action, event.data["previous_timezone"]) == ("connection.timezone_cleared",
                                                                "Europe/Paris")


async def test_setting_a_zone_keeps_the_tokens(rt: Runtime, org: Organization) -> None:
    connection = await add_connection(rt, org.id, "sandbox", account(1), actor="cli")

    await set_connection_timezone(rt, org.id, connection.id, "Asia/Tokyo", actor="cli")

    tokens = open_tokens(rt, await rt.store.get_connection(org.id, connection.id))
    assert tokens.access_token.get_secret_value() == "access-plain-123"


async def test_an_unknown_zone_is_bad_input_and_changes_nothing(
        rt: Runtime, org: Organization) -> None:
    connection = await connect_sandbox(rt, org.id, "main", actor="cli")

    with pytest.raises(BadInput, match="Mars/Olympus"):
        await set_connection_timezone(rt, org.id, connection.id, "Mars/Olympus", actor="cli")

    assert (await rt.store.get_connection(org.id, connection.id)).timezone is None


async def test_the_zone_of_another_organizations_connection_is_not_found(
        rt: Runtime, org: Organization) -> None:
    stranger = await create_organization(rt, "Other", actor="cli")
    theirs = await connect_sandbox(rt, stranger.id, "theirs", actor="cli")

    with pytest.raises(NotFound):
        await set_connection_timezone(rt, org.id, theirs.id, "Europe/Paris", actor="cli")
