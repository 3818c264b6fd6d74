"""What the Discord composer shows: the modal for the text and per-network variants (Discord
allows five inputs), the modal for a local time, and the message with selects and buttons that
shows the post's counts per network and its problems before anything is saved."""

from __future__ import annotations

from typing import Any

from bot.discord.composer_drafts import ComposerDraft, composer_id
from bot.discord.reply_text import EPHEMERAL, MESSAGE_MAX
from postflow.chatops import compose
from postflow.chatops.compose import ComposerChoices, ComposerInvalid, When
from postflow.chatops.formatting import excerpt
from postflow.runtime import Runtime

#: Discord's limits: five rows (so five inputs) in a modal, 25 options in a select, 45
#: characters in a label, 4,000 in a text input, 100 in an option's label.
INPUTS_MAX = 5
OPTIONS_MAX = 25
LABEL_MAX = 45
TEXT_INPUT_MAX = 4000
#: Steps of the composer, the letter in its ids (``pf:c:<step>:<draft>``).
TEXT_FORM, TIME_FORM = "m", "a"
TARGETS, WHEN, MODE = "t", "w", "r"
EDIT, SET_TIME, SUBMIT, CANCEL = "e", "z", "s", "x"
#: Text inputs of the time form.
DATE_INPUT, TIME_INPUT, ZONE_INPUT = "date", "time", "zone"

_ROW, _BUTTON, _SELECT, _TEXT_INPUT = 1, 2, 3, 4
_PRIMARY, _SECONDARY, _SUCCESS, _DANGER = 1, 2, 3, 4
_SHORT, _PARAGRAPH = 1, 2
WHEN_LABELS = {When.NOW: "Now (after approval when reviewed)",
               When.AT: "At a local time…", When.QUEUE: "Next queue slot"}
FIELD_NAMES = {compose.TEXT: "Text", compose.TARGETS: "Accounts", compose.MEDIA: "Media",
               compose.MEDIA_FILES: "Media", compose.DATE: "Date", compose.TIME: "Time",
               compose.MODE: "Review", compose.WHEN: "When"}

Component = dict[str, Any]


def text_modal(draft: ComposerDraft, choices: ComposerChoices) -> dict[str, Any]:
    """The modal's ``data``: the text, then each network's own text (up to four networks)."""
    state = draft.state
    rows = [_text_input(compose.TEXT, "Text", state.text, required=False)]
    for network in draft.networks[:INPUTS_MAX - 1]:
        name = choices.network_names.get(network, network)
        rows.append(_text_input(compose.variant_field(network),
                                f"Text for {name} only (optional)",
                                state.variants.get(network, ""), required=False))
    return {"custom_id": composer_id(TEXT_FORM, draft), "title": "New post",
            "components": rows}


def time_modal(draft: ComposerDraft, choices: ComposerChoices) -> dict[str, Any]:
    """The modal asking for a local date, time and zone (Discord does not say a member's)."""
    state = draft.state
    return {"custom_id": composer_id(TIME_FORM, draft), "title": "When to publish",
            "components": [
                _text_input(DATE_INPUT, "Date (YYYY-MM-DD)",
                            state.date.isoformat() if state.date else "", style=_SHORT,
                            max_length=10),
                _text_input(TIME_INPUT, "Time (HH:MM, 24-hour)",
                            state.time.strftime("%H:%M") if state.time else "", style=_SHORT,
                            max_length=5),
                _text_input(ZONE_INPUT, "Your time zone (IANA, e.g. Europe/Paris)",
                            choices.timezone, style=_SHORT, max_length=64)]}


def composer_message(rt: Runtime, draft: ComposerDraft,
                     choices: ComposerChoices) -> dict[str, Any]:
    """The ephemeral message with the post as it stands: counts and problems per network,
    and the selects and buttons that change it, submit it or discard it."""
    state = draft.state
    lines = ["**New post** — nothing is saved until you press Submit."]
    if state.text.strip():
        lines.append("> " + excerpt(state.text, 300))
    for network, text in sorted(state.variants.items()):
        name = choices.network_names.get(network, network)
        lines.append(f"**{name}** gets its own text: {excerpt(text, 120)}")
    lines.append("")
    for count in compose.network_counts(rt, choices, state):
        bad = count.problems or count.length > count.limit
        mark = "\N{WARNING SIGN}\N{VARIATION SELECTOR-16}" if bad else "\N{WHITE HEAVY CHECK MARK}"
        own = " (its own text)" if count.from_variant else ""
        line = f"{mark} **{count.display_name}**{own}: {count.length}/{count.limit}"
        if count.problems:
            line += f" — {count.problems[0]}"
        lines.append(line)
    lines.append(f"**When:** {compose.when_summary(state, choices)}")
    if state.files:
        lines.append("**Media:** " + ", ".join(
            f"{f.name[:60]} ({'stored' if f.media_id else 'not stored yet'})"
            for f in state.files))
    problems = _problems(rt, draft, choices)
    if draft.notice:
        problems.insert(0, draft.notice)
    if problems:
        lines.append("")
        lines.extend(f"\N{WARNING SIGN}\N{VARIATION SELECTOR-16} {p}" for p in problems)
    content = "\n".join(lines)
    if len(content) > MESSAGE_MAX:
        content = content[:MESSAGE_MAX - 1] + "…"
    return {"content": content, "flags": EPHEMERAL, "allowed_mentions": {"parse": []},
            "components": _components(draft, choices)}


def closed_message(text: str) -> dict[str, Any]:
    """The composer's message once it is submitted or discarded: the outcome, no buttons."""
    return {"content": text[:MESSAGE_MAX], "components": [],
            "allowed_mentions": {"parse": []}}


def _problems(rt: Runtime, draft: ComposerDraft, choices: ComposerChoices) -> list[str]:
    """Every problem the core finds with the post as it stands, named by its field."""
    try:
        compose.post_request(rt, choices, draft.state)
    except ComposerInvalid as invalid:
        return [f"{_field_name(name, choices)}: {message}"
                for name, message in invalid.fields.items()]
    return []


def field_problems(fields: dict[str, str], choices: ComposerChoices) -> str:
    return " ".join(f"{_field_name(n, choices)}: {m}" for n, m in fields.items())


def _field_name(name: str, choices: ComposerChoices) -> str:
    if name.startswith(compose.VARIANT_PREFIX):
        network = name.removeprefix(compose.VARIANT_PREFIX)
        return f"Text for {choices.network_names.get(network, network)}"
    return FIELD_NAMES.get(name, name)


def _components(draft: ComposerDraft, choices: ComposerChoices) -> list[Component]:
    state = draft.state
    accounts = [{"label": f"{c.display_name} ({c.network})"[:100], "value": c.id,
                 "default": c.id in state.targets}
                for c in choices.connections[:OPTIONS_MAX]]
    rows = [_row(_select(composer_id(TARGETS, draft), "Accounts to publish to", accounts,
                         min_values=0, max_values=len(accounts)))]
    rows.append(_row(_select(composer_id(WHEN, draft), "When", [
        {"label": WHEN_LABELS[w], "value": w.value, "default": state.when is w} for w in When])))
    if choices.may_schedule:
        rows.append(_row(_select(composer_id(MODE, draft), "Review", [
            {"label": "Request review", "value": "review", "default": state.review},
            {"label": "Schedule directly (no review)", "value": "direct",
             "default": not state.review}])))
    buttons = [_button("Submit", composer_id(SUBMIT, draft), _SUCCESS),
               _button("Edit text", composer_id(EDIT, draft), _SECONDARY)]
    if state.when is When.AT:
        buttons.append(_button("Set time", composer_id(SET_TIME, draft), _SECONDARY))
    buttons.append(_button("Cancel", composer_id(CANCEL, draft), _DANGER))
    rows.append(_row(*buttons))
    return rows


def _text_input(custom_id: str, label: str, value: str, *, required: bool = True,
                style: int = _PARAGRAPH, max_length: int = TEXT_INPUT_MAX) -> Component:
    element: Component = {"type": _TEXT_INPUT, "custom_id": custom_id, "style": style,
                          "label": label[:LABEL_MAX], "required": required,
                          "max_length": max_length}
    if value:
        element["value"] = value[:max_length]
    return _row(element)


def _select(custom_id: str, placeholder: str, options: list[dict[str, Any]], *,
            min_values: int = 1, max_values: int = 1) -> Component:
    return {"type": _SELECT, "custom_id": custom_id, "placeholder": placeholder,
            "options": options, "min_values": min_values, "max_values": max(max_values, 1)}


def _button(label: str, custom_id: str, style: int) -> Component:
    return {"type": _BUTTON, "style": style, "label": label, "custom_id": custom_id}


def _row(*components: Component) -> Component:
    return {"type": _ROW, "components": list(components)}
