"""Publish outcomes and reconnect notices into Slack: the organization's notification channel
(else its review channel) and a direct message to the post's author when they are a Slack user.

The wording is :mod:`postflow.chatops.post_outcomes`; this module only delivers it, with the
bot token of the workspace (the single-workspace token or a stored installation), so it works
the same from the hub and from a Dramatiq worker. Slack failures are logged by kind and change
nothing else: what happened to the post is already stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import SECTION_MAX, escape
from postflow.chatops.post_outcomes import outcome_text, reconnect_text
from postflow.connections import Connection
from postflow.errors import NotFound
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

SLACK_ERRORS = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError)
EMOJI = {PostStatus.PUBLISHED: ":white_check_mark:", PostStatus.PARTIAL: ":warning:",
         PostStatus.FAILED: ":x:"}

ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


class OutcomeNotices:
    """``client_for(workspace_id)`` gives a Web API client with that workspace's bot token."""

    def __init__(self, rt: Runtime, client_for: ClientFor) -> None:
        self._rt = rt
        self._client_for = client_for

    async def post_outcome(self, post: Post) -> None:
        """Published, Partial or Failed, as the post's status says."""
        accounts = {}
        for target in post.targets:
            try:
                accounts[target.connection_id] = await self._rt.store.get_connection(
                    post.org_id, target.connection_id)
            except NotFound:
                continue
        emoji = EMOJI.get(post.status, ":information_source:")
        text = f"{emoji} {escape(outcome_text(post, accounts))}"
        org = await self._rt.store.get_organization(post.org_id)
        await self.to_channel(org, text)
        await self.to_author(org, post.created_by, text)

    async def needs_reconnect(self, connection: Connection) -> None:
        org = await self._rt.store.get_organization(connection.org_id)
        await self.to_channel(org, f":electric_plug: {escape(reconnect_text(connection))}")

    async def to_channel(self, org: Organization, text: str) -> None:
        channel = org.notification_channel or org.review_channel
        if channel is None or channel.platform != PLATFORM:
            return
        client = await self._client_for(channel.workspace_id)
        if client is not None:
            await _send(client, channel.channel_id, text, "post a notice in the channel")

    async def to_author(self, org: Organization, actor: str, text: str) -> None:
        """A direct message to ``actor`` (``slack:U123``); nothing for other authors."""
        platform, _, user_id = actor.partition(":")
        if platform != PLATFORM or not user_id:
            return
        workspace_id = await self._workspace_of(org)
        client = None if workspace_id is None else await self._client_for(workspace_id)
        if client is None:
            return
        channel = user_id  # Slack's fallback: the app's Messages tab with that person
        try:
            opened = await client.conversations_open(users=user_id)
            channel = str((opened.get("channel") or {}).get("id") or user_id)
        except SlackApiError as err:
            log.info("conversations.open refused (%s); messaging the user id",
                     err.response.get("error"))
        except SLACK_ERRORS as err:
            log.warning("could not reach Slack to open a DM: %s", type(err).__name__)
            return
        await _send(client, channel, text, "message the author")

    async def _workspace_of(self, org: Organization) -> str | None:
        channel = org.notification_channel or org.review_channel
        if channel is not None and channel.platform == PLATFORM and channel.workspace_id:
            return channel.workspace_id
        for workspace in await self._rt.store.list_workspaces(org.id):
            if workspace.platform == PLATFORM:
                return workspace.external_id
        return None


async def _send(client: AsyncWebClient, channel: str, text: str, what: str) -> None:
    try:
        await client.chat_postMessage(channel=channel, text=text[:SECTION_MAX * 4],
                                      unfurl_links=False)
    except SlackApiError as err:
        log.warning("Slack refused to %s: %s", what, err.response.get("error"))
    except SLACK_ERRORS as err:
        log.warning("could not reach Slack to %s: %s", what, type(err).__name__)
