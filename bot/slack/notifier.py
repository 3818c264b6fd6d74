"""The Slack :class:`~postflow.notifications.Notifier`: review cards in the organization's
review channel, updated in place, with each step said in the card's thread; late posts,
publish outcomes and accounts needing a reconnect in the notification channel, and to a Slack
author by direct message (:mod:`bot.slack.outcome_notices`). One method per event.

Slack failures are logged by kind, never with a token; the use cases calling this already
stored what happened, so a failed message changes nothing else.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.authorize import PLATFORM, SlackAuthorizer
from bot.slack.blocks import escape
from bot.slack.outcome_notices import OutcomeNotices
from bot.slack.review_blocks import VERDICT_WORDS, person, review_card
from postflow.chatops.formatting import local_time
from postflow.chatops.post_outcomes import expiry_warning_text
from postflow.connections import Connection
from postflow.errors import NotFound
from postflow.organizations import ChatChannel, Organization
from postflow.posts import Post, PostStatus
from postflow.reviews import ChatMessageRef, ReviewDecision, ReviewRequest, ReviewState, Verdict
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

SLACK_ERRORS = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError)


class SlackNotifier:
    """Posts to the Slack channels an organization chose (``/postflow settings``)."""

    def __init__(self, rt: Runtime, api_url: str | None = None) -> None:
        self._rt = rt
        self._api_url = (api_url or rt.settings.slack_api_url).rstrip("/") + "/"
        self._authorizer = SlackAuthorizer(rt, self._api_url)
        #: Publish outcomes and reconnect notices (channel, and a DM to a Slack author).
        self._outcomes = OutcomeNotices(rt, self._client_in)

    # -- events -----------------------------------------------------------------------------
    async def post_late(self, post: Post) -> None:
        org = await self._rt.store.get_organization(post.org_id)
        await self._outcomes.to_author(org, post.created_by, f":alarm_clock: Your post "
                                       f"`{post.id}` is late and waits for a person: "
                                       f"{escape(post.status_reason)}")
        channel = org.notification_channel or org.review_channel
        client = await self._client(channel)
        if client is None or channel is None:
            log.warning("post %s is late: %s", post.id, post.status_reason)
            return
        await self._call(client.chat_postMessage(
            channel=channel.channel_id,
            text=f":alarm_clock: Post `{post.id}` is late and waits for a person: "
                 f"{escape(post.status_reason)}"), "post a late notice")

    async def post_published(self, post: Post) -> None:
        await self._outcomes.post_outcome(post)

    async def post_partially_published(self, post: Post) -> None:
        await self._outcomes.post_outcome(post)

    async def post_failed(self, post: Post) -> None:
        await self._outcomes.post_outcome(post)

    async def connection_needs_reconnect(self, connection: Connection, reason: str) -> None:
        await self._outcomes.needs_reconnect(connection)

    async def token_expiring(self, connection: Connection, days_left: int) -> None:
        org = await self._rt.store.get_organization(connection.org_id)
        await self._outcomes.to_channel(
            org, f":hourglass: {escape(expiry_warning_text(connection, days_left))}")

    async def review_requested(self, post: Post, review: ReviewRequest) -> ChatMessageRef | None:
        org = await self._rt.store.get_organization(post.org_id)
        ref = review.message
        if ref is not None:
            client = await self._client_for(ref)
            if client is None:
                return ref
            await self._update_card(client, ref, org, post, review)
            changed = "; ".join(review.changes) or "it was asked again"
            await self._reply(client, ref, f":arrows_counterclockwise: Review again "
                              f"(round {review.round}), asked by {person(review.requested_by)}: "
                              f"{escape(changed)}. Earlier approvals no longer count.")
            return ref
        channel = org.review_channel
        client = await self._client(channel)
        if client is None or channel is None:
            log.info("review %s: organization %s has no Slack review channel", review.id,
                     org.id)
            return None
        text, blocks = review_card(post, review, await self._connections(post), org.timezone)
        answer = await self._call(client.chat_postMessage(
            channel=channel.channel_id, text=text, blocks=blocks), "post a review card")
        if answer is None:
            return None
        return ChatMessageRef(platform=PLATFORM, workspace_id=channel.workspace_id,
                              channel_id=str(answer.get("channel") or channel.channel_id),
                              message_id=str(answer["ts"]))

    async def review_decided(self, post: Post, review: ReviewRequest,
                             decision: ReviewDecision) -> None:
        ref = review.message
        client = None if ref is None else await self._client_for(ref)
        if client is None or ref is None:
            return
        org = await self._rt.store.get_organization(post.org_id)
        await self._update_card(client, ref, org, post, review)
        text = f"{person(decision.actor)} {VERDICT_WORDS[decision.verdict]}"
        if decision.comment:
            text += f": {escape(decision.comment)}"
        text += f" ({review.progress()})."
        if review.state is ReviewState.APPROVED and post.status is PostStatus.SCHEDULED:
            text += (" The post is approved and scheduled for "
                     f"{local_time(post.scheduled_at or post.due_at, org.timezone)}.")
        elif decision.verdict is not Verdict.APPROVE:
            author = person(post.created_by or review.requested_by)
            text += (f" {author}, edit the post and it comes back here for review."
                     if review.state is ReviewState.CHANGES_REQUESTED
                     else f" {author}, the post was canceled.")
        await self._reply(client, ref, text)

    async def review_expired(self, post: Post, review: ReviewRequest) -> None:
        ref = review.message
        client = None if ref is None else await self._client_for(ref)
        if client is None or ref is None:
            return
        org = await self._rt.store.get_organization(post.org_id)
        await self._update_card(client, ref, org, post, review)
        await self._reply(client, ref, f":hourglass: This review expired "
                          f"({review.progress()}). {person(post.created_by or review.requested_by)}"
                          ", the post is a draft again: ask for review again when ready.")

    # -- helpers ----------------------------------------------------------------------------
    async def _update_card(self, client: AsyncWebClient, ref: ChatMessageRef,
                           org: Organization, post: Post, review: ReviewRequest) -> None:
        text, blocks = review_card(post, review, await self._connections(post), org.timezone)
        await self._call(client.chat_update(channel=ref.channel_id, ts=ref.message_id,
                                            text=text, blocks=blocks), "update a review card")

    async def _reply(self, client: AsyncWebClient, ref: ChatMessageRef, text: str) -> None:
        await self._call(client.chat_postMessage(channel=ref.channel_id,
                                                 thread_ts=ref.message_id, text=text),
                         "reply in a review thread")

    async def _connections(self, post: Post) -> dict[str, Connection]:
        found = {}
        for target in post.targets:
            try:
                found[target.connection_id] = await self._rt.store.get_connection(
                    post.org_id, target.connection_id)
            except NotFound:
                continue
        return found

    async def _client(self, channel: ChatChannel | None) -> AsyncWebClient | None:
        if channel is None or channel.platform != PLATFORM:
            return None
        return await self._client_in(channel.workspace_id)

    async def _client_for(self, ref: ChatMessageRef) -> AsyncWebClient | None:
        return None if ref.platform != PLATFORM else await self._client_in(ref.workspace_id)

    async def _client_in(self, workspace_id: str) -> AsyncWebClient | None:
        authorized = await self._authorizer.authorize(None, workspace_id, None)
        if authorized is None or not authorized.bot_token:
            log.warning("no Slack bot token for workspace %s: message not sent", workspace_id)
            return None
        return AsyncWebClient(token=authorized.bot_token, base_url=self._api_url)

    @staticmethod
    async def _call(work: Awaitable[AsyncSlackResponse], what: str) -> dict[str, Any] | None:
        try:
            answer = await work
        except SlackApiError as err:
            log.warning("Slack refused to %s: %s", what, err.response.get("error"))
            return None
        except SLACK_ERRORS as err:
            log.warning("could not reach Slack to %s: %s", what, type(err).__name__)
            return None
        return answer.data if isinstance(answer.data, dict) else None
