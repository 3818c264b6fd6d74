"""Bolt listeners for the buttons on notices (``postflow-notice:<action>``, value: a post id, or a
connection id for Reconnect): Retry, Edit (a form with the post's text and its per-network
variants; submitted, the failed accounts are tried again), Mark as published, Not there: retry,
Reconnect account, Publish now, Reschedule (a form with a date and a time in the presser's zone)
and Drop.

Each press runs through :mod:`postflow.chatops.notice_actions`, which checks the presser's role
at press time. The presser alone gets the answer (its ``response_url``, ephemeral); when the press
changed the post, the notice itself is updated in place (``chat.update`` through the ``chat``
queue) to say who did what, and its buttons go away.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import PLATFORM
from bot.slack.blocks import escape, render
from bot.slack.card_blocks import NOTICE_KEY, NOTICE_TEXT_BLOCK
from bot.slack.outcome_notices import NOTICE_PREFIX
from bot.slack.users import read_user
from postflow.chat.delivery import ChatOutbox
from postflow.chat.messages import ChatCard, ChatDestination, ChatMessage
from postflow.chatops.callers import Caller
from postflow.chatops.notice_actions import (
    EditDraft,
    NoticeOutcome,
    edit_draft,
    edit_from_notice,
    press_notice,
    reschedule_allowed,
    reschedule_from_notice,
)
from postflow.chatops.post_outcomes import NoticeAction
from postflow.chatops.replies import Reply
from postflow.errors import NotFound
from postflow.local_time import in_zone, resolve_local_time
from postflow.organizations import ChatIdentity
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.timezones import zone

log = logging.getLogger(__name__)

NOTICE_ACTION = re.compile(rf"^{re.escape(NOTICE_PREFIX)}")
RESCHEDULE_VIEW = "postflow-notice-reschedule"
DATE_BLOCK, DATE_ACTION = "reschedule-date", "date"
TIME_BLOCK, TIME_ACTION = "reschedule-time", "time"
#: The notice text kept in the form's private_metadata (Slack allows 3000 characters in all).
KEPT_TEXT = 2000
EDIT_VIEW = "postflow-notice-edit"
EDIT_TEXT_BLOCK, EDIT_TEXT_ACTION = "edit-text", "text"
#: One optional block per network of the post: ``edit-variant:<network>``.
EDIT_VARIANT_PREFIX, EDIT_VARIANT_ACTION = "edit-variant:", "variant"
#: Slack's limit for a plain_text_input.
INPUT_MAX = 3000

Ack = Callable[..., Awaitable[Any]]
Body = dict[str, Any]


class NoticeListeners:
    def __init__(self, rt: Runtime, queue: PublishQueue | None, outbox: ChatOutbox) -> None:
        self._rt = rt
        self._queue = queue
        self._outbox = outbox

    def register(self, app: AsyncApp) -> None:
        async def on_notice_button(ack: Ack, body: Body, respond: Ack,
                                   client: AsyncWebClient) -> None:
            await ack()
            reply = await self._guarded(self.button(body, client))
            if reply is not None:
                await respond(**render(reply), replace_original=False)

        async def on_reschedule_submitted(ack: Ack, body: Body) -> None:
            reply = await self._guarded(self.reschedule_submitted(body))
            if reply is not None and reply.error:
                await ack(response_action="errors", errors={TIME_BLOCK: reply.text[:150]})
            else:
                await ack()

        async def on_edit_submitted(ack: Ack, body: Body) -> None:
            outcome = await self._guarded_outcome(self.edit_submitted(body))
            if outcome.reply.error:
                await ack(response_action="errors", errors=_edit_errors(body, outcome))
            else:
                await ack()

        app.action(NOTICE_ACTION)(on_notice_button)
        app.view(RESCHEDULE_VIEW)(on_reschedule_submitted)
        app.view(EDIT_VIEW)(on_edit_submitted)

    async def button(self, body: Body, client: AsyncWebClient) -> Reply | None:
        """The presser's answer; None when the Reschedule form was opened instead."""
        action_data = body["actions"][0]
        action = NoticeAction(str(action_data["action_id"]).removeprefix(NOTICE_PREFIX))
        value = str(action_data.get("value", ""))
        caller = _caller(body)
        if action is NoticeAction.RESCHEDULE:
            refusal = await reschedule_allowed(self._rt, caller)
            if refusal is not None:
                return refusal
            await self._open_reschedule(body, client, caller, value)
            return None
        if action is NoticeAction.EDIT:
            draft = await edit_draft(self._rt, caller, value)
            if isinstance(draft, Reply):
                return draft
            await client.views_open(trigger_id=body["trigger_id"],
                                    view=_edit_modal(_form_metadata(body, caller, value), draft))
            return None
        outcome = await press_notice(self._rt, self._queue, caller, action, value)
        await self._mark_done(body, outcome, _notice_text(body))
        return outcome.reply

    async def reschedule_submitted(self, body: Body) -> Reply:
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        values = view.get("state", {}).get("values", {})
        day = values.get(DATE_BLOCK, {}).get(DATE_ACTION, {}).get("selected_date")
        clock = values.get(TIME_BLOCK, {}).get(TIME_ACTION, {}).get("selected_time")
        if not day or not clock:
            return Reply(text="Pick a date and a time.", error=True)
        tz = str(meta.get("tz") or "UTC")
        wall = datetime.fromisoformat(f"{day}T{clock}")
        at = resolve_local_time(wall, tz).utc
        outcome = await reschedule_from_notice(self._rt, _caller(body), str(meta["post"]), at,
                                               tz)
        await self._mark_done(_notice_place(meta), outcome, str(meta.get("text", "")))
        return outcome.reply

    async def edit_submitted(self, body: Body) -> NoticeOutcome:
        """The Edit form's outcome; the notice is updated in place when the post changed."""
        view = body["view"]
        meta = json.loads(view.get("private_metadata") or "{}")
        values = view.get("state", {}).get("values", {})
        text = values.get(EDIT_TEXT_BLOCK, {}).get(EDIT_TEXT_ACTION, {}).get("value") or ""
        variants = {block.removeprefix(EDIT_VARIANT_PREFIX):
                    str(fields.get(EDIT_VARIANT_ACTION, {}).get("value") or "")
                    for block, fields in values.items()
                    if block.startswith(EDIT_VARIANT_PREFIX)}
        outcome = await edit_from_notice(self._rt, self._queue, _caller(body),
                                         str(meta["post"]), str(text), variants)
        await self._mark_done(_notice_place(meta), outcome, str(meta.get("text", "")))
        return outcome

    async def _open_reschedule(self, body: Body, client: AsyncWebClient, caller: Caller,
                               post_id: str) -> None:
        user = await read_user(client, caller.identity.user_id)
        tz = user.tz if user is not None and user.tz else await self._org_zone(caller)
        try:
            zone(tz)
        except Exception:  # a zone this machine does not know: the org's is the safe answer
            tz = await self._org_zone(caller)
        suggested = in_zone(self._rt.clock.now() + timedelta(hours=1), tz)
        meta = json.dumps({**json.loads(_form_metadata(body, caller, post_id)), "tz": tz})
        await client.views_open(trigger_id=body["trigger_id"], view=_reschedule_modal(
            meta, suggested.date().isoformat(), suggested.strftime("%H:00"), tz))

    async def _org_zone(self, caller: Caller) -> str:
        workspace = await self._rt.store.find_workspace(PLATFORM, caller.identity.workspace_id)
        if workspace is None:
            return "UTC"
        try:
            return (await self._rt.store.get_organization(workspace.org_id)).timezone
        except NotFound:
            return "UTC"

    async def _mark_done(self, body: Body, outcome: NoticeOutcome, text: str) -> None:
        """Update the notice in place: its text, then who did what, and no more buttons."""
        channel = str((body.get("channel") or {}).get("id") or "")
        ts = str((body.get("container") or {}).get("message_ts") or "")
        team = str((body.get("team") or {}).get("id") or "")
        if not outcome.done or not channel or not ts or not team:
            return
        done = f":ballot_box_with_check: {escape(outcome.done)}"
        await self._outbox.send(ChatMessage(
            destination=ChatDestination(PLATFORM, team, channel), replaces=ts,
            text=f"{text}\n{done}", card=ChatCard(key=NOTICE_KEY, paragraphs=(text,),
                                                  context=(done,)),
            what="update a notice"))

    async def _guarded_outcome(self, work: Awaitable[NoticeOutcome]) -> NoticeOutcome:
        try:
            return await work
        except Exception:
            reference = secrets.token_hex(6)
            log.exception("Slack notice form failed (reference %s)", reference)
            return NoticeOutcome(Reply(text="Something went wrong on PostFlow's side. "
                                            f"Reference: {reference}", error=True))

    async def _guarded(self, work: Awaitable[Reply | None]) -> Reply | None:
        try:
            return await work
        except Exception:
            reference = secrets.token_hex(6)
            log.exception("Slack notice button failed (reference %s)", reference)
            return Reply(text=f"Something went wrong on PostFlow's side. Reference: {reference}",
                         error=True)


def _notice_text(body: Body) -> str:
    """The notice's text as Slack shows it (already escaped), from the pressed message."""
    message = body.get("message") or {}
    for block in message.get("blocks") or []:
        if block.get("block_id") == NOTICE_TEXT_BLOCK:
            return str((block.get("text") or {}).get("text") or "")
    return str(message.get("text") or "")


def _form_metadata(body: Body, caller: Caller, post_id: str) -> str:
    """A form's private_metadata: the post, and where the notice to update is."""
    return json.dumps({"post": post_id, "channel": (body.get("channel") or {}).get("id", ""),
                       "ts": (body.get("container") or {}).get("message_ts", ""),
                       "team": caller.identity.workspace_id,
                       "text": _notice_text(body)[:KEPT_TEXT]})


def _notice_place(meta: dict[str, Any]) -> Body:
    """The notice named in a form's metadata, shaped like a button press's body."""
    return {"channel": {"id": meta.get("channel", "")},
            "container": {"message_ts": meta.get("ts", "")},
            "team": {"id": meta.get("team", "")}}


def _edit_modal(metadata: str, draft: EditDraft) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "input", "block_id": EDIT_TEXT_BLOCK,
         "label": {"type": "plain_text", "text": "Text"},
         "element": {"type": "plain_text_input", "action_id": EDIT_TEXT_ACTION,
                     "multiline": True, "max_length": INPUT_MAX,
                     "initial_value": draft.text[:INPUT_MAX]}}]
    for network in draft.networks:
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": EDIT_VARIANT_ACTION,
                                   "multiline": True, "max_length": INPUT_MAX}
        if draft.variants.get(network):
            element["initial_value"] = draft.variants[network][:INPUT_MAX]
        blocks.append({"type": "input", "block_id": f"{EDIT_VARIANT_PREFIX}{network}",
                       "optional": True, "element": element,
                       "label": {"type": "plain_text", "text": f"Text for {network} only"},
                       "hint": {"type": "plain_text",
                                "text": "Leave empty to use the text above."}})
    return {
        "type": "modal", "callback_id": EDIT_VIEW, "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Edit and retry"},
        "submit": {"type": "plain_text", "text": "Save and retry"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "context", "elements": [{
            "type": "mrkdwn", "text": "Only the accounts it missed are tried again; what "
                                      "was published stays as it is."}]}, *blocks]}


def _edit_errors(body: Body, outcome: NoticeOutcome) -> dict[str, str]:
    """Block id -> message: a network's problem on its variant when one was given, else on
    the text; a refusal without a network on the text."""
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    for network, message in (outcome.problems or {"": outcome.reply.text}).items():
        block = f"{EDIT_VARIANT_PREFIX}{network}"
        given = (values.get(block, {}).get(EDIT_VARIANT_ACTION) or {}).get("value")
        where = block if network and given else EDIT_TEXT_BLOCK
        label = f"{network}: " if network and where == EDIT_TEXT_BLOCK else ""
        errors[where] = (errors[where] + " " if where in errors else "") + label + message
    return {block: message[:150] for block, message in errors.items()}


def _reschedule_modal(metadata: str, day: str, clock: str, tz: str) -> dict[str, Any]:
    return {
        "type": "modal", "callback_id": RESCHEDULE_VIEW, "private_metadata": metadata,
        "title": {"type": "plain_text", "text": "Reschedule"},
        "submit": {"type": "plain_text", "text": "Reschedule"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": DATE_BLOCK,
             "label": {"type": "plain_text", "text": "Date"},
             "element": {"type": "datepicker", "action_id": DATE_ACTION, "initial_date": day}},
            {"type": "input", "block_id": TIME_BLOCK,
             "label": {"type": "plain_text", "text": f"Time ({tz})"},
             "element": {"type": "timepicker", "action_id": TIME_ACTION, "initial_time": clock,
                         "timezone": tz}},
        ]}


def _caller(body: Body) -> Caller:
    user = body.get("user") or {}
    team_id = (body.get("team") or {}).get("id") or user.get("team_id", "")
    return Caller(identity=ChatIdentity(platform=PLATFORM, workspace_id=team_id,
                                        user_id=user["id"]),
                  display_name=str(user.get("username", "")),
                  channel_id=str((body.get("channel") or {}).get("id", "")))
