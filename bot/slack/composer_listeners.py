"""Bolt listeners for the composer: ``/postflow new`` opens the modal (``views.open`` with the
command's ``trigger_id``), every change of a live field redraws it (``views.update``), and its
submission creates the post or answers ``response_action: errors`` keyed by block id.

The author's time zone is read once from ``users.info`` when the modal opens and travels in its
``private_metadata``; the confirmation goes to the channel the command came from, ephemeral.

Within Slack's three seconds (see :mod:`bot.slack.ack_budget`): ``new`` acknowledges after a quick
read (is there an account to post to?) and opens the modal afterwards; a submission is checked
(store reads and the providers' checks of the text) before its acknowledgement, which carries the
field errors, and the post is created under the listener budget: when that runs out the form
closes and the outcome comes as the ephemeral confirmation (or what went wrong) instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ack_budget import USER_LOOKUP_SECONDS, within_budget
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
from bot.slack.slack_files import SlackFileDownloader, SlackFileLimits
from bot.slack.users import read_user
from postflow.chatops import compose
from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.compose import Composed, ComposerChoices, ComposerInvalid, ComposerState
from postflow.chatops.failure_replies import reply_or_apology
from postflow.chatops.replies import Reply
from postflow.errors import PostFlowError
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.media import add_media_from_file, media_size_limits

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
        self._files = SlackFileDownloader(SlackFileLimits.from_settings(rt.settings))

    def register(self, app: AsyncApp) -> None:
        async def on_new(ack: Ack, body: Body, client: AsyncWebClient, respond: Ack) -> None:
            refusal = await self._guarded(self.refusal_to_open(body))
            if refusal is not None:
                await ack(**render(refusal))
                return
            await ack()
            reply = await self._guarded(self.open(body, client))
            if reply is not None:
                await respond(**render(reply))

        async def on_change(ack: Ack, body: Body, client: AsyncWebClient) -> None:
            await ack()
            await self._guarded(self.redraw(body, client))

        async def on_submit(ack: Ack, body: Body, client: AsyncWebClient) -> None:
            await self.submit(ack, body, client)

        app.command(COMMAND, matchers=[is_new_command])(on_new)
        app.action(COMPOSER_ACTION)(on_change)
        app.view(CALLBACK_ID)(on_submit)

    async def refusal_to_open(self, body: Body) -> Reply | None:
        """Why the composer cannot open for this command (quick store reads), else None."""
        caller = _command_caller(body)
        choices = await self._choices(caller, ComposerContext(channel_id=caller.channel_id,
                                                              timezone=""))
        if not choices.connections:
            return Reply(text="There is no connected account to publish to yet: an Admin "
                              "connects one with `/postflow connect <network>`.", error=True)
        return None

    async def open(self, body: Body, client: AsyncWebClient) -> Reply | None:
        """Open the modal (after the acknowledgement); a Reply instead when it cannot be."""
        caller = _command_caller(body)
        try:
            user = await asyncio.wait_for(read_user(client, caller.identity.user_id),
                                          USER_LOOKUP_SECONDS)
        except TimeoutError:
            log.info("users.info too slow; the composer uses the organization's zone")
            user = None
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
            state = read_state(view)
            compose.post_request(self._rt, choices, state)  # every field's check, no write
        except Exception as err:  # each kind becomes field errors below
            await ack(response_action="errors", errors=field_errors(_problems(err), view))
            return
        creating = await within_budget(self._create(choices, state, client.token or ""))
        if creating.done():
            refused = creating.result()
            if isinstance(refused, dict):
                await ack(response_action="errors", errors=field_errors(refused, view))
                return
        await ack()
        outcome = await creating
        if isinstance(outcome, dict):  # the form closed before the core refused
            text = "Your post was not created: " + " ".join(dict.fromkeys(outcome.values()))
            await self._confirm(client, caller, escape(text))
            return
        await self._confirm(client, caller, escape(outcome.confirmation))

    async def _create(self, choices: ComposerChoices, state: ComposerState,
                      token: str) -> Composed | dict[str, str]:
        """The uploads stored and the post created, or the problems by field."""
        try:
            state = await self._store_uploads(state, token, choices)
            return await compose.submit_composer(self._rt, self._queue, choices, state)
        except Exception as err:  # each kind becomes field errors
            return _problems(err)

    async def _store_uploads(self, state: ComposerState, token: str,
                             choices: ComposerChoices) -> ComposerState:
        """Each uploaded file downloaded from Slack with the bot token, under the picked
        networks' limits, and stored once, held by the author's organization; a refusal is the
        file field's error."""
        org_id = choices.who.org.id
        limits = media_size_limits(self._rt, compose.picked_networks(choices, state))
        for index, upload in enumerate(state.files):
            if upload.media_id:
                continue
            try:
                async with self._files.download(upload, token, limits) as fetched:
                    stored = await add_media_from_file(self._rt, fetched, org_id=org_id,
                                                       source=f"The file {upload.name[:80]}")
            except PostFlowError as err:
                raise ComposerInvalid({compose.MEDIA_FILES: err.message}) from None
            state = compose.with_stored_file(state, index, stored.id)
        return state

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
        return await reply_or_apology(work, log, "Slack composer request")


def _problems(err: Exception) -> dict[str, str]:
    """What the form says about an error, by field; never a trace (that goes to the log)."""
    if isinstance(err, ComposerInvalid):
        return err.fields
    if isinstance(err, PostFlowError):
        return {compose.TEXT: err.message}
    reference = secrets.token_hex(6)
    log.error("composer submission failed (reference %s)", reference, exc_info=err)
    return {compose.TEXT: f"Something went wrong on PostFlow's side. Reference: {reference}"}


def _command_caller(body: Body) -> Caller:
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=body["team_id"],
                                        user_id=body["user_id"]),
                  display_name=str(body.get("user_name", "")),
                  channel_id=str(body.get("channel_id", "")))


def _caller(body: Body, context: ComposerContext) -> Caller:
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id", "")
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=team_id,
                                        user_id=user["id"]),
                  display_name=str(user.get("username", "")), channel_id=context.channel_id)
