"""Answers that may take longer than Discord's 3 seconds: the interaction is answered at once
with a deferral (5, "thinking", for a new message; 6 for an update of the message a component
is on) and the work's outcome replaces the original response through the interaction's webhook
(``PATCH /webhooks/{application id}/{token}/messages/@original``), within the token's 15
minutes.

The work runs in this process after the answer is sent; what it needs between requests is in
the store, so nothing else depends on this process staying up. Tasks are kept here only so they
are not collected while running, and so tests and shutdown can wait for them.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from bot.discord.interaction_types import Answer, CallbackType
from bot.discord.interaction_webhooks import edit_original
from bot.discord.reply_text import EPHEMERAL
from postflow.config import Settings

log = logging.getLogger(__name__)

#: How long an answer may take before it is deferred: well inside Discord's 3 seconds.
ANSWER_BUDGET_SECONDS = 2.0
#: The deferred work must end while the token still works (15 minutes), with room to edit.
WORK_DEADLINE_SECONDS = 14 * 60.0
EDIT_ATTEMPTS = 2
EDIT_RETRY_SECONDS = 1.0

_running: set[asyncio.Task[None]] = set()


def deferral(*, update: bool) -> Answer:
    """The deferred answer: 6 for an update of the component's message, else 5 (ephemeral)."""
    if update:
        return {"type": CallbackType.DEFERRED_UPDATE_MESSAGE}
    return {"type": CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
            "data": {"flags": EPHEMERAL}}


@dataclass(frozen=True)
class Webhook:
    """Where an interaction's later answers go: its application and token (15 minutes)."""

    application_id: str
    token: str


def complete_later(settings: Settings, webhook: Webhook,
                   work: Coroutine[Any, Any, dict[str, Any]] | asyncio.Task[Answer],
                   *, answer_data: bool = False) -> None:
    """Run ``work`` (its outcome: message data, or with ``answer_data`` a whole answer) and
    put what it gives in place of the original response."""
    keep(asyncio.get_running_loop().create_task(
        _complete(settings, webhook, work, answer_data)))


def keep(task: asyncio.Task[None]) -> None:
    """Hold a task finishing a deferred answer until it ends, so it is not collected and
    :func:`finished` (tests, the hub's shutdown) waits for it."""
    _running.add(task)
    task.add_done_callback(_running.discard)


async def answer_within(settings: Settings, webhook: Webhook,
                        work: Coroutine[Any, Any, Answer], *, update: bool,
                        budget: float | None = None) -> Answer:
    """``work``'s answer when it comes within ``budget`` seconds (by default
    :data:`ANSWER_BUDGET_SECONDS`); else a deferral, the work going on and its answer's data
    sent as an edit when it ends."""
    task = asyncio.get_running_loop().create_task(work)
    done, _ = await asyncio.wait({task}, timeout=ANSWER_BUDGET_SECONDS if budget is None
                                 else budget)
    if done:
        return task.result()
    complete_later(settings, webhook, task, answer_data=True)
    return deferral(update=update)


async def finished() -> None:
    """Wait for every deferred answer this process is completing (tests, shutdown)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


async def _complete(settings: Settings, webhook: Webhook,
                    work: Coroutine[Any, Any, dict[str, Any]] | asyncio.Task[Answer],
                    answer_data: bool) -> None:
    try:
        outcome = await asyncio.wait_for(work, WORK_DEADLINE_SECONDS)
        data = dict(outcome.get("data") or {}) if answer_data else outcome
    except Exception:
        reference = secrets.token_hex(6)
        log.exception("deferred Discord answer failed (reference %s)", reference)
        data = {"content": "\N{WARNING SIGN}\N{VARIATION SELECTOR-16} Something went wrong on "
                           f"PostFlow's side. Reference: {reference}", "components": []}
    data.pop("flags", None)  # an edit cannot change them
    for attempt in range(EDIT_ATTEMPTS):
        if attempt:
            # Through the gateway the first answer is a callback posted after this work began:
            # an edit that reached Discord before it is refused, so it is sent once more.
            await asyncio.sleep(EDIT_RETRY_SECONDS)
        if await edit_original(settings.discord_api_url, webhook.application_id,
                               webhook.token, data):
            return

