"""The Discord composer's state between its steps (the modal, then the message with selects and
buttons), kept as a :class:`~postflow.chat_drafts.ChatDraft` in the store so whichever hub gets
the next step finds it, never in process memory.

Its components carry ``pf:c:<step>:<draft id>``; the id is 128 random bits, and a draft opens
only for the person who started it (``discord:<server>:<user>``) in the organization it was
started in: anything else (an id garbled, expired, from another server or another person) is
refused before anything is read from it or written.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from typing import Any

from postflow.chat_drafts import ChatDraft
from postflow.chatops.callers import Caller, Membership, resolve_member
from postflow.chatops.compose import ComposerState, UploadedFile, When
from postflow.errors import Forbidden
from postflow.runtime import Runtime

COMPOSER_PREFIX = "pf:c:"
#: As long as the interaction token that shows the composer: 15 minutes.
DRAFT_TTL = timedelta(minutes=15)
_ID = re.compile(r"^pf:c:([a-z]):([A-Za-z0-9_-]{22})$")


class DraftRefused(Forbidden):
    """Raised for a composer id that is not a live draft of the person using it."""

    code = "composer_refused"

    def __init__(self) -> None:
        super().__init__("This composer has expired or is not yours: start again with "
                         "`/postflow new`.")


@dataclass(frozen=True)
class ComposerDraft:
    """One person's post in the making, and what the Discord composer shows with it."""

    id: str
    org_id: str
    actor: str
    state: ComposerState = field(default_factory=ComposerState)
    #: The channel ``/postflow new`` ran in (the post's source).
    channel_id: str = ""
    #: The zone the member gave for local times ("" until they give one: the organization's).
    timezone: str = ""
    #: Networks whose own text the modal asks for (Discord allows five inputs).
    networks: tuple[str, ...] = ()
    #: A problem to show once with the composer (a file not stored, a time zone unknown).
    notice: str = ""


def new_draft(who: Membership, *, files: tuple[UploadedFile, ...] = ()) -> ComposerDraft:
    return ComposerDraft(id=secrets.token_urlsafe(16), org_id=who.org.id, actor=who.actor,
                         state=ComposerState(files=files),
                         channel_id=who.caller.channel_id)


def composer_id(step: str, draft: ComposerDraft) -> str:
    """``pf:c:<step>:<draft id>``: at most 29 characters, within Discord's 100."""
    return f"{COMPOSER_PREFIX}{step}:{draft.id}"


def read_composer_id(custom_id: str) -> tuple[str, str] | None:
    """(step, draft id) of a composer id; None when it is not one."""
    found = _ID.match(custom_id)
    return (found.group(1), found.group(2)) if found else None


async def save_draft(rt: Runtime, draft: ComposerDraft) -> None:
    await rt.store.save_chat_draft(ChatDraft(
        id=draft.id, org_id=draft.org_id, actor=draft.actor, state=_encode(draft),
        expires_at=rt.clock.now() + DRAFT_TTL))


async def open_draft(rt: Runtime, draft_id: str,
                     caller: Caller | None) -> tuple[ComposerDraft, Membership]:
    """The caller's live draft and their membership now (their role checked again);
    DraftRefused for anyone else's, an expired one, or a caller no longer in its
    organization."""
    if caller is None:
        raise DraftRefused
    found = await rt.store.get_chat_draft(draft_id, rt.clock.now())
    if found is None or found.actor != caller.actor:
        raise DraftRefused
    who = await resolve_member(rt, caller)
    if who.org.id != found.org_id:
        raise DraftRefused
    return _decode(found), who


async def claim_draft(rt: Runtime, draft: ComposerDraft) -> bool:
    """Take the draft out of the store to submit or discard it: of two presses at once, one
    gets True."""
    return await rt.store.delete_chat_draft(draft.id)


def with_notice(draft: ComposerDraft, notice: str) -> ComposerDraft:
    return replace(draft, notice=notice)


def _encode(draft: ComposerDraft) -> str:
    state = draft.state
    return json.dumps({
        "text": state.text, "variants": dict(state.variants), "targets": list(state.targets),
        "when": state.when.value, "date": state.date.isoformat() if state.date else None,
        "time": state.time.strftime("%H:%M") if state.time else None, "review": state.review,
        "files": [{"id": f.id, "name": f.name, "content_type": f.content_type, "size": f.size,
                   "url": f.url, "media_id": f.media_id} for f in state.files],
        "channel": draft.channel_id, "tz": draft.timezone, "networks": list(draft.networks),
        "notice": draft.notice})


def _decode(record: ChatDraft) -> ComposerDraft:
    data: dict[str, Any] = json.loads(record.state)
    state = ComposerState(
        text=data["text"], variants=dict(data["variants"]), targets=tuple(data["targets"]),
        when=When(data["when"]),
        date=date.fromisoformat(data["date"]) if data["date"] else None,
        time=time.fromisoformat(data["time"]) if data["time"] else None,
        review=bool(data["review"]),
        files=tuple(UploadedFile(id=f["id"], name=f["name"], content_type=f["content_type"],
                                 size=int(f["size"]), url=f["url"], media_id=f["media_id"])
                    for f in data["files"]))
    return ComposerDraft(id=record.id, org_id=record.org_id, actor=record.actor, state=state,
                         channel_id=data["channel"], timezone=data["tz"],
                         networks=tuple(data["networks"]), notice=data["notice"])
