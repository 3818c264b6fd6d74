"""Long replies in pages within Discord's 2,000 characters, with Previous / Next buttons
(``pf:p:<page>:<command>``) that run the read-only command again for whoever presses."""

from __future__ import annotations

from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.queues import queue_settings_for
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.discord.composing import *  # noqa: F403 (its fixtures)
from tests.bot.discord.composing import ComposerUser, component_ids
from tests.hub.discord_sender import MEMBER_ID

MESSAGE, UPDATE = 4, 7


async def many_accounts(rt: Runtime, org: Organization, count: int = 30) -> None:
    """More accounts than any plan allows: written to the store directly."""
    now = rt.clock.now()
    for n in range(count):
        await rt.store.insert_connection(Connection(
            id=f"conn_{n:02d}", org_id=org.id, network="sandbox", account_id=f"sbx_{n}",
            display_name=f"sandbox-account-number-{n:02d}", created_at=now, updated_at=now))


async def test_a_long_list_is_paged_within_2000_characters_with_next_and_previous(
        rt: Runtime, owner: ComposerUser, guild_org: Organization) -> None:
    await many_accounts(rt, guild_org)

    first = await owner.run("accounts")
    ids = component_ids(first["data"])
    second = await owner.press(ids["Next"], owner.shown().id)

    assert first["type"] == MESSAGE and len(first["data"]["content"]) <= 2000
    assert first["data"]["content"].endswith("Page 1 of 2")
    assert ids == {"Next": "pf:p:1:accounts"}
    assert second["type"] == UPDATE and len(second["data"]["content"]) <= 2000
    assert "Page 2 of" in second["data"]["content"]
    assert "Previous" in component_ids(second["data"])
    shown = first["data"]["content"] + second["data"]["content"]
    assert all(f"sandbox-account-number-{n:02d}" in shown for n in range(30))


async def test_lists_core_pages_become_page_buttons(
        rt: Runtime, owner: ComposerUser, guild_org: Organization) -> None:
    conn = await connect_sandbox(rt, guild_org.id, "acme", actor="test")
    for n in range(7):
        await submit_post(rt, guild_org.id, PostRequest(text=f"Post {n}", targets=[conn.id]),
                          source=PostSource(kind="api"), actor="test", review_required=True)

    first = await owner.run("list", {"type": 3, "name": "which", "value": "review"})
    ids = component_ids(first["data"])
    second = await owner.press(ids["Next page"], owner.shown().id)

    assert ids["Next page"] == "pf:p:0:list review 2"
    assert "page 2 of 2" in second["data"]["content"]


async def test_a_page_press_is_run_for_the_presser_in_their_own_organization(
        rt: Runtime, owner: ComposerUser, guild_org: Organization) -> None:
    await many_accounts(rt, guild_org)
    ids = component_ids((await owner.run("accounts"))["data"])
    message = owner.shown()
    elsewhere = owner.fake.button_press("99999999999999999", MEMBER_ID, ids["Next"],
                                        message=message.data)

    answer = await owner.send(elsewhere)

    assert "not linked to a PostFlow organization" in answer["data"]["content"]
    assert "sandbox-account-number" not in answer["data"]["content"]


async def test_a_page_id_naming_a_changing_command_is_refused_and_changes_nothing(
        rt: Runtime, owner: ComposerUser, guild_org: Organization) -> None:
    conn = await connect_sandbox(rt, guild_org.id, "acme", actor="test")
    before = await queue_settings_for(rt, guild_org.id, conn.id)
    message = (await owner.run("help")) and owner.shown().id

    for forged in (f"pf:p:0:queue {conn.id} clear", f"pf:p:0:disconnect {conn.id}",
                   "pf:p:0:role <@1> owner", "pf:p:x:accounts", "pf:p:0", "pf:p:"):
        answer = await owner.press(forged, message)
        assert answer["type"] == MESSAGE and "out of date" in answer["data"]["content"], forged

    assert await queue_settings_for(rt, guild_org.id, conn.id) == before
    assert (await rt.store.get_connection(guild_org.id, conn.id)).status == conn.status
