"""The composer modal in Block Kit: building the view from the composer's choices and state, and
reading a submitted (or changing) view back into a :class:`ComposerState`.

Every field is an input block whose ``block_id`` is the composer's field name, so
``response_action: errors`` puts each problem right under its field. The text fields, the
accounts, the time and its pickers dispatch ``block_actions`` as they change
(``dispatch_action``; the text ``on_character_entered``), and the listener answers with
``views.update``: the per-network counts and the resolved time follow what is typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from bot.slack.blocks import escape
from bot.slack.slack_files import uploaded_files
from postflow.chatops import compose
from postflow.chatops.compose import ComposerChoices, ComposerState, NetworkCount, When

CALLBACK_ID = "postflow-compose"
#: Action ids of the modal's elements: ``postflow-compose:<field>``.
ACTION_PREFIX = "postflow-compose:"
#: Slack's limits: 100 options in a select, 150 characters in a hint, 3000 in metadata.
OPTIONS_MAX = 100
TEXT_MAX = 3000
ERROR_MAX = 200
#: What the file field offers to pick (Slack checks extensions only; the bytes are checked too).
UPLOAD_FILETYPES = ["jpg", "jpeg", "png", "webp", "gif", "mp4", "mov"]

Block = dict[str, Any]

WHEN_LABELS = {When.NOW: "Now", When.AT: "At a date and time",
               When.QUEUE: "Next queue slot"}
REVIEW_LABELS = {True: "Request review", False: "Schedule directly"}


@dataclass(frozen=True)
class ComposerContext:
    """What the modal carries between requests (``private_metadata``)."""

    #: The channel ``/postflow new`` was run in: where the confirmation goes.
    channel_id: str
    #: The author's zone as Slack gave it ("" when it did not).
    timezone: str

    def encode(self) -> str:
        return json.dumps({"channel": self.channel_id, "tz": self.timezone})

    @classmethod
    def decode(cls, metadata: str) -> ComposerContext:
        try:
            data = json.loads(metadata or "{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        return cls(channel_id=str(data.get("channel", "")), timezone=str(data.get("tz", "")))


def composer_view(choices: ComposerChoices, state: ComposerState, counts: list[NetworkCount],
                  context: ComposerContext) -> Block:
    """The whole modal for ``state``; built the same way on open and on every update, so the
    block ids stay and Slack keeps what was typed."""
    blocks: list[Block] = [
        _input(compose.TEXT, "Text", _text_input(compose.TEXT, live=True), optional=True),
        {"type": "context", "block_id": "counts",
         "elements": [_mrkdwn(_counts_text(counts))]},
        _input(compose.TARGETS, "Accounts", _accounts_select(choices, state), dispatch=True),
    ]
    for network in choices.networks:
        blocks.append(_input(compose.variant_field(network),
                             f"Text for {choices.network_names.get(network, network)} only "
                             "(optional)",
                             _text_input(compose.variant_field(network), live=True),
                             optional=True))
    blocks.append(_input(
        compose.MEDIA, "Media URLs (one a line)", _text_input(compose.MEDIA, live=False),
        optional=True, hint="Public http(s) links to images or videos."))
    blocks.append(_input(
        compose.MEDIA_FILES, "Images or a video", {
            "type": "file_input", "action_id": _action(compose.MEDIA_FILES),
            "filetypes": UPLOAD_FILETYPES, "max_files": compose.MAX_UPLOADS},
        optional=True, hint=f"Up to {compose.MAX_UPLOADS} images, or one GIF or video. "
                            "PostFlow downloads and stores them when you submit."))
    blocks.append(_input(compose.WHEN, "When", _radio(
        compose.WHEN, [(w.value, WHEN_LABELS[w]) for w in When], state.when.value),
        dispatch=True))
    zone_hint = (f"Read in your Slack time zone, {choices.timezone}." if choices.own_timezone
                 else f"Read in the organization's time zone, {choices.timezone}.")
    date_element: Block = {"type": "datepicker", "action_id": _action(compose.DATE)}
    if state.date is not None:
        date_element["initial_date"] = state.date.isoformat()
    time_element: Block = {"type": "timepicker", "action_id": _action(compose.TIME)}
    if state.time is not None:
        time_element["initial_time"] = state.time.strftime("%H:%M")
    blocks.append(_input(compose.DATE, "Date", date_element, optional=True, dispatch=True,
                         hint="Used when the time is \"At a date and time\"."))
    blocks.append(_input(compose.TIME, "Time", time_element, optional=True, dispatch=True,
                         hint=zone_hint))
    blocks.append({"type": "context", "block_id": "when_summary",
                   "elements": [_mrkdwn(escape(compose.when_summary(state, choices)))]})
    modes = [True, False] if choices.may_schedule else [True]
    blocks.append(_input(compose.MODE, "Review", _radio(
        compose.MODE, [(_mode_value(m), REVIEW_LABELS[m]) for m in modes],
        _mode_value(state.review if choices.may_schedule else True)),
        hint=None if choices.may_schedule else
        "Members ask for a review; Admins and Owners may also schedule directly."))
    return {"type": "modal", "callback_id": CALLBACK_ID,
            "title": _plain("New post"), "submit": _plain("Submit"),
            "close": _plain("Cancel"), "private_metadata": context.encode(), "blocks": blocks}


def read_state(view: Block) -> ComposerState:
    """The composer state in a view payload (``view.state.values``)."""
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}

    def element(block_id: str) -> dict[str, Any]:
        return (values.get(block_id) or {}).get(_action(block_id)) or {}

    variants = {}
    for block_id in values:
        if block_id.startswith(compose.VARIANT_PREFIX):
            text = str(element(block_id).get("value") or "")
            if text.strip():
                variants[block_id.removeprefix(compose.VARIANT_PREFIX)] = text
    media = str(element(compose.MEDIA).get("value") or "")
    when = str((element(compose.WHEN).get("selected_option") or {}).get("value") or "now")
    mode = str((element(compose.MODE).get("selected_option") or {}).get("value") or "review")
    return ComposerState(
        text=str(element(compose.TEXT).get("value") or ""),
        variants=variants,
        targets=tuple(str(o["value"]) for o in element(compose.TARGETS).get(
            "selected_options") or []),
        media_urls=tuple(line.strip() for line in media.splitlines() if line.strip()),
        files=uploaded_files(element(compose.MEDIA_FILES)),
        when=When(when) if when in When.__members__.values() else When.NOW,
        date=_parse_date(element(compose.DATE).get("selected_date")),
        time=_parse_time(element(compose.TIME).get("selected_time")),
        review=mode != "direct")


def field_errors(fields: dict[str, str], view: Block) -> dict[str, str]:
    """``response_action: errors`` for the fields the view shows; a problem with a field it
    does not show goes under the text."""
    shown = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    errors: dict[str, str] = {}
    for name, message in fields.items():
        block_id = name if name in shown else compose.TEXT
        if block_id not in errors:
            errors[block_id] = message[:ERROR_MAX]
    return errors


def is_composer_action(action_id: str) -> bool:
    return action_id.startswith(ACTION_PREFIX)


# -- pieces -----------------------------------------------------------------------------------

def _counts_text(counts: list[NetworkCount]) -> str:
    if not counts:
        return "Pick an account to see the length each network counts."
    parts = []
    for count in counts:
        mark = ":warning: " if count.problems or count.length > count.limit else ""
        own = " (its own text)" if count.from_variant else ""
        line = f"{mark}*{escape(count.display_name)}*{own}: {count.length}/{count.limit}"
        if count.problems:
            line += f" — {escape(count.problems[0])}"
        parts.append(line)
    return "\n".join(parts)


def _accounts_select(choices: ComposerChoices, state: ComposerState) -> Block:
    options = [_option(c.id, f"{c.display_name} ({c.network})")
               for c in choices.connections[:OPTIONS_MAX]]
    element: Block = {"type": "multi_static_select", "action_id": _action(compose.TARGETS),
                      "placeholder": _plain("Pick the accounts"), "options": options}
    chosen = [o for o in options if o["value"] in state.targets]
    if chosen:
        element["initial_options"] = chosen
    return element


def _text_input(field: str, *, live: bool) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": _action(field),
                      "multiline": True, "max_length": TEXT_MAX}
    if live:
        element["dispatch_action_config"] = {"trigger_actions_on": ["on_character_entered"]}
    return element


def _radio(field: str, options: list[tuple[str, str]], selected: str) -> Block:
    rendered = [_option(value, label) for value, label in options]
    initial = next((o for o in rendered if o["value"] == selected), rendered[0])
    return {"type": "radio_buttons", "action_id": _action(field), "options": rendered,
            "initial_option": initial}


def _input(block_id: str, label: str, element: Block, *, optional: bool = False,
           dispatch: bool | None = None, hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label),
                    "element": element, "optional": optional}
    live = "dispatch_action_config" in element
    if dispatch or live:
        block["dispatch_action"] = True
    if hint:
        block["hint"] = _plain(hint[:150])
    return block


def _mode_value(review: bool) -> str:
    return "review" if review else "direct"


def _action(field: str) -> str:
    return f"{ACTION_PREFIX}{field}"


def _option(value: str, text: str) -> Block:
    return {"text": _plain(text[:75]), "value": value}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text[:TEXT_MAX]}


def _parse_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _parse_time(value: object) -> time | None:
    try:
        return time.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
