"""Button presses and the forms they open, on review cards (``pf:r:``) and notices (``pf:n:``):
the custom id is read (:mod:`bot.discord.custom_ids`), checked against the presser's server
and organization, and the same chat-neutral core Slack's listeners call decides
(:func:`~postflow.chatops.review.press_review`, :mod:`postflow.chatops.notice_actions`), with the
presser's role checked at every press.

The answer, within Discord's 3 seconds: the card or notice updated in place (type 7) when the
press changed something; an ephemeral message (type 4) for a refusal or an answer for the
presser alone (a reconnect link); a form (type 9) for Request changes, Reject (its reason, and
Discord's stand-in for "Are you sure?"), Edit and Reschedule. Work not done within
:data:`ANSWER_WITHIN_SECONDS` is deferred (type 6) and its answer sent through the interaction's
webhook when it is (:mod:`bot.discord.interaction_webhooks`). A garbled or unknown id, a press
from another server or organization, or outside a server, is refused before anything is read
beyond the presser's organization, and nothing is written.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from bot.discord import deferred_answers
from bot.discord.card_render import EMBED_TOTAL_MAX, cut, message_body
from bot.discord.component_press import ComponentPress
from bot.discord.custom_ids import NOTICE_PREFIX, REVIEW_PREFIX, ButtonId, read_button_id
from bot.discord.interaction_webhooks import edit_original, follow_up
from bot.discord.markdown import PLATFORM
from bot.discord.reply_text import EPHEMERAL, message_data
from bot.discord.review_cards import review_message
from postflow.chat.messages import ChatDestination
from postflow.chatops.callers import organization_for
from postflow.chatops.notice_actions import (
    NoticeOutcome,
    edit_draft,
    edit_from_notice,
    press_notice,
    reschedule_allowed,
    reschedule_from_notice,
)
from postflow.chatops.post_outcomes import NoticeAction
from postflow.chatops.replies import Reply
from postflow.chatops.review import press_review
from postflow.errors import PostFlowError
from postflow.local_time import in_zone, resolve_local_time
from postflow.organizations import Organization
from postflow.publish_queue import PublishQueue
from postflow.reviews import Verdict
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

#: Past this, a press is answered "deferred" and its answer sent through the webhook.
ANSWER_WITHIN_SECONDS = 2.0
UNKNOWN_BUTTON = ("PostFlow does not know this button (it may be from an old message). "
                  "`/postflow list` shows your posts.")
NOT_IN_A_SERVER = "PostFlow's buttons work in a server, not in direct messages."
OTHER_ORGANIZATION = ("This button belongs to another PostFlow organization than this "
                      "server's: it does nothing here.")
OTHER_SERVER = "This review card belongs to another server: decide on it there."
#: Discord's form limits: a title of 45 characters, a text input of 4,000, 5 inputs.
TITLE_MAX, LABEL_MAX, INPUT_MAX, INPUTS_MAX = 45, 45, 4000, 5
COMMENT, TEXT, WHEN = "comment", "text", "when"
VARIANT_PREFIX = "variant:"
WHEN_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
DONE_FIELD = "Done"
SHORT, PARAGRAPH = 1, 2

Answer = dict[str, Any]


def ephemeral(text: str, *, error: bool = True) -> Answer:
    """An answer only the presser sees."""
    return {"type": 4, "data": message_data(Reply(text=text, error=error))}


async def answer_review_press(rt: Runtime, queue: PublishQueue | None,
                              press: ComponentPress) -> Answer:
    """A review card's button, or the form it opened."""
    return await _in_time(rt, press, _review_press(rt, queue, press))


async def answer_notice_press(rt: Runtime, queue: PublishQueue | None,
                              press: ComponentPress) -> Answer:
    """A notice's button, or the form it opened."""
    return await _in_time(rt, press, _notice_press(rt, queue, press))


# -- checks every press passes first ----------------------------------------------------------

async def _checked(rt: Runtime, press: ComponentPress,
                   prefix: str) -> tuple[ButtonId, Organization] | Answer:
    """The button and the presser's organization; an ephemeral refusal for a garbled id, a
    press outside a server, or a button of another organization."""
    button = read_button_id(press.custom_id)
    if button is None or button.prefix != prefix:
        return ephemeral(UNKNOWN_BUTTON)
    if press.caller is None:
        return ephemeral(NOT_IN_A_SERVER)
    org = await organization_for(rt, press.caller.identity)
    if org.id != button.org_id:
        log.info("a Discord button of another organization was pressed in server %s",
                 press.guild_id)
        return ephemeral(OTHER_ORGANIZATION)
    return button, org


# -- review cards -----------------------------------------------------------------------------

async def _review_press(rt: Runtime, queue: PublishQueue | None,
                        press: ComponentPress) -> Answer:
    checked = await _checked(rt, press, REVIEW_PREFIX)
    if isinstance(checked, dict):
        return checked
    button, org = checked
    assert press.caller is not None
    review = await rt.store.get_review(org.id, button.record_id)
    card = review.message
    if card is not None and card.platform == PLATFORM and card.workspace_id != press.guild_id:
        return ephemeral(OTHER_SERVER)
    verdict = Verdict(button.action)
    if verdict is not Verdict.APPROVE and not press.form:
        return _review_form(press.custom_id, verdict)
    reply = await press_review(rt, queue, press.caller, verdict, review.id,
                               press.values.get(COMMENT, ""))
    if reply.error:
        return ephemeral(reply.text)
    review = await rt.store.get_review(org.id, review.id)
    post = await rt.store.get_post(org.id, review.post_id)
    where = card or press.message
    destination = ChatDestination(PLATFORM, press.guild_id,
                                  "" if where is None else where.channel_id)
    updated = await review_message(rt.store, post, review, destination)
    return {"type": 7, "data": message_body(updated)}


def _review_form(custom_id: str, verdict: Verdict) -> Answer:
    if verdict is Verdict.REQUEST_CHANGES:
        return _form(custom_id, "Request changes", [_input(
            COMMENT, "What should change?", PARAGRAPH, max_length=2000)])
    return _form(custom_id, "Reject: the post is canceled", [_input(
        COMMENT, "Why? (optional)", PARAGRAPH, required=False, max_length=2000)])


# -- notices ----------------------------------------------------------------------------------

async def _notice_press(rt: Runtime, queue: PublishQueue | None,
                        press: ComponentPress) -> Answer:
    checked = await _checked(rt, press, NOTICE_PREFIX)
    if isinstance(checked, dict):
        return checked
    button, org = checked
    caller = press.caller
    assert caller is not None
    action, record = NoticeAction(button.action), button.record_id
    if action is NoticeAction.EDIT:
        if press.form:
            text = press.values.get(TEXT, "")
            variants = {key.removeprefix(VARIANT_PREFIX): value
                        for key, value in press.values.items() if key.startswith(VARIANT_PREFIX)}
            return _notice_done(press, await edit_from_notice(rt, queue, caller, record, text,
                                                              variants))
        draft = await edit_draft(rt, caller, record)
        if isinstance(draft, Reply):
            return ephemeral(draft.text)
        if max([len(draft.text), *(len(v) for v in draft.variants.values())]) > INPUT_MAX:
            # A form field holds 4,000 characters: a longer text would be cut when saved.
            return ephemeral(f"Post `{draft.post_id}` is longer than a Discord form holds "
                             f"({INPUT_MAX:,} characters): it cannot be edited here without "
                             "cutting it. Retry it, or drop it and write it again shorter.")
        inputs = [_input(TEXT, "Text", PARAGRAPH, value=draft.text)]
        inputs += [_input(f"{VARIANT_PREFIX}{network}", f"Text for {network} only (optional)",
                          PARAGRAPH, required=False, value=draft.variants.get(network, ""))
                   for network in draft.networks[:INPUTS_MAX - 1]]
        return _form(press.custom_id, "Edit and retry", inputs)
    if action is NoticeAction.RESCHEDULE:
        refusal = await reschedule_allowed(rt, caller)
        if refusal is not None:
            return ephemeral(refusal.text)
        if not press.form:
            suggested = in_zone(rt.clock.now() + timedelta(hours=1), org.timezone)
            return _form(press.custom_id, "Reschedule", [_input(
                WHEN, f"Date and time, {org.timezone}", SHORT, max_length=16,
                value=suggested.strftime("%Y-%m-%d %H:00"), placeholder="YYYY-MM-DD HH:MM")])
        try:
            wall = _wall_clock(press.values.get(WHEN, ""))
        except ValueError:
            return ephemeral("Write the date and time as YYYY-MM-DD HH:MM, e.g. "
                             "2026-12-24 09:30.")
        at = resolve_local_time(wall, org.timezone).utc
        return _notice_done(press, await reschedule_from_notice(rt, caller, record, at,
                                                                org.timezone))
    return _notice_done(press, await press_notice(rt, queue, caller, action, record))


def _notice_done(press: ComponentPress, outcome: NoticeOutcome) -> Answer:
    """The notice updated in place to say who did what (its buttons gone); else the reply for
    the presser alone."""
    reply = outcome.reply
    if reply.error and outcome.problems:
        text = "; ".join(f"{n}: {m}" if n else m for n, m in outcome.problems.items())
        return ephemeral(text)
    if not outcome.done or press.message is None:
        return ephemeral(reply.text, error=reply.error)
    message = press.message
    embed: dict[str, Any] = (dict(message.embeds[0]) if message.embeds
                             else {"description": message.content})
    done = f"\N{BALLOT BOX WITH CHECK}\N{VARIATION SELECTOR-16} {outcome.done}"
    fields = [f for f in embed.get("fields") or [] if f.get("name") != DONE_FIELD]
    embed["fields"] = [*fields, {"name": DONE_FIELD, "value": cut(done, 1024), "inline": False}]
    over = _embed_size(embed) - EMBED_TOTAL_MAX
    if over > 0:
        embed["description"] = cut(str(embed.get("description", "")),
                                    len(str(embed.get("description", ""))) - over)
    return {"type": 7, "data": {"content": "", "embeds": [embed], "components": [],
                                "allowed_mentions": {"parse": []}}}


def _embed_size(embed: dict[str, Any]) -> int:
    footer = embed.get("footer") or {}
    return (len(str(embed.get("title", ""))) + len(str(embed.get("description", "")))
            + len(str(footer.get("text", "")))
            + sum(len(str(f.get("name", ""))) + len(str(f.get("value", "")))
                  for f in embed.get("fields") or []))


# -- forms and time ---------------------------------------------------------------------------

def _form(custom_id: str, title: str, inputs: list[dict[str, Any]]) -> Answer:
    return {"type": 9, "data": {"custom_id": custom_id, "title": cut(title, TITLE_MAX),
                                "components": [{"type": 1, "components": [i]}
                                               for i in inputs[:INPUTS_MAX]]}}


def _input(custom_id: str, label: str, style: int, *, required: bool = True,
           value: str = "", max_length: int = INPUT_MAX, placeholder: str = "") -> dict[str, Any]:
    text_input: dict[str, Any] = {"type": 4, "custom_id": custom_id,
                                  "label": cut(label, LABEL_MAX), "style": style,
                                  "required": required, "max_length": max_length}
    if value:
        text_input["value"] = value[:max_length]
    if placeholder:
        text_input["placeholder"] = placeholder
    return text_input


def _wall_clock(text: str) -> datetime:
    """``2026-12-24 09:30`` as a time without a zone; ValueError for anything else."""
    text = text.strip()
    if not WHEN_FORMAT.match(text):
        raise ValueError(text)
    return datetime.fromisoformat(text.replace(" ", "T"))


async def _in_time(rt: Runtime, press: ComponentPress, work: Awaitable[Answer]) -> Answer:
    """``work``'s answer when it comes within :data:`ANSWER_WITHIN_SECONDS`; else "deferred"
    now and the answer through the interaction's webhook when it comes."""
    task = asyncio.ensure_future(_guarded(work))
    done, _ = await asyncio.wait({task}, timeout=ANSWER_WITHIN_SECONDS)
    if done:
        return task.result()
    deferred_answers.keep(asyncio.ensure_future(
        _answer_late(rt.settings.discord_api_url, press, task)))
    return {"type": 6}


async def _answer_late(api_url: str, press: ComponentPress, task: asyncio.Task[Answer]) -> None:
    answer = await task
    data = answer.get("data") or {}
    if answer["type"] == 7:
        await edit_original(api_url, press.application_id, press.token, data)
        return
    if answer["type"] != 4:  # a form cannot follow a deferral
        data = ephemeral("PostFlow took too long to open the form: press the button again.")[
            "data"]
    await follow_up(api_url, press.application_id, press.token,
                    {**data, "flags": EPHEMERAL})


async def _guarded(work: Awaitable[Answer]) -> Answer:
    try:
        return await work
    except PostFlowError as err:
        return ephemeral(err.message)
    except Exception:
        reference = secrets.token_hex(6)
        log.exception("Discord button failed (reference %s)", reference)
        return ephemeral(f"Something went wrong on PostFlow's side. Reference: {reference}")
