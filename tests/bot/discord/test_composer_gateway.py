"""The composer through the gateway bot (discord.py against the fake Discord): the same
handlers as the HTTP endpoint's open the modal, show the composer and save one post, their
answers posted as the interactions' callbacks."""

from __future__ import annotations

from typing import Any

from bot.discord.command_sync import DiscordApp
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.discord.gateway_harness import *  # noqa: F403
from tests.bot.discord.gateway_harness import CHANNEL, GUILD, OWNER, answered, running_bot
from tests.fakes.discord_api import FakeDiscord
from tests.polling import eventually


async def interact(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    await fake.gateway.interact(payload)
    return await answered(fake, payload)


async def test_the_composer_through_the_gateway_saves_one_post_for_review(
        rt: Runtime, app: DiscordApp, fake: FakeDiscord) -> None:
    fake.add_guild(GUILD, "Acme", owner_id=OWNER, channels={CHANNEL: "general"})
    async with running_bot(rt, app):
        workspace = await eventually(lambda: rt.store.find_workspace("discord", GUILD))
        account = await connect_sandbox(rt, workspace.org_id, "acme", actor="test")

        opened = await interact(fake, fake.slash_command(GUILD, OWNER, "new",
                                                         channel_id=CHANNEL))
        form = fake.modal_submit(GUILD, OWNER, opened["data"]["custom_id"],
                                 {"text": "Through the gateway"}, channel_id=CHANNEL)
        shown = await interact(fake, form)
        message = fake.interactions[form["id"]].original
        assert message is not None
        ids = {c.get("placeholder") or c.get("label"): c["custom_id"]
               for row in message.data["components"] for c in row["components"]}
        pick = fake.button_press(GUILD, OWNER, ids["Accounts to publish to"],
                                 channel_id=CHANNEL, message=message.data)
        pick["data"] = {"custom_id": ids["Accounts to publish to"], "component_type": 3,
                        "values": [account.id]}
        await interact(fake, pick)
        done = await interact(fake, fake.button_press(GUILD, OWNER, ids["Submit"],
                                                      channel_id=CHANNEL,
                                                      message=message.data))

    assert opened["type"] == 9 and shown["type"] == 4
    assert "**Sandbox**: 19/5000" in shown["data"]["content"]
    assert done["type"] == 7 and "waiting for review" in done["data"]["content"]
    [post] = await rt.store.list_posts(workspace.org_id)
    assert post.status is PostStatus.IN_REVIEW and post.text == "Through the gateway"
