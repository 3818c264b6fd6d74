"""Bolt listeners for the composer: ``/postflow new`` opens the modal (``views.open`` with the
command's ``trigger_id``), every change of a live field redraws it (``views.update``), and its
submission creates the post or answers ``response_action: errors`` keyed by block id.

The author's time zone is read once from ``users.info`` when the modal opens and travels in its
``private_metadata``; the confirmation goes to the channel the command came from, ephemeral.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import escape, render
from bot.slack.composer import (
    ACTION_PREFIX,
    CALLBACK_ID,
    ComposerContext,
    composer_view,
    field_errors,
    read_state,
)
from bot.slack.users import read_user
from postflow.chatops import compose
from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.compose import ComposerChoices, ComposerInvalid
from postflow.chatops.replies import Reply
from postflow.errors import PostFlowError
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

COMMAND = "/postflow"
NEW = "new"
COMPOSER_ACTION = re.compile(rf"^{re.escape(ACTION_PREFIX)}")
SLACK_ERRORS = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError)

Ack = Callable[..., Awaitable[Any]]
Body = dict[str, Any]


async def is_new_command(body: Body) -> bool:
    words = str(body.get("text", "")).split()
    return bool(words) and words[0].lower() == NEW


class ComposerListeners:
    """Registered before the general ``/postflow`` listener, which answers every other word."""

    def __init__(self, rt: Runtime, queue: PublishQueue | None) -> None:
        self._rt = rt
        self._queue = queue

    def register(self, app: AsyncApp) -> None:
        async def on_new(ack: Ack, body: Body, client: AsyncWebClient) -> None:
            reply = await self._guarded(self.open(body, client))
            await (ack(**render(reply)) if reply is not None else ack())

        async def on_change(ack: Ack, body: Body, client: AsyncWebClient) -> None:
            await ack()
            await self._guarded(self.redraw(body, client))

        async def on_submit(ack: Ack, body: Body, client: AsyncWebClient) -> None:
            await self.submit(ack, body, client)

        app.command(COMMAND, matchers=[is_new_command])(on_new)
        app.action(COMPOSER_ACTION)(on_change)
        app.view(CALLBACK_ID)(on_submit)

    async def open(self, body: Body, client: AsyncWebClient) -> Reply | None:
        """Open the modal; a Reply (ephemeral) instead when it cannot be."""
        caller = Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=body["team_id"],
                                              user_id=body["user_id"]),
                        display_name=str(body.get("user_name", "")),
                        channel_id=str(body.get("channel_id", "")))
        user = await read_user(client, caller.identity.user_id)
        context = ComposerContext(channel_id=caller.channel_id,
                                  timezone=user.tz if user is not None else "")
        choices = await self._choices(caller, context)
        if not choices.connections:
            return Reply(text="There is no connected account to publish to yet: an Admin "
                              "connects one with `/postflow connect <network>`.", error=True)
        state = compose.ComposerState()
        view = composer_view(choices, state, compose.network_counts(self._rt, choices, state),
                             context)
        await client.views_open(trigger_id=body["trigger_id"], view=view)
        return None

    async def redraw(self, body: Body, client: AsyncWebClient) -> Reply | None:
        """Redraw the modal for what it holds now: counts per network and the resolved time."""
        view = body["view"]
        context = ComposerContext.decode(str(view.get("private_metadata", "")))
        choices = await self._choices(_caller(body, context), context)
        state = read_state(view)
        new_view = composer_view(choices, state,
                                 compose.network_counts(self._rt, choices, state), context)
        try:
            await client.views_update(view_id=view["id"], hash=view.get("hash"), view=new_view)
        except SlackApiError as err:
            # A newer keystroke already redrew it (hash_conflict): that redraw wins.
            log.info("composer redraw skipped: %s", err.response.get("error"))
        return None

    async def submit(self, ack: Ack, body: Body, client: AsyncWebClient) -> None:
        view = body["view"]
        context = ComposerContext.decode(str(view.get("private_metadata", "")))
        caller = _caller(body, context)
        try:
            choices = await self._choices(caller, context)
            composed = await compose.submit_composer(self._rt, self._queue, choices,
                                                     read_state(view))
        except ComposerInvalid as invalid:
            await ack(response_action="errors", errors=field_errors(invalid.fields, view))
            return
        except PostFlowError as err:
            await ack(response_action="errors",
                      errors=field_errors({compose.TEXT: err.message}, view))
            return
        except Exception:
            reference = secrets.token_hex(6)
            log.exception("composer submission failed (reference %s)", reference)
            await ack(response_action="errors", errors=field_errors(
                {compose.TEXT: f"Something went wrong on PostFlow's side. Reference: "
                               f"{reference}"}, view))
            return
        await ack()
        await self._confirm(client, caller, escape(composed.confirmation))

    async def _choices(self, caller: Caller, context: ComposerContext) -> ComposerChoices:
        who = await resolve_member(self._rt, caller)
        return await compose.composer_choices(self._rt, who, context.timezone)

    async def _confirm(self, client: AsyncWebClient, caller: Caller, text: str) -> None:
        """Ephemeral in the command's channel; a direct message when Slack refuses that (the
        bot is not in the channel)."""
        user_id = caller.identity.user_id
        if caller.channel_id:
            try:
                await client.chat_postEphemeral(channel=caller.channel_id, user=user_id,
                                                text=text)
                return
            except SLACK_ERRORS as err:
                log.info("ephemeral confirmation refused (%s); sending it as a DM",
                         type(err).__name__)
        try:
            await client.chat_postMessage(channel=user_id, text=text)
        except SLACK_ERRORS as err:
            log.warning("could not confirm a composed post to %s: %s", user_id,
                        type(err).__name__)

    async def _guarded(self, work: Awaitable[Reply | None]) -> Reply | None:
        try:
            return await work
        except PostFlowError as err:
            return Reply(text=err.message, error=True)
        except Exception:
            reference = secrets.token_hex(6)
            log.exception("Slack composer request failed (reference %s)", reference)
            return Reply(text=f"Something went wrong on PostFlow's side. Reference: {reference}",
                         error=True)


def _caller(body: Body, context: ComposerContext) -> Caller:
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id", "")
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=team_id,
                                        user_id=user["id"]),
                  display_name=str(user.get("username", "")), channel_id=context.channel_id)
