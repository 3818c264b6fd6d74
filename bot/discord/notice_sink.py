"""Discord as a notice sink (:class:`~postflow.notices.router.NoticeSink`): the same notices
Slack's sink says, in Discord's words.

- Review cards updated in place as decisions come in, each step said in the card's thread; a
  later round (the post was edited) updates the card and says what changed in its thread.
- A publish outcome (published, partially published, failed) and a late post go to the post's
  thread (its review card's) when it has one on Discord, else the organization's notification
  channel (else its review channel); failures with Retry, Edit and Reconnect buttons, a late
  post with Publish now, Reschedule and Drop (:mod:`bot.discord.components` answers them). A
  Discord author also gets it by direct message, without buttons (dropped, with one log line,
  when the member does not accept direct messages from the server's members: Discord's 50007).
- An account needing a reconnect, and its access ending soon, in the channel.
- Billing notices (payment failed, trial ending, plan changed, grace ending), a disabled
  webhook endpoint and PostFlow removed from another of the organization's workspaces, by
  direct message to each Owner on Discord; billing and a removal in the notification channel
  when no Owner is on Discord (a webhook endpoint's URL is for Owners only). Whom is decided by
  the core (:mod:`postflow.chatops.owner_notices`), as for Slack.

Every message is handed to the outbox the composition root gave it (the paced ``chat`` queue);
nothing is sent from here. The first review card is posted by :mod:`bot.discord.review_cards`.
The wording is the core's (:mod:`postflow.chatops.post_outcomes`,
:mod:`postflow.chatops.owner_notices`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.discord.custom_ids import notice_id
from bot.discord.markdown import PLATFORM, escape, person
from bot.discord.review_cards import VERDICT_WORDS, review_message
from postflow.chat.delivery import ChatOutbox
from postflow.chat.messages import ChatButton, ChatCard, ChatDestination, ChatMessage
from postflow.chat_actors import read_chat_actor
from postflow.chatops.formatting import local_time
from postflow.chatops.owner_notices import owner_notice_text, owner_recipients
from postflow.chatops.post_outcomes import (
    NoticeButton,
    codes_text,
    expiry_warning_text,
    late_buttons,
    late_text,
    outcome_buttons,
    outcome_text,
    post_accounts,
    reconnect_button,
    reconnect_text,
)
from postflow.connections import Connection
from postflow.notices.events import (
    BILLING_NOTICES,
    BillingNotice,
    ChatAppRemoved,
    ConnectionBroken,
    Notice,
    PostFailed,
    PostLate,
    PostPartiallyPublished,
    PostPublished,
    ReviewDecided,
    ReviewExpired,
    ReviewRequested,
    TokenExpiring,
    WebhookEndpointDisabled,
)
from postflow.organizations import ChatIdentity, Organization
from postflow.posts import Post, PostStatus
from postflow.reviews import ChatMessageRef, ReviewState, Verdict
from postflow.store.port import Store

log = logging.getLogger(__name__)

#: The notices Discord says (Slack's set); the others (a plan limit) are for other sinks.
SAID = (PostPublished, PostPartiallyPublished, PostFailed, PostLate, ConnectionBroken,
        TokenExpiring, ReviewRequested, ReviewDecided, ReviewExpired, WebhookEndpointDisabled,
        ChatAppRemoved, *BILLING_NOTICES)
EMOJI = {PostStatus.PUBLISHED: "\N{WHITE HEAVY CHECK MARK}",
         PostStatus.PARTIAL: "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}",
         PostStatus.FAILED: "\N{CROSS MARK}"}
LATE, PLUG, HOURGLASS, AGAIN = ("\N{ALARM CLOCK}", "\N{ELECTRIC PLUG}", "\N{HOURGLASS}",
                                "\N{ANTICLOCKWISE DOWNWARDS AND UPWARDS OPEN CIRCLE ARROWS}")
#: What an Owner notice starts with, by kind.
OWNER_EMOJI = {BillingNotice: "\N{CREDIT CARD}",
               WebhookEndpointDisabled: "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}",
               ChatAppRemoved: "\N{WAVING HAND SIGN}"}
NOTICE_KEY = "notice"


@dataclass(frozen=True)
class Place:
    """Where a notice goes in Discord: a channel of a server, or a card's thread in it."""

    guild_id: str
    channel_id: str
    thread_id: str = ""


def notice_card(org_id: str, text: str, buttons: tuple[NoticeButton, ...],
                details: str = "") -> ChatCard:
    """The notice's text, ``details`` small under it, then its buttons."""
    return ChatCard(key=NOTICE_KEY, paragraphs=(text,), context=(details,) if details else (),
                    buttons=tuple(notice_button(org_id, b) for b in buttons))


def notice_button(org_id: str, button: NoticeButton) -> ChatButton:
    return ChatButton(notice_id(button.action, org_id, button.value), button.label,
                      style=button.style)


class DiscordNoticeSink:
    """Posts to the Discord channels an organization chose (``/postflow settings``)."""

    name = PLATFORM

    def __init__(self, store: Store, outbox: ChatOutbox) -> None:
        self._store = store
        self.outbox = outbox

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, SAID)

    async def deliver(self, notice: Notice) -> None:
        match notice:
            case PostPublished(post=post) | PostPartiallyPublished(post=post) | \
                    PostFailed(post=post):
                await self._post_outcome(post)
            case PostLate(post=post):
                org = await self._store.get_organization(post.org_id)
                text = f"{LATE} {late_text(post)}"
                await self._about_post(org, post, text, late_buttons(post), "post a late notice")
                await self._to_author(org, post.created_by, text)
            case ConnectionBroken(connection=connection):
                await self._needs_reconnect(connection)
            case TokenExpiring(connection=connection, days_left=days_left):
                org = await self._store.get_organization(connection.org_id)
                await self._to_channel(org, f"{HOURGLASS} "
                                            f"{expiry_warning_text(connection, days_left)}")
            case ReviewRequested():
                await self._review_requested(notice)
            case ReviewDecided():
                await self._review_decided(notice)
            case ReviewExpired(post=post, review=review):
                ref = review.message
                if ref is None or ref.platform != PLATFORM:
                    return
                await self._update_card(ref, notice)
                await self._reply(ref, f"{HOURGLASS} This review expired ({review.progress()}). "
                                       f"{person(post.created_by or review.requested_by)}, the "
                                       "post is a draft again: ask for review again when ready.")
            case BillingNotice() | WebhookEndpointDisabled() | ChatAppRemoved():
                await self._to_owners(notice)

    async def _to_owners(self, notice: BillingNotice | WebhookEndpointDisabled |
                         ChatAppRemoved) -> None:
        """By direct message to each Owner on Discord (once per person: a Discord user is
        the same in every server); in the notification channel when none is and the notice may
        be said there."""
        emoji = next(e for kind, e in OWNER_EMOJI.items() if isinstance(notice, kind))
        text = f"{emoji} {_escape_outside_code(owner_notice_text(notice))}"
        told = await owner_recipients(self._store, notice, PLATFORM)
        people: dict[str, ChatIdentity] = {}
        for identity in told.owners:
            people.setdefault(identity.user_id, identity)
        for identity in people.values():
            await self.outbox.send(ChatMessage(
                destination=ChatDestination(PLATFORM, identity.workspace_id,
                                            user_id=identity.user_id),
                text=text, what=f"tell an Owner ({notice.kind})"))
        if told.to_channel:
            org = await self._store.get_organization(notice.org_id)
            await self._to_channel(org, text)

    # -- reviews ------------------------------------------------------------------------------
    async def _review_requested(self, notice: ReviewRequested) -> None:
        """A later round of a card on Discord: the card updated, the changes said under it."""
        review, ref = notice.review, notice.review.message
        if notice.card_posted or ref is None or ref.platform != PLATFORM:
            return
        await self._update_card(ref, notice)
        changed = "; ".join(review.changes) or "it was asked again"
        await self._reply(ref, f"{AGAIN} Review again (round {review.round}), asked by "
                               f"{person(review.requested_by)}: {escape(changed)}. Earlier "
                               "approvals no longer count.")

    async def _review_decided(self, notice: ReviewDecided) -> None:
        post, review, decision, ref = (notice.post, notice.review, notice.decision,
                                       notice.review.message)
        if ref is None or ref.platform != PLATFORM:
            return
        await self._update_card(ref, notice)
        text = f"{person(decision.actor)} {VERDICT_WORDS[decision.verdict]}"
        if decision.comment:
            text += f": {escape(decision.comment)}"
        text += f" ({review.progress()})."
        if review.state is ReviewState.APPROVED and post.status is PostStatus.SCHEDULED:
            org = await self._store.get_organization(post.org_id)
            text += (" The post is approved and scheduled for "
                     f"{local_time(post.scheduled_at or post.due_at, org.timezone)}.")
        elif decision.verdict is not Verdict.APPROVE:
            author = person(post.created_by or review.requested_by)
            text += (f" {author}, edit the post and it comes back here for review."
                     if review.state is ReviewState.CHANGES_REQUESTED
                     else f" {author}, the post was canceled.")
        await self._reply(ref, text)

    async def _update_card(self, ref: ChatMessageRef,
                           notice: ReviewRequested | ReviewDecided | ReviewExpired) -> None:
        to = ChatDestination(PLATFORM, ref.workspace_id, ref.channel_id)
        await self.outbox.send(await review_message(self._store, notice.post, notice.review, to,
                                                    replaces=ref.message_id))

    async def _reply(self, ref: ChatMessageRef, text: str) -> None:
        await self.outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, ref.workspace_id, ref.channel_id),
            thread_id=ref.message_id, text=text, what="reply in a review thread"))

    # -- posts and accounts -------------------------------------------------------------------
    async def _post_outcome(self, post: Post) -> None:
        accounts = await post_accounts(self._store, post)
        emoji = EMOJI.get(post.status, "\N{INFORMATION SOURCE}\N{VARIATION SELECTOR-16}")
        text = f"{emoji} {outcome_text(post, accounts)}"
        org = await self._store.get_organization(post.org_id)
        await self._about_post(org, post, text, outcome_buttons(post, accounts),
                               "post a publish outcome", details=codes_text(post, accounts))
        await self._to_author(org, post.created_by, text)

    async def _needs_reconnect(self, connection: Connection) -> None:
        org = await self._store.get_organization(connection.org_id)
        await self._to_channel(org, f"{PLUG} {reconnect_text(connection)}",
                               (reconnect_button(connection.id),))

    async def _about_post(self, org: Organization, post: Post, text: str,
                          buttons: tuple[NoticeButton, ...], what: str, *,
                          details: str = "") -> None:
        """In the post's review thread when it has one, else in the notification channel."""
        place = await self._thread_of(post) or _channel_of(org)
        if place is None:
            log.info("post %s: organization %s has no Discord channel for notices", post.id,
                     org.id)
            return
        await self._send(org, place, text, buttons, what, details)

    async def _to_channel(self, org: Organization, text: str,
                          buttons: tuple[NoticeButton, ...] = ()) -> None:
        place = _channel_of(org)
        if place is not None:
            await self._send(org, place, text, buttons, "post a notice in the channel")

    async def _to_author(self, org: Organization, actor: str, text: str) -> None:
        """A direct message to a Discord author, when their server is still linked to
        ``org``; nothing for other authors."""
        author = read_chat_actor(actor)
        if author is None or author.platform != PLATFORM or not author.workspace_id:
            return
        linked = await self._store.find_workspace(PLATFORM, author.workspace_id)
        if linked is None or linked.org_id != org.id:
            return
        await self.outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, author.workspace_id, user_id=author.user_id),
            text=text, what="message the author"))

    async def _send(self, org: Organization, place: Place, text: str,
                    buttons: tuple[NoticeButton, ...], what: str, details: str = "") -> None:
        card = notice_card(org.id, text, buttons, details) if buttons or details else None
        await self.outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, place.guild_id, place.channel_id),
            text=text, card=card, thread_id=place.thread_id, what=what))

    async def _thread_of(self, post: Post) -> Place | None:
        review = await self._store.find_review_for_post(post.org_id, post.id)
        ref = None if review is None else review.message
        if ref is None or ref.platform != PLATFORM:
            return None
        return Place(ref.workspace_id, ref.channel_id, thread_id=ref.message_id)


def _channel_of(org: Organization) -> Place | None:
    channel = org.notification_channel or org.review_channel
    if channel is None or channel.platform != PLATFORM:
        return None
    return Place(channel.workspace_id, channel.channel_id)


def _escape_outside_code(text: str) -> str:
    """``text`` shown as it is, but its `code spans` (a command to run) kept as code."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code span
        return escape(text)
    return "".join(f"`{part}`" if i % 2 else escape(part) for i, part in enumerate(parts))
