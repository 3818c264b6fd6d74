"""The Discord composer through the signed HTTP endpoint: ``/postflow new`` opens a modal, its
submission shows counts and problems per network and saves nothing, Submit saves one post
through the same core as Slack, and composer ids that are not the presser's live draft are
refused with nothing written."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.discord import deferred_answers
from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from tests.bot.discord.composing import *  # noqa: F403 (its fixtures)
from tests.bot.discord.composing import ComposerUser, component_ids
from tests.hub.discord_sender import MEMBER_ID
from tests.polling import eventually

MODAL, MESSAGE, UPDATE, DEFERRED_UPDATE = 9, 4, 7, 6


async def drafts(rt: Runtime) -> int:
    """How many composer drafts are stored (purging them: call it once, at the end)."""
    return await rt.store.purge_chat_drafts(rt.clock.now() + timedelta(days=1))


async def posts(rt: Runtime, org: Organization) -> list[Post]:
    return await rt.store.list_posts(org.id)


async def composed(owner: ComposerUser, text: str = "Launch day!",
                   **variants: str) -> dict[str, Any]:
    """``/postflow new`` and its modal submitted: the composer message's answer."""
    opened = await owner.run("new")
    assert opened["type"] == MODAL
    fields = {"text": text} | {f"variant_{n}": t for n, t in variants.items()}
    return await owner.submit_form(opened["data"]["custom_id"], fields)


async def test_new_opens_a_modal_for_the_text_and_each_networks_own_text(
        owner: ComposerUser, sandbox: Connection, x_account: Connection) -> None:
    answer = await owner.run("new")

    assert answer["type"] == MODAL
    modal = answer["data"]
    assert modal["custom_id"].startswith("pf:c:m:")
    inputs = [row["components"][0] for row in modal["components"]]
    assert [i["custom_id"] for i in inputs] == ["text", "variant_sandbox", "variant_x"]
    assert all(i["type"] == 4 and len(i["label"]) <= 45 for i in inputs)
    assert len(modal["components"]) <= 5


async def test_new_without_a_connected_account_says_so_instead_of_a_modal(
        owner: ComposerUser, guild_org: Organization) -> None:
    answer = await owner.run("new")

    assert answer["type"] == MESSAGE
    assert "no connected account" in answer["data"]["content"]


async def test_the_submitted_modal_shows_counts_per_network_and_saves_no_post(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection,
        x_account: Connection) -> None:
    answer = await composed(owner, "Hello Discord")

    assert answer["type"] == MESSAGE and answer["data"]["flags"] == 64
    content = answer["data"]["content"]
    assert "**Sandbox**: 13/5000" in content and "**X**: 13/280" in content
    assert "Accounts: Pick at least one account" in content
    assert set(component_ids(answer["data"])) >= {"Accounts to publish to", "When", "Submit",
                                                   "Cancel"}
    assert await posts(rt, guild_org) == []


async def test_an_over_limit_text_shows_the_networks_error_before_anything_is_saved(
        rt: Runtime, owner: ComposerUser, guild_org: Organization,
        x_account: Connection) -> None:
    answer = await composed(owner, "x" * 300)
    ids = component_ids(answer["data"])

    picked = await owner.press(ids["Accounts to publish to"], owner.shown().id,
                               values=[x_account.id])

    assert picked["type"] == UPDATE
    content = picked["data"]["content"]
    assert "**X**: 300/280" in content and "280" in content.split("**X**")[1]
    assert "Text:" in content  # the core's refusal, under the field it is about
    await owner.press(ids["Submit"], owner.shown().id)
    assert await posts(rt, guild_org) == []


async def test_submit_saves_exactly_one_post_for_review_with_the_chosen_targets(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection,
        x_account: Connection) -> None:
    ids = component_ids((await composed(owner, "Ship it", x="Ship it on X"))["data"])
    message = owner.shown().id
    await owner.press(ids["Accounts to publish to"], message, values=[sandbox.id, x_account.id])

    done = await owner.press(ids["Submit"], message)
    again = await owner.press(ids["Submit"], message)

    assert done["type"] == UPDATE and done["data"]["components"] == []
    [post] = await posts(rt, guild_org)
    assert post.status is PostStatus.IN_REVIEW
    assert {t.connection_id for t in post.targets} == {sandbox.id, x_account.id}
    assert post.text == "Ship it" and post.variants == {"x": "Ship it on X"}
    assert f"Post `{post.id}` is waiting for review" in done["data"]["content"]
    assert "expired or is not yours" in again["data"]["content"]
    assert await drafts(rt) == 0


async def test_submit_schedules_at_the_local_time_picked_in_the_members_zone(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner, "Later"))["data"])
    message = owner.shown().id
    await owner.press(ids["Accounts to publish to"], message, values=[sandbox.id])
    await owner.press(ids["Review"], message, values=["direct"])
    form = await owner.press(ids["When"], message, values=["at"])
    assert form["type"] == MODAL
    shown = await owner.submit_form(form["data"]["custom_id"], {
        "date": "2027-03-01", "time": "09:30", "zone": "Europe/Paris"}, on_message=message)
    assert "Mon 01 Mar 2027 09:30 Europe/Paris" in shown["data"]["content"]

    await owner.press(ids["Submit"], message)

    [post] = await posts(rt, guild_org)
    assert post.status is PostStatus.SCHEDULED
    assert post.scheduled_at is not None and post.scheduled_at.isoformat().startswith(
        "2027-03-01T08:30")
    assert post.timezone == "Europe/Paris"


async def test_a_member_cannot_skip_review(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    await owner.run("role", {"type": 6, "name": "person", "value": MEMBER_ID},
                    {"type": 3, "name": "role", "value": "member"})
    member = ComposerUser(owner.sender, owner.fake, MEMBER_ID)
    ids = component_ids((await composed(member, "From a member"))["data"])
    assert "Review" not in ids
    await member.press(ids["Accounts to publish to"], member.shown().id, values=[sandbox.id])

    await member.press(ids["Submit"], member.shown().id)

    [post] = await posts(rt, guild_org)
    assert post.status is PostStatus.IN_REVIEW


async def test_cancel_discards_the_draft_and_saves_nothing(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner))["data"])

    answer = await owner.press(ids["Cancel"], owner.shown().id)

    assert answer["type"] == UPDATE and "nothing was saved" in answer["data"]["content"]
    assert await posts(rt, guild_org) == []
    assert await drafts(rt) == 0


async def test_someone_elses_composer_is_refused_and_nothing_is_written(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner))["data"])
    message = owner.shown().id
    await owner.run("role", {"type": 6, "name": "person", "value": MEMBER_ID},
                    {"type": 3, "name": "role", "value": "admin"})
    other = ComposerUser(owner.sender, owner.fake, MEMBER_ID)
    before = owner.fake.messages[message].data["content"]

    picked = await other.press(ids["Accounts to publish to"], message, values=[sandbox.id])
    submitted = await other.press(ids["Submit"], message)

    for answer in (picked, submitted):
        assert answer["type"] == MESSAGE and "expired or is not yours" in answer["data"]["content"]
    assert owner.fake.messages[message].data["content"] == before
    assert await posts(rt, guild_org) == []


async def test_a_composer_id_from_another_server_is_refused(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner))["data"])
    payload = owner.fake.button_press("99999999999999999", owner.user_id, ids["Submit"])

    answer = await owner.send(payload)

    assert "expired or is not yours" in answer["data"]["content"]
    assert await posts(rt, guild_org) == []


async def test_garbled_composer_ids_are_refused_with_nothing_written(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner))["data"])
    real = ids["Submit"]
    message = owner.shown().id

    for garbled in (real[:-1], real + "A", real.replace(":s:", ":q:"), "pf:c:s:" + "A" * 22,
                    "pf:c:", "pf:c:s:../../x", real.replace(":s:", ":m:")):
        answer = await owner.press(garbled, message)
        assert answer["type"] == MESSAGE, garbled
        assert answer["data"]["flags"] == 64
    assert await posts(rt, guild_org) == []
    assert await drafts(rt) == 1  # the real draft, untouched


async def test_two_submit_presses_at_once_save_one_post(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner, "Only once"))["data"])
    message = owner.shown().id
    await owner.press(ids["Accounts to publish to"], message, values=[sandbox.id])

    await asyncio.gather(*(owner.press(ids["Submit"], message) for _ in range(4)))

    assert len(await posts(rt, guild_org)) == 1


async def test_a_slow_submit_is_deferred_and_completed_by_editing_the_message(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = component_ids((await composed(owner, "Slowly"))["data"])
    message = owner.shown()
    await owner.press(ids["Accounts to publish to"], message.id, values=[sandbox.id])
    monkeypatch.setattr(deferred_answers, "ANSWER_BUDGET_SECONDS", 0.0)

    answer = await owner.press(ids["Submit"], message.id)

    assert answer == {"type": DEFERRED_UPDATE}
    await eventually(lambda: "waiting for review" in message.data["content"],
                     what="the deferred Submit's edit")
    assert message.data["components"] == []
    assert owner.fake.calls_to("PATCH /webhooks/{app_id}/{token}/messages/{message_id}")
    assert len(await posts(rt, guild_org)) == 1


async def test_edit_text_reopens_the_modal_with_what_was_typed_and_updates_the_message(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    ids = component_ids((await composed(owner, "First words"))["data"])
    message = owner.shown().id

    form = await owner.press(ids["Edit text"], message)
    [text_input] = [row["components"][0] for row in form["data"]["components"]
                    if row["components"][0]["custom_id"] == "text"]
    updated = await owner.submit_form(form["data"]["custom_id"], {"text": "Second words"},
                                      on_message=message)

    assert form["type"] == MODAL and text_input["value"] == "First words"
    assert updated["type"] == UPDATE and "Second words" in updated["data"]["content"]
    assert await posts(rt, guild_org) == []


async def test_a_viewer_gets_no_composer_and_nothing_is_written(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    await owner.run("role", {"type": 6, "name": "person", "value": MEMBER_ID},
                    {"type": 3, "name": "role", "value": "viewer"})
    viewer = ComposerUser(owner.sender, owner.fake, MEMBER_ID)

    answer = await viewer.run("new")

    assert answer["type"] == MESSAGE and "Viewer" in answer["data"]["content"]
    assert await drafts(rt) == 0


async def test_a_member_demoted_to_viewer_cannot_submit_their_draft(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    await owner.run("role", {"type": 6, "name": "person", "value": MEMBER_ID},
                    {"type": 3, "name": "role", "value": "member"})
    member = ComposerUser(owner.sender, owner.fake, MEMBER_ID)
    ids = component_ids((await composed(member, "Before the demotion"))["data"])
    message = member.shown().id
    await member.press(ids["Accounts to publish to"], message, values=[sandbox.id])
    await owner.run("role", {"type": 6, "name": "person", "value": MEMBER_ID},
                    {"type": 3, "name": "role", "value": "viewer"})

    answer = await member.press(ids["Submit"], message)

    assert answer["type"] == MESSAGE and answer["data"]["flags"] == 64
    assert await posts(rt, guild_org) == []


async def test_a_store_failure_in_a_step_is_an_apology_with_a_reference_not_a_500(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ids = component_ids((await composed(owner))["data"])

    async def broken(*args: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(rt.store, "save_chat_draft", broken)
    answer = await owner.press(ids["Accounts to publish to"], owner.shown().id,
                               values=[sandbox.id])

    content = answer["data"]["content"]
    assert answer["type"] == MESSAGE and "Reference:" in content and "disk" not in content
