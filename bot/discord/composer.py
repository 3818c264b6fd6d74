"""The Discord composer, on the chat-neutral composer Slack's modal uses
(:mod:`postflow.chatops.compose`):

1. ``/postflow new [media]`` answers with a modal (callback 9) for the text and each network's
   own text; the ``media`` attachment, if given, is remembered with the draft.
2. The modal's submission answers with an ephemeral message (4; or 5 and an edit when the
   attachment must be downloaded and stored first) showing the counts and problems per network,
   with selects for the accounts, the time (now, a local time, the next queue slot) and for
   Admins review or not, and the buttons Submit, Edit text, Set time and Cancel. Each change
   updates that message in place (7); nothing is saved as a post yet.
3. Submit creates the post through the same core as Slack (for review when the policy asks),
   Cancel discards the draft.

Between steps the draft is in the store (:mod:`bot.discord.composer_drafts`), keyed by the
``pf:c:<step>:<draft>`` ids of the components; every step checks the presser owns the draft
and is still a member with the role, before it reads or writes anything.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, time
from typing import Any

from bot.discord import composer_message as ui
from bot.discord.component_press import ComponentPress
from bot.discord.composer_drafts import (
    COMPOSER_PREFIX,
    ComposerDraft,
    claim_draft,
    new_draft,
    open_draft,
    read_composer_id,
    save_draft,
)
from bot.discord.composer_media import command_attachments, store_attachment
from bot.discord.deferred_answers import Webhook, answer_within, complete_later, deferral
from bot.discord.interaction_types import Answer, CallbackType
from bot.discord.reply_text import message_data
from postflow.chatops import compose
from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.compose import ComposerChoices, ComposerInvalid, When
from postflow.chatops.failure_replies import reply_or_apology
from postflow.chatops.replies import Reply
from postflow.errors import PostFlowError
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.media import media_size_limits

__all__ = ["COMPOSER_PREFIX", "composer_answer", "open_composer"]

log = logging.getLogger(__name__)

NO_ACCOUNTS = ("There is no connected account to publish to yet: an Admin connects one with "
               "`/postflow connect <network>`.")


@dataclass(frozen=True)
class Step:
    """One press or submission on a composer, its draft opened for its owner."""

    rt: Runtime
    queue: PublishQueue | None
    press: ComponentPress
    draft: ComposerDraft
    choices: ComposerChoices

    @property
    def on_message(self) -> bool:
        """Whether it came from the composer's message (so it may update it in place)."""
        return self.press.message is not None

    @property
    def webhook(self) -> Webhook:
        return Webhook(self.press.application_id, self.press.token)


async def open_composer(rt: Runtime, queue: PublishQueue | None, caller: Caller,
                        payload: Mapping[str, Any]) -> Answer:
    """``/postflow new``: the modal, or why it cannot open."""
    try:
        who = await resolve_member(rt, caller)
        choices = await compose.composer_choices(rt, who, "")
    except PostFlowError as err:
        return _refusal(err.message)
    if not choices.connections:
        return _refusal(NO_ACCOUNTS)
    draft = replace(new_draft(who, files=command_attachments(payload)),
                    networks=tuple(choices.networks[:ui.INPUTS_MAX - 1]))
    await save_draft(rt, draft)
    return {"type": CallbackType.MODAL, "data": ui.text_modal(draft, choices)}


async def composer_answer(rt: Runtime, queue: PublishQueue | None,
                          press: ComponentPress) -> Answer:
    """A composer's component pressed or form submitted (``pf:c:`` ids); a failure is an
    ephemeral answer (the core's message, or an apology with a reference), never a trace."""
    answers: list[Answer] = []

    async def run() -> Reply:
        answers.append(await _composer_step(rt, queue, press))
        return Reply(text="")

    failure = await reply_or_apology(run(), log, "Discord composer")
    return answers[0] if answers else _refusal(failure.text)


async def _composer_step(rt: Runtime, queue: PublishQueue | None,
                         press: ComponentPress) -> Answer:
    read = read_composer_id(press.custom_id)
    step_handler = STEPS.get((press.form, read[0])) if read is not None else None
    if read is None or step_handler is None:
        return _refusal("That composer button is not one PostFlow made: start again with "
                        "`/postflow new`.")
    try:
        draft, who = await open_draft(rt, read[1], press.caller)
        choices = await compose.composer_choices(rt, who, draft.timezone)
    except PostFlowError as err:
        return _refusal(err.message)
    return await step_handler(Step(rt, queue, press, draft, choices))


# -- steps --------------------------------------------------------------------------------------

async def _text_submitted(step: Step) -> Answer:
    values = step.press.values
    variants = {network: values[compose.variant_field(network)]
                for network in step.draft.networks
                if values.get(compose.variant_field(network), "").strip()}
    state = replace(step.draft.state, text=values.get(compose.TEXT, ""), variants=variants)
    draft = replace(step.draft, state=state, notice="")
    await save_draft(step.rt, draft)
    if any(f.media_id is None for f in state.files):
        # Downloading and storing the attachment may outlast Discord's 3 seconds.
        complete_later(step.rt.settings, step.webhook,
                       _with_files_stored(replace(step, draft=draft)))
        return deferral(update=step.on_message)
    message = ui.composer_message(step.rt, draft, step.choices)
    if step.on_message:
        return _update(message)
    return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, "data": message}


async def _with_files_stored(step: Step) -> dict[str, Any]:
    """The attachment stored once (under PostFlow's general cap; each picked network's own
    limits are checked against it before anything is saved), and the composer's message."""
    draft = step.draft
    state = draft.state
    limits = media_size_limits(step.rt, ())
    kept, problems = [], []
    for upload in state.files:
        if upload.media_id is not None:
            kept.append(upload)
            continue
        try:
            media_id = await store_attachment(step.rt, upload, limits, org_id=draft.org_id)
        except PostFlowError as err:
            problems.append(f"{upload.name[:80]} was not added: {err.message}")
            continue
        kept.append(replace(upload, media_id=media_id))
    draft = replace(draft, state=replace(state, files=tuple(kept)), notice=" ".join(problems))
    await save_draft(step.rt, draft)
    return ui.composer_message(step.rt, draft, step.choices)


async def _targets_picked(step: Step) -> Answer:
    known = {c.id for c in step.choices.connections}
    picked = tuple(v for v in step.press.selected if v in known)
    return await _changed(step, replace(step.draft.state, targets=picked))


async def _when_picked(step: Step) -> Answer:
    values = step.press.selected
    when = When(values[0]) if values and values[0] in When.__members__.values() else When.NOW
    draft = replace(step.draft, state=replace(step.draft.state, when=when), notice="")
    await save_draft(step.rt, draft)
    if when is When.AT:
        return {"type": CallbackType.MODAL, "data": ui.time_modal(draft, step.choices)}
    return _update(ui.composer_message(step.rt, draft, step.choices))


async def _mode_picked(step: Step) -> Answer:
    values = step.press.selected
    return await _changed(step, replace(step.draft.state,
                                        review=not values or values[0] != "direct"))


async def _edit_text(step: Step) -> Answer:
    return {"type": CallbackType.MODAL, "data": ui.text_modal(step.draft, step.choices)}


async def _set_time(step: Step) -> Answer:
    return {"type": CallbackType.MODAL, "data": ui.time_modal(step.draft, step.choices)}


async def _time_submitted(step: Step) -> Answer:
    values = step.press.values
    problems = []
    picked_date = _parse(date.fromisoformat, values.get(ui.DATE_INPUT, ""))
    picked_time = _parse(time.fromisoformat, values.get(ui.TIME_INPUT, ""))
    if picked_date is None:
        problems.append("Give the date as YYYY-MM-DD, e.g. 2026-12-24.")
    if picked_time is None:
        problems.append("Give the time as HH:MM, e.g. 09:30.")
    zone = values.get(ui.ZONE_INPUT, "").strip()
    timezone = step.draft.timezone
    if zone:
        try:
            timezone = require_timezone(zone)
        except PostFlowError as err:
            problems.append(err.message)
    draft = replace(step.draft, timezone=timezone, notice=" ".join(problems), state=replace(
        step.draft.state, when=When.AT, date=picked_date, time=picked_time))
    await save_draft(step.rt, draft)
    choices = replace(step.choices, timezone=timezone or step.choices.timezone,
                      own_timezone=bool(timezone))
    return _update(ui.composer_message(step.rt, draft, choices))


async def _submit(step: Step) -> Answer:
    return await answer_within(step.rt.settings, step.webhook, _create(step), update=True)


async def _create(step: Step) -> Answer:
    """The post created once: the draft is taken out of the store first, so of two presses
    one creates it; when the core refuses, the draft comes back with the problems shown."""
    if not await claim_draft(step.rt, step.draft):
        return _update(ui.closed_message("This post was already submitted or discarded."))
    try:
        composed = await compose.submit_composer(step.rt, step.queue, step.choices,
                                                 step.draft.state)
    except ComposerInvalid as invalid:
        return await _kept(step, ui.field_problems(invalid.fields, step.choices))
    except PostFlowError as err:
        return await _kept(step, err.message)
    return _update(ui.closed_message(f"\N{WHITE HEAVY CHECK MARK} {composed.confirmation}"))


async def _kept(step: Step, notice: str) -> Answer:
    draft = replace(step.draft, notice=f"Not submitted: {notice}")
    await save_draft(step.rt, draft)
    return _update(ui.composer_message(step.rt, draft, step.choices))


async def _cancel(step: Step) -> Answer:
    await claim_draft(step.rt, step.draft)
    return _update(ui.closed_message("Discarded: nothing was saved."))


async def _changed(step: Step, state: compose.ComposerState) -> Answer:
    draft = replace(step.draft, state=state, notice="")
    await save_draft(step.rt, draft)
    return _update(ui.composer_message(step.rt, draft, step.choices))


StepHandler = Callable[[Step], Awaitable[Answer]]
_COMPONENT, _FORM = False, True
#: (a form's submission?, the step's letter) -> what does it.
STEPS: dict[tuple[bool, str], StepHandler] = {
    (_FORM, ui.TEXT_FORM): _text_submitted,
    (_FORM, ui.TIME_FORM): _time_submitted,
    (_COMPONENT, ui.TARGETS): _targets_picked,
    (_COMPONENT, ui.WHEN): _when_picked,
    (_COMPONENT, ui.MODE): _mode_picked,
    (_COMPONENT, ui.EDIT): _edit_text,
    (_COMPONENT, ui.SET_TIME): _set_time,
    (_COMPONENT, ui.SUBMIT): _submit,
    (_COMPONENT, ui.CANCEL): _cancel,
}


# -- reading payloads ---------------------------------------------------------------------------

def _parse(parse: Callable[[str], Any], text: str) -> Any:
    try:
        return parse(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _update(data: dict[str, Any]) -> Answer:
    data = dict(data)
    data.pop("flags", None)  # an update keeps the message's own flags
    return {"type": CallbackType.UPDATE_MESSAGE, "data": data}


def _refusal(text: str) -> Answer:
    return {"type": CallbackType.CHANNEL_MESSAGE_WITH_SOURCE,
            "data": message_data(Reply(text=text, error=True))}
