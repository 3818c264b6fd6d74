"""Discord review cards: posted into the review channel with their thread, decided by button
presses through the hub's endpoint with the policy applied by the core (quorum, approvers, no
self-approval), updated in place; refusals change nothing in the store."""

from __future__ import annotations

from datetime import timedelta

from bot.discord.components import OTHER_ORGANIZATION, OTHER_SERVER, UNKNOWN_BUTTON
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.organizations import ChatChannel, Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.reviews import ReviewRequest, ReviewState
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.edit_post import PostEdit, edit_post
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.discord.conftest import (
    ADMIN,
    GUILD,
    MEMBER,
    OTHER_CHANNEL,
    OTHER_GUILD,
    OTHER_OWNER,
    OWNER,
    REVIEWS,
    VIEWER,
    DiscordUser,
    actor,
    button,
    command,
    custom_ids,
    identity,
    shown,
)
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord, FakeMessage

EPHEMERAL = 64


async def post_in_review(rt: Runtime, clock: ManualClock, org: Organization,
                         fake: FakeDiscord, quorum: int = 2,
                         channel: str = REVIEWS) -> tuple[Post, ReviewRequest, FakeMessage]:
    """A Member's post waiting for ``quorum`` approvals; its card in ``channel``."""
    assert "changed" in await command(rt, ADMIN, f"settings approval quorum {quorum}")
    account = await connect_sandbox(rt, org.id, "acme", actor="test")
    post = await submit_post(rt, org.id, PostRequest(
        text="Launch *day*!", targets=[account.id],
        schedule_at=clock.now() + timedelta(hours=1)),
        source=PostSource(kind="discord"), actor=actor(MEMBER), review_required=True)
    review = await rt.store.find_review_for_post(org.id, post.id)
    assert review is not None and review.message is not None
    [card] = fake.messages_in(channel)
    return post, review, card


async def assert_nothing_decided(rt: Runtime, review: ReviewRequest) -> None:
    stored = await rt.store.get_review(review.org_id, review.id)
    assert stored.decisions == [] and stored.state is ReviewState.OPEN
    assert stored.version == review.version
    post = await rt.store.get_post(review.org_id, review.post_id)
    assert post.status is PostStatus.IN_REVIEW


def assert_refused(answer: dict[str, object], words: str) -> None:
    assert answer["type"] == 4
    data = answer["data"]
    assert isinstance(data, dict) and data["flags"] == EPHEMERAL
    assert words in str(data["content"])


async def test_a_review_card_is_posted_in_the_review_channel_with_its_thread(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord) -> None:
    post, review, card = await post_in_review(rt, clock, org, fake_discord)

    assert review.message is not None
    assert (review.message.platform, review.message.workspace_id, review.message.channel_id,
            review.message.message_id) == ("discord", GUILD, REVIEWS, card.id)
    [embed] = card.data["embeds"]
    assert embed["title"] == f"\N{EYES} Waiting for review · 0 of 2 approvals · post {post.id}"
    # The exact text under review, shown as text (not as Markdown).
    assert "Launch \\*day\\*!" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Author"] == f"<@{MEMBER}>"
    assert custom_ids(card) == [f"pf:r:{verdict}:{org.id}:{review.id}"
                                for verdict in ("approve", "request_changes", "reject")]
    assert fake_discord.threads == {card.id: f"Review of post {post.id}"}


async def test_two_approvals_approve_the_post_and_the_card_says_each(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, card = await post_in_review(rt, clock, org, fake_discord)

    first = await user.press(ADMIN, card, button(card, "approve"))

    assert first["type"] == 7  # the card, updated in place
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.IN_REVIEW
    assert "1 of 2 approvals" in shown(card)
    assert len(custom_ids(card)) == 3
    await user.press(OWNER, card, button(card, "approve"))

    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.SCHEDULED
    assert "Approved" in card.data["embeds"][0]["title"]
    assert card.data["components"] == []
    assert f"<@{ADMIN}> approved" in shown(card) and f"<@{OWNER}> approved" in shown(card)
    thread = [m.data["content"] for m in fake_discord.messages_in(card.id)]
    assert thread[0].startswith(f"<@{ADMIN}> approved (1 of 2 approvals).")
    assert "The post is approved and scheduled for" in thread[1]


async def test_the_author_approving_their_own_post_is_refused(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    _, review, card = await post_in_review(rt, clock, org, fake_discord, quorum=1)
    await command(rt, OWNER, f"role <@{MEMBER}> admin")  # an approver, but the author

    answer = await user.press(MEMBER, card, button(card, "approve"))

    assert_refused(answer, "own post")
    await assert_nothing_decided(rt, review)


async def test_a_viewer_pressing_approve_is_refused(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    _, review, card = await post_in_review(rt, clock, org, fake_discord)

    answer = await user.press(VIEWER, card, button(card, "approve"))

    assert_refused(answer, "Admin")
    await assert_nothing_decided(rt, review)
    assert len(custom_ids(card)) == 3 and fake_discord.messages_in(card.id) == []


async def test_a_button_of_another_organization_is_refused(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    """The other server's card, its button id pressed in this server by an Admin here."""
    other = (await link_or_create(rt, "discord", OTHER_GUILD, "Other",
                                  WorkspaceOwner(identity(OTHER_OWNER, OTHER_GUILD)),
                                  actor="test")).org
    other = other.model_copy(update={"plan": "pro", "review_channel": ChatChannel(
        platform="discord", workspace_id=OTHER_GUILD, channel_id=OTHER_CHANNEL)})
    await rt.store.update_organization(other)
    account = await connect_sandbox(rt, other.id, "other", actor="test")
    post = await submit_post(rt, other.id, PostRequest(text="Theirs", targets=[account.id]),
                             source=PostSource(kind="discord"),
                             actor=actor(OTHER_OWNER, OTHER_GUILD), review_required=True)
    review = await rt.store.find_review_for_post(other.id, post.id)
    assert review is not None
    [their_card] = fake_discord.messages_in(OTHER_CHANNEL)
    _, _, our_card = await post_in_review(rt, clock, org, fake_discord)

    answer = await user.press(OWNER, our_card, button(their_card, "approve"))
    # And a forged id: this organization's id with the other's review.
    forged = button(their_card, "approve").replace(other.id, org.id)
    forged_answer = await user.press(OWNER, our_card, forged)

    assert_refused(answer, OTHER_ORGANIZATION)
    assert_refused(forged_answer, "No such review request.")
    await assert_nothing_decided(rt, review)


async def test_a_card_pressed_from_another_server_of_the_organization_is_refused(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    await rt.store.update_organization(
        (await rt.store.get_organization(org.id)).model_copy(update={"plan": "business"}))
    from postflow.usecases.organizations import link_workspace

    await link_workspace(rt, org.id, "discord", OTHER_GUILD, actor="test", name="Other")
    await _member_elsewhere(rt, org, OTHER_OWNER)
    _, review, card = await post_in_review(rt, clock, org, fake_discord)

    answer = await user.press(OTHER_OWNER, card, button(card, "approve"), guild_id=OTHER_GUILD)

    assert_refused(answer, OTHER_SERVER)
    await assert_nothing_decided(rt, review)


async def _member_elsewhere(rt: Runtime, org: Organization, user_id: str) -> None:
    from postflow.organizations import Role
    from postflow.usecases.organizations import add_member

    await add_member(rt, org.id, identity(user_id, OTHER_GUILD), Role.ADMIN, actor="test")


async def test_a_garbled_or_unknown_button_is_refused(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    _, review, card = await post_in_review(rt, clock, org, fake_discord)
    approve = button(card, "approve")

    for custom_id in (approve + "x:y", approve.replace("approve", "approve_all"),
                      "pf:r:", "pf:r:approve:org_x:rev_y", approve + "x" * 60,
                      approve.replace("pf:r:", "pf:n:"), approve.replace(":org_", ":team_")):
        answer = await user.press(ADMIN, card, custom_id)
        assert_refused(answer, UNKNOWN_BUTTON)
    assert_refused(await user.press(ADMIN, card, approve[:-3]), "No such review request.")
    await assert_nothing_decided(rt, review)


async def test_request_changes_asks_what_should_change_then_sends_the_post_back(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, card = await post_in_review(rt, clock, org, fake_discord)
    changes = button(card, "request_changes")

    form = await user.press(ADMIN, card, changes)
    assert form["type"] == 9 and form["data"]["custom_id"] == changes
    answer = await user.submit(ADMIN, card, changes, {"comment": "Say which day"})

    assert answer["type"] == 7
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.DRAFT
    assert "Changes requested" in card.data["embeds"][0]["title"]
    [said] = fake_discord.messages_in(card.id)
    assert said.data["content"].startswith(f"<@{ADMIN}> requested changes: Say which day")


async def test_reject_asks_first_then_cancels_the_post(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, card = await post_in_review(rt, clock, org, fake_discord)
    reject = button(card, "reject")

    form = await user.press(ADMIN, card, reject)
    assert form["type"] == 9
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.IN_REVIEW
    await user.submit(ADMIN, card, reject, {"comment": ""})

    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.CANCELED
    assert "Rejected" in card.data["embeds"][0]["title"]


async def test_an_edit_reopens_review_on_the_same_card_and_says_so_in_its_thread(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    post, _, card = await post_in_review(rt, clock, org, fake_discord)
    await user.press(ADMIN, card, button(card, "approve"))

    await edit_post(rt, org.id, post.id, PostEdit(text="Launch day is Tuesday!"),
                    actor=actor(MEMBER))

    assert fake_discord.messages_in(REVIEWS) == [card]  # no second card
    assert "round 2" in card.data["embeds"][0]["title"]
    assert "0 of 2 approvals" in card.data["embeds"][0]["title"]
    assert "Launch day is Tuesday!" in card.data["embeds"][0]["description"]
    assert len(custom_ids(card)) == 3
    said = [m.data["content"] for m in fake_discord.messages_in(card.id)]
    assert said[-1].startswith("\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS} "
                               "Review again (round 2)")
    assert "Earlier approvals no longer count" in said[-1]


async def test_a_press_from_direct_messages_is_refused(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser) -> None:
    _, review, card = await post_in_review(rt, clock, org, fake_discord)
    payload = fake_discord.button_press(GUILD, ADMIN, button(card, "approve"),
                                        channel_id=card.channel_id, message=card.data)
    payload["user"] = payload.pop("member")["user"]
    del payload["guild_id"]

    assert_refused(await user.send(payload), "not in direct messages")
    await assert_nothing_decided(rt, review)
