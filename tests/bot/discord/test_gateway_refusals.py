"""The issue's bad input through the gateway too (the HTTP endpoint's are in
tests/hub/test_discord_interactions.py, tests/security/test_discord_signatures.py and
tests/bot/discord/test_review_cards.py): a button id of another organization or server, an
unreadable interaction, a server the bot was removed from. Each refused with the right answer,
nothing written. (Signatures are the HTTP endpoint's: the gateway is the bot's own connection,
opened with its token.)"""

from __future__ import annotations

from bot.discord.components import OTHER_ORGANIZATION, OTHER_SERVER
from bot.discord.install import REMOVED_TEXT
from postflow.organizations import ChatChannel, Organization, Role
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import add_member, link_workspace
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.discord.conftest import (
    GUILD,
    OTHER_CHANNEL,
    OTHER_GUILD,
    OTHER_OWNER,
    OWNER,
    REVIEWS,
    actor,
    button,
    identity,
)
from tests.bot.discord.gateway_driver import *  # noqa: F403 - the driver's fixtures
from tests.bot.discord.gateway_driver import GatewayDriver
from tests.bot.discord.test_review_cards import (
    assert_nothing_decided,
    assert_refused,
    post_in_review,
)
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord
from tests.polling import eventually

#: A second server of the organization, which the bot's gateway does not list.
THIRD_GUILD = "600000000000000003"


async def test_a_button_of_another_organization_is_refused_through_the_gateway(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        driver: GatewayDriver) -> None:
    # The other server became its own organization when the bot saw it (READY).
    other_install = await eventually(
        lambda: rt.store.find_chat_installation("discord", OTHER_GUILD), what="the other")
    other = (await rt.store.get_organization(other_install.org_id)).model_copy(update={
        "plan": "pro", "review_channel": ChatChannel(platform="discord",
                                                     workspace_id=OTHER_GUILD,
                                                     channel_id=OTHER_CHANNEL)})
    await rt.store.update_organization(other)
    account = await connect_sandbox(rt, other.id, "other", actor="test")
    post = await submit_post(rt, other.id, PostRequest(text="Theirs", targets=[account.id]),
                             source=PostSource(kind="discord"),
                             actor=actor(OTHER_OWNER, OTHER_GUILD), review_required=True)
    theirs = await rt.store.find_review_for_post(other.id, post.id)
    assert theirs is not None
    [their_card] = fake_discord.messages_in(OTHER_CHANNEL)
    _, _, our_card = await post_in_review(rt, clock, org, fake_discord)

    answer = await driver.interact(fake_discord.button_press(
        GUILD, OWNER, button(their_card, "approve"), channel_id=REVIEWS,
        message=our_card.data))

    assert_refused(answer, OTHER_ORGANIZATION)
    await assert_nothing_decided(rt, theirs)


async def test_a_card_pressed_from_another_server_is_refused_through_the_gateway(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        driver: GatewayDriver) -> None:
    await rt.store.update_organization(
        (await rt.store.get_organization(org.id)).model_copy(update={"plan": "business"}))
    await link_workspace(rt, org.id, "discord", THIRD_GUILD, actor="test", name="Third")
    await add_member(rt, org.id, identity(OTHER_OWNER, THIRD_GUILD), Role.ADMIN, actor="test")
    _, review, card = await post_in_review(rt, clock, org, fake_discord)

    answer = await driver.interact(fake_discord.button_press(
        THIRD_GUILD, OTHER_OWNER, button(card, "approve"), channel_id=OTHER_CHANNEL,
        message=card.data))

    assert_refused(answer, OTHER_SERVER)
    await assert_nothing_decided(rt, review)


async def test_a_press_without_its_data_is_not_answered_through_the_gateway(
        rt: Runtime, org: Organization, fake_discord: FakeDiscord,
        driver: GatewayDriver) -> None:
    bad = fake_discord.button_press(GUILD, "600000000000000199", "pf:r:approve:x:y",
                                    channel_id=REVIEWS)
    bad["data"] = "not an object"
    good = fake_discord.slash_command(GUILD, OWNER, "help", channel_id=REVIEWS)

    await fake_discord.gateway.interact(bad)
    await driver.interact(good)  # handled after the bad one

    assert fake_discord.interactions[bad["id"]].callbacks == []
    assert await rt.store.find_member(org.id, "discord", GUILD, "600000000000000199") is None


async def test_a_server_the_bot_was_removed_from_is_refused_through_the_gateway(
        rt: Runtime, org: Organization, fake_discord: FakeDiscord,
        driver: GatewayDriver) -> None:
    await driver.uninstall()
    stranger = "600000000000000198"

    answer = await driver.interact(fake_discord.slash_command(GUILD, stranger, "help",
                                                              channel_id=REVIEWS))

    assert REMOVED_TEXT in answer["data"]["content"]
    assert await rt.store.find_member(org.id, "discord", GUILD, stranger) is None

