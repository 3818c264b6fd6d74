"""Bolt listeners for the review card: Approve and Reject decide at once; Request changes opens a
modal (``views.open`` with the press's ``trigger_id``) whose submission carries the comment.

A refusal to a button goes to the presser alone (its ``response_url``, ephemeral); a refusal to
the modal comes back as ``response_action: errors`` on the comment field, so the text typed stays.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import render
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

        async def on_changes_submitted(ack: Ack, body: Body) -> None:
            reply = await self._guarded(self.changes_submitted(body))
            if reply is not None and reply.error:
                await ack(response_action="errors", errors={COMMENT_BLOCK: reply.text[:150]})
            else:
                await ack()

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
