"""Media given to ``/postflow new`` as its ``media`` attachment: the modal's submission is
deferred (Discord's 3 seconds do not cover a download), the file is downloaded from Discord's
attachment host, stored once, and the composer arrives as an edit of the deferred answer."""

from __future__ import annotations

from typing import Any

from postflow.connections import Connection
from postflow.media import media_id_of
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.media_ledger import stored_media_bytes
from tests.bot.discord.composing import *  # noqa: F403 (its fixtures)
from tests.bot.discord.composing import ComposerUser, component_ids
from tests.fakes.media_files import png_of
from tests.polling import eventually

DEFERRED, UPDATE = 5, 7
MEDIA_OPTION = 11


def media_option(attachment: dict[str, Any]) -> dict[str, Any]:
    return {"type": MEDIA_OPTION, "name": "media", "value": attachment["id"]}


async def composed_with(owner: ComposerUser, attachment: dict[str, Any]) -> dict[str, Any]:
    """``/postflow new media:<file>``, the modal submitted; the deferred answer."""
    opened = await owner.run("new", media_option(attachment), attachments=(attachment,))
    return await owner.submit_form(opened["data"]["custom_id"], {"text": "With a picture"})


async def edited(owner: ComposerUser) -> dict[str, Any]:
    """The deferred answer's message once PostFlow edited it."""
    message = owner.shown()
    await eventually(lambda: len(message.bodies) > 1, what="the edit of the deferred answer")
    return message.data


async def test_an_attachment_defers_the_answer_and_the_composer_comes_as_an_edit(
        owner: ComposerUser, x_account: Connection) -> None:
    image = png_of(64, 48)
    answer = await composed_with(owner, owner.fake.add_attachment("launch.png", "image/png",
                                                                  image))

    assert answer == {"type": DEFERRED, "data": {"flags": 64}}
    shown = await edited(owner)
    assert "launch.png (stored)" in shown["content"]
    assert "Submit" in component_ids(shown)
    assert owner.fake.calls_to("PATCH /webhooks/{app_id}/{token}/messages/{message_id}")


async def test_the_attachment_is_stored_once_and_attached_to_the_submitted_post(
        rt: Runtime, owner: ComposerUser, guild_org: Organization,
        x_account: Connection) -> None:
    image = png_of(64, 48)
    await composed_with(owner, owner.fake.add_attachment("launch.png", "image/png", image))
    ids = component_ids(await edited(owner))
    message = owner.shown().id
    await owner.press(ids["Accounts to publish to"], message, values=[x_account.id])

    done = await owner.press(ids["Submit"], message)

    assert done["type"] == UPDATE, done
    [post] = await rt.store.list_posts(guild_org.id)
    [ref] = post.media
    assert ref.media_id == media_id_of(image)
    assert await rt.media_store.read(ref.media_id) == image  # type: ignore[union-attr]
    assert await stored_media_bytes(rt, guild_org.id) == len(image)
    assert len(owner.fake.attachment_downloads) == 1  # downloaded once, not again at Submit


async def test_an_attachment_off_discords_hosts_is_not_downloaded(
        rt: Runtime, owner: ComposerUser, guild_org: Organization,
        x_account: Connection) -> None:
    attachment = owner.fake.add_attachment("launch.png", "image/png", png_of(8, 8))
    attachment["url"] = "http://localhost:9/steal/launch.png"

    await composed_with(owner, attachment)

    shown = await edited(owner)
    assert "not served by Discord's attachment host" in shown["content"]
    assert owner.fake.attachment_downloads == []
    assert await stored_media_bytes(rt, guild_org.id) == 0


async def test_a_file_that_is_not_an_image_or_video_is_refused_before_download(
        owner: ComposerUser, x_account: Connection) -> None:
    await composed_with(owner, owner.fake.add_attachment("notes.pdf", "application/pdf",
                                                         b"%PDF-1.7"))

    shown = await edited(owner)
    assert "notes.pdf was not added" in shown["content"]
    assert owner.fake.attachment_downloads == []
