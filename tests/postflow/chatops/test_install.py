"""Linking a chat workspace to an organization, by install or by a first command."""

from __future__ import annotations

import sqlite3

from postflow.chatops.install import AppInstall, WorkspaceOwner, install_app, link_or_create
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization


def owner(user_id: str = "U1", *, timezone: str = "Europe/Paris") -> WorkspaceOwner:
    return WorkspaceOwner(ChatIdentity(platform="slack", workspace_id="T1", user_id=user_id),
                          display_name="ada", timezone=timezone)


def install(user_id: str = "U1", token: str = "xoxb-secret-1") -> AppInstall:  # noqa: S107
    return AppInstall(platform="slack", workspace_id="T1", workspace_name="Acme",
                      bot_token=token, installer=owner(user_id), app_id="A1",
                      bot_user_id="UBOT", bot_scopes=("commands", "chat:write"))


async def roles(rt: Runtime, org_id: str) -> dict[str, Role]:
    return {m.identity.user_id: m.role for m in await rt.store.list_members(org_id)}


async def test_first_link_creates_the_organization_with_the_owner(rt: Runtime) -> None:
    linked = await link_or_create(rt, "slack", "T1", "Acme", owner(), actor="test")

    assert linked.created
    assert linked.org.name == "Acme" and linked.org.timezone == "Europe/Paris"
    assert await roles(rt, linked.org.id) == {"U1": Role.OWNER}
    assert (await rt.store.find_workspace("slack", "T1")).org_id == linked.org.id  # type: ignore[union-attr]


async def test_linking_again_joins_and_keeps_everyones_roles(rt: Runtime) -> None:
    first = await link_or_create(rt, "slack", "T1", "Acme", owner("U1"), actor="test")

    again = await link_or_create(rt, "slack", "T1", "Acme", owner("U2"), actor="test")

    assert not again.created and again.org.id == first.org.id
    assert await roles(rt, first.org.id) == {"U1": Role.OWNER}


async def test_a_taken_name_gets_the_workspace_id(rt: Runtime) -> None:
    await create_organization(rt, "Acme", actor="test")

    linked = await link_or_create(rt, "slack", "T1", "Acme", owner(), actor="test")

    assert linked.org.name == "Acme (T1)"


async def test_an_unknown_zone_falls_back_to_utc(rt: Runtime) -> None:
    linked = await link_or_create(rt, "slack", "T1", "Acme", owner(timezone="Nowhere/Land"),
                                  actor="test")

    assert linked.org.timezone == "UTC"


async def test_install_stores_the_bot_token_sealed(rt: Runtime) -> None:
    linked = await install_app(rt, install())

    stored = await rt.store.find_chat_installation("slack", "T1")
    assert stored is not None and stored.org_id == linked.org.id
    assert stored.sealed_bot_token != "xoxb-secret-1"
    assert rt.vault.open(stored.sealed_bot_token) == "xoxb-secret-1"
    raw = sqlite3.connect(rt.settings.sqlite_path).execute(
        "SELECT doc FROM chat_installations").fetchone()[0]
    assert "xoxb-secret-1" not in raw


async def test_reinstalling_replaces_the_token_and_keeps_the_organization(
        rt: Runtime) -> None:
    first = await install_app(rt, install(token="xoxb-old"))

    second = await install_app(rt, install(user_id="U2", token="xoxb-new"))

    stored = await rt.store.find_chat_installation("slack", "T1")
    assert stored is not None and rt.vault.open(stored.sealed_bot_token) == "xoxb-new"
    assert second.org.id == first.org.id
    assert await roles(rt, first.org.id) == {"U1": Role.OWNER}


async def test_organization_documents_without_the_channel_fields_still_load(
        rt: Runtime) -> None:
    # Records are JSON documents: a field added later needs no migration, it reads as default.
    org = await create_organization(rt, "Old", actor="test")
    old_doc = org.model_dump_json(exclude={"review_channel", "notification_channel"})
    assert "review_channel" not in old_doc
    db = sqlite3.connect(rt.settings.sqlite_path)
    with db:
        db.execute("UPDATE organizations SET doc = ? WHERE id = ?", (old_doc, org.id))

    loaded = await rt.store.get_organization(org.id)

    assert isinstance(loaded, Organization)
    assert loaded.review_channel is None and loaded.notification_channel is None
