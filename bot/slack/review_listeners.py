"""Bolt listeners for the review card: Approve and Reject decide at once; Request changes opens a
modal (``views.open`` with the press's ``trigger_id``) whose submission carries the comment.

A refusal to a button goes to the presser alone (its ``response_url``, ephemeral); a refusal to
the modal comes back as ``response_action: errors`` on the comment field, so the text typed stays.

A button acknowledges before anything else; the modal's decision runs under the listener budget
(:mod:`bot.slack.ack_budget`): when it is not done by then the form closes and a refusal comes as
a direct message instead.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ack_budget import within_budget
from bot.slack.authorize import PLATFORM
from bot.slack.blocks import escape, render
from bot.slack.composer_listeners import SLACK_ERRORS
from bot.slack.review_blocks import (
    CHANGES_VIEW,
    COMMENT_ACTION,
    COMMENT_BLOCK,
    REVIEW_PREFIX,
    changes_modal,
)
from postflow.chatops.callers import Caller
from postflow.chatops.replies import Reply
from postflow.chatops.review import press_review
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.reviews import Verdict
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

REVIEW_ACTION = re.compile(rf"^{re.escape(REVIEW_PREFIX)}")

Ack = Callable[..., Awaitable[Any]]
Body = dict[str, Any]


class ReviewListeners:
    def __init__(self, rt: Runtime, queue: PublishQueue | None) -> None:
        self._rt = rt
        self._queue = queue

    def register(self, app: AsyncApp) -> None:
        async def on_review_button(ack: Ack, body: Body, respond: Ack,
                                   client: AsyncWebClient) -> None:
            await ack()
            reply = await self._guarded(self.button(body, client))
            if reply is not None:
                await respond(**render(reply), replace_original=False)

        async def on_changes_submitted(ack: Ack, body: Body, client: AsyncWebClient) -> None:
            deciding = await within_budget(self._guarded(self.changes_submitted(body)))
            if deciding.done():
                reply = deciding.result()
                if reply is not None and reply.error:
                    await ack(response_action="errors", errors={COMMENT_BLOCK: reply.text[:150]})
                else:
                    await ack()
                return
            await ack()
            reply = await deciding
            if reply is not None and reply.error:
                await self._tell(client, _caller(body).identity.user_id, reply.text)

        app.action(REVIEW_ACTION)(on_review_button)
        app.view(CHANGES_VIEW)(on_changes_submitted)

    async def button(self, body: Body, client: AsyncWebClient) -> Reply | None:
        """The reply for a review button; None when a modal was opened instead."""
        action = body["actions"][0]
        verdict = Verdict(str(action["action_id"]).removeprefix(REVIEW_PREFIX))
        review_id = str(action.get("value", ""))
        if verdict is Verdict.REQUEST_CHANGES:
            await client.views_open(trigger_id=body["trigger_id"], view=changes_modal(review_id))
            return None
        return await press_review(self._rt, self._queue, _caller(body), verdict, review_id)

    async def changes_submitted(self, body: Body) -> Reply:
        view = body["view"]
        values = view.get("state", {}).get("values", {})
        comment = str(values.get(COMMENT_BLOCK, {}).get(COMMENT_ACTION, {}).get("value") or "")
        return await press_review(self._rt, self._queue, _caller(body),
                                  Verdict.REQUEST_CHANGES, str(view.get("private_metadata", "")),
                                  comment)

    async def _tell(self, client: AsyncWebClient, user_id: str, text: str) -> None:
        """A direct message to ``user_id``; a refusal by Slack is logged, not raised."""
        try:
            await client.chat_postMessage(channel=user_id, text=escape(text))
        except SLACK_ERRORS as err:
            log.warning("could not tell %s about a review decision: %s", user_id,
                        type(err).__name__)

    async def _guarded(self, work: Awaitable[Reply | None]) -> Reply | None:
        try:
            return await work
        except Exception:
            reference = secrets.token_hex(6)
            log.exception("Slack review request failed (reference %s)", reference)
            return Reply(text=f"Something went wrong on PostFlow's side. Reference: {reference}",
                         error=True)


def _caller(body: Body) -> Caller:
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id", "")
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=team_id,
                                        user_id=user["id"]),
                  display_name=str(user.get("username", "")),
                  channel_id=str((body.get("channel") or {}).get("id", "")))
