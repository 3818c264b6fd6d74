"""Running one Slack request through the bolt app, the same way for both transports (HTTP at
``/slack/events`` and Socket Mode): Slack gets its acknowledgement in time whatever the listener
still has to do, and an Events API delivery Slack repeats has one effect."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.ack_budget import (
    ACK_DEADLINE_SECONDS,
    ANSWER_WITHIN_SECONDS,
    ANSWERED_WITHOUT_ACK,
)
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

#: How long an Events API ``event_id`` is remembered: Slack retries a delivery three times,
#: the last about five minutes after the first.
EVENT_MEMORY = timedelta(hours=1)
#: Seen event ids share the store's single-use id table with OAuth states, under this prefix,
#: so every hub process sees them.
EVENT_ID_PREFIX = "slack-event:"

SlackWork = set[asyncio.Future[BoltResponse]]


async def answer_in_time(work: SlackWork, app: AsyncApp,
                         bolt_request: AsyncBoltRequest) -> BoltResponse:
    """Bolt's answer when the listener is done; its acknowledgement once that has waited
    ``ANSWER_WITHIN_SECONDS``; an empty 200 at ``ACK_DEADLINE_SECONDS`` whatever happens. The
    listener carries on as a task in ``work`` either way (awaited when the hub stops)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    dispatch = asyncio.ensure_future(app.async_dispatch(bolt_request))
    work.add(dispatch)
    dispatch.add_done_callback(work.discard)
    ack = bolt_request.context.ack
    await asyncio.wait({dispatch}, timeout=ANSWER_WITHIN_SECONDS)
    while (not dispatch.done() and ack.response is None
           and loop.time() - started < ACK_DEADLINE_SECONDS):
        await asyncio.wait({dispatch}, timeout=0.01)
    if dispatch.done():
        return dispatch.result()
    if ack.response is not None:
        return ack.response
    bolt_request.context[ANSWERED_WITHOUT_ACK] = True
    log.warning("a Slack listener had not acknowledged after %.1f s; answered 200 for it",
                ACK_DEADLINE_SECONDS)
    return BoltResponse(status=200, body="")


async def is_repeated_event(rt: Runtime, payload: Any, retry: str = "-") -> bool:
    """True for an Events API delivery whose ``event_id`` was already taken: Slack retries one
    it thinks failed (no answer within three seconds), and it must have one effect."""
    if not isinstance(payload, dict) or payload.get("type") != "event_callback":
        return False
    event_id = str(payload.get("event_id") or "")
    if not event_id:
        return False
    now = rt.clock.now()
    if await rt.store.claim_oauth_state(EVENT_ID_PREFIX + event_id, now + EVENT_MEMORY, now):
        return False
    log.info("Slack event %s delivered again (retry %s): answered without acting", event_id,
             retry)
    return True
