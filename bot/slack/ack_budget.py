"""Slack's three seconds: every request is acknowledged in time, whatever is slow.

The hub runs bolt's dispatch as a task (``hub/routes/slack.py``) and answers Slack when the
listener is done, or as soon as ``ANSWER_WITHIN_SECONDS`` have passed once the listener has
acknowledged, so the listener's slow part (Slack Web API calls, the answer to a response_url)
carries on after the HTTP answer. A listener whose answer rides the acknowledgement (a command's
reply, a form's field errors) works under ``LISTENER_BUDGET_SECONDS``: when its answer is not
ready by then it acknowledges empty and sends the answer afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

#: The hub answers by then once the listener has acknowledged, even if its work goes on.
ANSWER_WITHIN_SECONDS = 2.0
#: The hub answers an empty 200 by then even when the listener has not acknowledged yet.
ACK_DEADLINE_SECONDS = 2.5
#: How long a listener waits for an answer that would ride its acknowledgement.
LISTENER_BUDGET_SECONDS = 1.5
#: How long opening the composer waits for ``users.info`` (the author's zone) before it goes
#: on with the organization's zone: the ``trigger_id`` expires three seconds after the command.
USER_LOOKUP_SECONDS = 1.0
#: Set on a request's bolt context when the hub answered Slack before the listener
#: acknowledged: the listener's answer then goes to the request's ``response_url``.
ANSWERED_WITHOUT_ACK = "postflow_answered_without_ack"


async def within_budget(work: Awaitable[T],
                        seconds: float = LISTENER_BUDGET_SECONDS) -> asyncio.Future[T]:
    """Start ``work`` and wait up to ``seconds`` for it; the future, done or still running."""
    task = asyncio.ensure_future(work)
    await asyncio.wait({task}, timeout=seconds)
    return task
