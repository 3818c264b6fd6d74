"""Notices into Slack about posts and accounts: where each goes, and its buttons.

A notice about a post goes to the post's thread when it has one (the thread of its review card),
else to the organization's notification channel (else its review channel); a Slack author also
gets it by direct message, without buttons. Account notices go to the channel. Messages are
handed to an outbox (the ``chat`` Dramatiq queue, see ``workers/chat_actors.py``), never sent
from here, so a slow or rate-limited Slack holds up nothing else.

The wording is :mod:`postflow.chatops.post_outcomes`; the buttons are answered by
:mod:`bot.slack.notice_listeners`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import escape
from bot.slack.card_blocks import NOTICE_KEY
from postflow.chat.delivery import ChatOutbox
from postflow.chat.messages import ChatButton, ChatCard, ChatDestination, ChatMessage
from postflow.chat_actors import read_chat_actor
from postflow.chatops.post_outcomes import (
    NoticeButton,
    codes_text,
    late_buttons,
    late_text,
    outcome_buttons,
    outcome_text,
    post_accounts,
    reconnect_button,
    reconnect_text,
)
from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus
from postflow.store.port import Store

log = logging.getLogger(__name__)

EMOJI = {PostStatus.PUBLISHED: ":white_check_mark:", PostStatus.PARTIAL: ":warning:",
         PostStatus.FAILED: ":x:"}
#: Notice buttons carry ``postflow-notice:<action>`` and the post (or connection) id.
NOTICE_PREFIX = "postflow-notice:"


@dataclass(frozen=True)
class Place:
    """Where a notice goes in Slack."""

    workspace_id: str
    channel_id: str
    thread_ts: str = ""


def notice_card(text: str, buttons: tuple[NoticeButton, ...], details: str = "") -> ChatCard:
    """The notice's text (already escaped), ``details`` (escaped) small under it, then its
    buttons."""
    return ChatCard(key=NOTICE_KEY, paragraphs=(text,), context=(details,) if details else (),
                    buttons=tuple(notice_button(b) for b in buttons))


def notice_button(button: NoticeButton) -> ChatButton:
    return ChatButton(action_id=f"{NOTICE_PREFIX}{button.action.value}", label=button.label,
                      value=button.value, style=button.style, confirm=button.confirm)


class OutcomeNotices:
    """Hands every notice to ``outbox``."""

    def __init__(self, store: Store, outbox: ChatOutbox) -> None:
        self._store = store
        self._outbox = outbox

    async def post_outcome(self, post: Post) -> None:
        """Published, Partial or Failed, as the post's status says."""
        accounts = await post_accounts(self._store, post)
        emoji = EMOJI.get(post.status, ":information_source:")
        text = f"{emoji} {escape(outcome_text(post, accounts))}"
        org = await self._store.get_organization(post.org_id)
        await self.about_post(org, post, text, outcome_buttons(post, accounts),
                              "post a publish outcome",
                              details=escape(codes_text(post, accounts)))
        await self.to_author(org, post.created_by, text)

    async def post_late(self, post: Post) -> None:
        org = await self._store.get_organization(post.org_id)
        text = f":alarm_clock: {escape(late_text(post))}"
        await self.about_post(org, post, text, late_buttons(post), "post a late notice")
        await self.to_author(org, post.created_by, text)

    async def needs_reconnect(self, connection: Connection) -> None:
        org = await self._store.get_organization(connection.org_id)
        await self.to_channel(org, f":electric_plug: {escape(reconnect_text(connection))}",
                              (reconnect_button(connection.id),))

    async def about_post(self, org: Organization, post: Post, text: str,
                         buttons: tuple[NoticeButton, ...], what: str, *,
                         details: str = "") -> None:
        """In the post's review thread when it has one, else in the notification channel."""
        place = await self._thread_of(post) or self._channel_of(org)
        if place is None:
            log.info("post %s: organization %s has no Slack channel for notices", post.id,
                     org.id)
            return
        await self._send(place, text, buttons, what, details)

    async def to_channel(self, org: Organization, text: str,
                         buttons: tuple[NoticeButton, ...] = ()) -> None:
        place = self._channel_of(org)
        if place is not None:
            await self._send(place, text, buttons, "post a notice in the channel")

    async def to_author(self, org: Organization, actor: str, text: str) -> None:
        """A direct message to ``actor`` (``slack:T1:U123``) in their workspace; nothing for
        other authors, nor for a workspace no longer linked to ``org``."""
        author = read_chat_actor(actor)
        if author is None or author.platform != PLATFORM:
            return
        if author.workspace_id:  # a name written before workspaces were recorded has none
            linked = await self._store.find_workspace(PLATFORM, author.workspace_id)
            workspace_id = linked.external_id if linked and linked.org_id == org.id else None
        else:
            workspace_id = await self._workspace_of(org)
        if workspace_id is None:
            return
        await self._outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, workspace_id, user_id=author.user_id),
            text=text, what="message the author"))

    async def _send(self, place: Place, text: str, buttons: tuple[NoticeButton, ...],
                    what: str, details: str = "") -> None:
        await self._outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, place.workspace_id, place.channel_id),
            text=text, card=notice_card(text, buttons, details) if buttons or details else None,
            thread_id=place.thread_ts, what=what))

    async def _thread_of(self, post: Post) -> Place | None:
        review = await self._store.find_review_for_post(post.org_id, post.id)
        ref = None if review is None else review.message
        if ref is None or ref.platform != PLATFORM:
            return None
        return Place(ref.workspace_id, ref.channel_id, thread_ts=ref.message_id)

    @staticmethod
    def _channel_of(org: Organization) -> Place | None:
        channel = org.notification_channel or org.review_channel
        if channel is None or channel.platform != PLATFORM:
            return None
        return Place(channel.workspace_id, channel.channel_id)

    async def _workspace_of(self, org: Organization) -> str | None:
        channel = org.notification_channel or org.review_channel
        if channel is not None and channel.platform == PLATFORM and channel.workspace_id:
            return channel.workspace_id
        for workspace in await self._store.list_workspaces(org.id):
            if workspace.platform == PLATFORM:
                return workspace.external_id
        return None
