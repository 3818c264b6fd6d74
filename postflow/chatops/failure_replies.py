"""The one way every chat adapter turns a failed request into a reply: a core error says what
went wrong; anything unexpected is a short apology with a reference, its trace in the log and
never in the chat."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable
from typing import TypeVar

from postflow.chatops.replies import Reply
from postflow.errors import PostFlowError

#: A reply, or for listeners that may answer nothing, a reply or None.
Answer = TypeVar("Answer", Reply, Reply | None)


async def reply_or_apology(work: Awaitable[Answer], log: logging.Logger,
                           what: str) -> Answer:
    """What ``work`` answers, or a reply for the error it raised; ``what`` names the request
    in the log line (``"Slack request"``)."""
    try:
        return await work
    except PostFlowError as err:
        return Reply(text=err.message, error=True)
    except Exception:
        reference = secrets.token_hex(6)
        log.exception("%s failed (reference %s)", what, reference)
        return Reply(text=f"Something went wrong on PostFlow's side. Reference: {reference}",
                     error=True)
