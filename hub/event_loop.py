"""The event loop the hub's processes run on: uvloop where it is installed, else asyncio's.

uvloop (libuv underneath) runs the hub's sockets, timers and callbacks in C: on the ingest
bench it handles ~10 % more signed webhooks per second than asyncio's own loop
(docs/performance.md). ``POSTFLOW_EVENT_LOOP`` picks the loop: ``auto`` (uvloop if importable:
it does not build on Windows), ``uvloop`` (required: a start-up error without it) or
``asyncio``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from postflow.config import EventLoopChoice
from postflow.errors import ConfigurationError


def loop_factory(choice: EventLoopChoice) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the event loop for ``choice``."""
    if choice == "asyncio":
        return asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise ConfigurationError(
                "POSTFLOW_EVENT_LOOP is uvloop but uvloop is not installed: install it "
                "(pip install uvloop) or set POSTFLOW_EVENT_LOOP=auto.",
                details={"setting": "POSTFLOW_EVENT_LOOP"}) from None
        return asyncio.new_event_loop
    return uvloop.new_event_loop
