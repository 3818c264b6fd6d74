"""Store contract: finding a linked workspace, chat app installations and used OAuth states."""

from __future__ import annotations

from typing import Any

from postflow.chat_installations import ChatInstallation
from postflow.ids import new_id
from postflow.store.port import Store
from tests.postflow.store.factories import T0, at, make_workspace


def make_installation(org_id: str, **fields: Any) -> ChatInstallation:
    values: dict[str, Any] = {
        "id": new_id("inst"), "platform": "slack", "workspace_id": "T1", "org_id": org_id,
        "workspace_name": "Acme", "app_id": "A1", "bot_user_id": "UBOT",
        "bot_scopes": ["commands", "chat:write"], "sealed_bot_token": "sealed:xoxb",
        "installer_user_id": "U1", "installed_at": T0, "updated_at": T0}
    return ChatInstallation(**(values | fields))


async def test_find_workspace_by_platform_and_external_id(store: Store) -> None:
    workspace = make_workspace("org_a", platform="slack", external_id="T42")
    await store.insert_workspace(workspace)

    assert await store.find_workspace("slack", "T42") == workspace
    assert await store.find_workspace("discord", "T42") is None
    assert await store.find_workspace("slack", "T43") is None


async def test_installation_round_trip_keeps_every_field(store: Store) -> None:
    installation = make_installation("org_a", enterprise_id="E1")
    await store.save_chat_installation(installation)

    assert await store.find_chat_installation("slack", "T1") == installation


async def test_find_installation_of_unknown_workspace_is_none(store: Store) -> None:
    await store.save_chat_installation(make_installation("org_a", workspace_id="T1"))

    assert await store.find_chat_installation("slack", "T2") is None
    assert await store.find_chat_installation("discord", "T1") is None


async def test_saving_an_installation_again_replaces_the_workspaces_one(store: Store) -> None:
    await store.save_chat_installation(make_installation("org_a", sealed_bot_token="old"))
    newer = make_installation("org_a", sealed_bot_token="new", updated_at=at(5))

    await store.save_chat_installation(newer)

    assert await store.find_chat_installation("slack", "T1") == newer


async def test_installations_of_two_workspaces_are_kept_apart(store: Store) -> None:
    first = make_installation("org_a", workspace_id="T1")
    second = make_installation("org_b", workspace_id="T2")
    await store.save_chat_installation(first)
    await store.save_chat_installation(second)

    assert await store.find_chat_installation("slack", "T1") == first
    assert await store.find_chat_installation("slack", "T2") == second


async def test_an_oauth_state_is_claimed_once(store: Store) -> None:
    assert await store.claim_oauth_state("state-1", at(10), T0) is True
    assert await store.claim_oauth_state("state-1", at(10), at(1)) is False
    assert await store.claim_oauth_state("state-2", at(10), at(1)) is True


async def test_claims_expired_at_now_are_forgotten(store: Store) -> None:
    await store.claim_oauth_state("state-1", at(10), T0)

    # Past its expiry the claim is purged; the state itself is refused for age by its reader.
    assert await store.claim_oauth_state("state-1", at(30), at(10)) is True


async def test_every_installation_is_listed_by_platform_and_workspace(store: Store) -> None:
    removed = make_installation("org_b", workspace_id="T0", sealed_bot_token="",
                                removed_at=at(3))
    slack = make_installation("org_a", workspace_id="T9")
    discord = make_installation("org_a", platform="discord", workspace_id="G1",
                                sealed_bot_token="")
    for installation in (slack, discord, removed):
        await store.save_chat_installation(installation)

    assert await store.list_chat_installations() == [discord, removed, slack]


async def test_no_installation_lists_none(store: Store) -> None:
    assert await store.list_chat_installations() == []
