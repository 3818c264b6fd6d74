"""Bolt listeners: ``/postflow`` commands and PostFlow's buttons, turned into chat-ops calls and
answered with Block Kit (ephemeral unless the reply is for everyone).

A command's answer rides its acknowledgement when it is ready within the listener budget (a few
store reads and writes are); otherwise the command is acknowledged empty and its answer follows at
its ``response_url``. A button acknowledges first: its answer always goes to its ``response_url``
(see :mod:`bot.slack.ack_budget`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ack_budget import ANSWERED_WITHOUT_ACK, within_budget
from bot.slack.authorize import PLATFORM, SlackAuthorizer
from bot.slack.blocks import ACTION_ID_PATTERN, action_name, render
from bot.slack.users import read_user
from postflow.chatops.callers import Caller
from postflow.chatops.commands import run_button, run_command
from postflow.chatops.failure_replies import reply_or_apology
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.chatops.replies import Reply
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

COMMAND = "/postflow"

Ack = Callable[..., Awaitable[Any]]
Body = dict[str, Any]


class SlackListeners:
    def __init__(self, rt: Runtime, queue: PublishQueue | None,
                 authorizer: SlackAuthorizer) -> None:
        self._rt = rt
        self._queue = queue
        self._authorizer = authorizer

    def register(self, app: AsyncApp) -> None:
        async def on_command(ack: Ack, body: Body, client: AsyncWebClient, respond: Ack,
                             context: dict[str, Any]) -> None:
            answering = await within_budget(self._guarded(self.command_reply(body, client)))
            if answering.done() and not context.get(ANSWERED_WITHOUT_ACK):
                await ack(**render(answering.result()))
                return
            await ack()
            await answer_late(respond, await answering)

        async def on_button(ack: Ack, body: Body, respond: Ack) -> None:
            await ack()
            reply = await self._guarded(self.button_reply(body))
            await answer_late(respond, reply, replace_original=False)

        app.command(COMMAND)(on_command)
        app.action(ACTION_ID_PATTERN)(on_button)

    async def command_reply(self, body: Body, client: AsyncWebClient) -> Reply:
        caller = Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=body["team_id"],
                                              user_id=body["user_id"]),
                        display_name=str(body.get("user_name", "")),
                        channel_id=str(body.get("channel_id", "")))
        refusal = await self._link_single_workspace(caller, client)
        if refusal is not None:
            return refusal
        text = str(body.get("text", ""))
        if text.lower().split() == ["email", "set"]:
            # No address given: the Slack profile's, when the app may read it.
            user = await read_user(client, caller.identity.user_id)
            if user is not None and user.email:
                caller = replace(caller, profile_email=user.email)
        return await run_command(self._rt, self._queue, caller, text)

    async def button_reply(self, body: Body) -> Reply:
        user = body.get("user") or {}
        team_id = (body.get("team") or {}).get("id") or user.get("team_id", "")
        caller = Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=team_id,
                                              user_id=user["id"]),
                        display_name=str(user.get("username", "")),
                        channel_id=str((body.get("channel") or {}).get("id", "")))
        action = body["actions"][0]
        return await run_button(self._rt, self._queue, caller,
                                action_name(action["action_id"]), str(action.get("value", "")))

    async def _link_single_workspace(self, caller: Caller,
                                     client: AsyncWebClient) -> Reply | None:
        """With one workspace configured by token, its first command links it to a new
        organization, when a Slack workspace admin sends it: they become its Owner."""
        who = caller.identity
        if await self._rt.store.find_workspace(PLATFORM, who.workspace_id) is not None:
            return None
        team = await self._authorizer.token_team()
        if team is None or team.team_id != who.workspace_id:
            return None  # run_command explains that the workspace is not linked
        user = await read_user(client, who.user_id)
        if user is None or not user.administers_workspace:
            return Reply(text="PostFlow is not set up in this workspace yet. A Slack workspace "
                              "admin sets it up by running `/postflow help`, and becomes its "
                              "Owner.", error=True)
        await link_or_create(self._rt, PLATFORM, who.workspace_id, team.team_name,
                             WorkspaceOwner(identity=who, display_name=user.name,
                                            timezone=user.tz), actor=caller.actor)
        return None

    async def _guarded(self, work: Awaitable[Reply]) -> Reply:
        return await reply_or_apology(work, log, "Slack request")


async def answer_late(respond: Ack, reply: Reply, **options: Any) -> None:
    """Send an answer to the request's ``response_url``, after the acknowledgement.

    Slack unreachable then loses only that answer (the work itself is done and recorded): one
    warning line, not a listener failure with a traceback per request. The URL is not logged:
    its path is the request's credential.
    """
    try:
        await respond(**render(reply), **options)
    except (aiohttp.ClientError, TimeoutError) as err:
        log.warning("could not send an answer to Slack's response_url (%s)", type(err).__name__)
