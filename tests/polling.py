"""Waiting for work in tests: poll with a deadline, never sleep a guessed time."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


@overload
async def eventually(check: Callable[[], Awaitable[T | None]], *, timeout: float = ...,
                     interval: float = ..., what: str = ...) -> T: ...


@overload
async def eventually(check: Callable[[], T | None], *, timeout: float = ...,
                     interval: float = ..., what: str = ...) -> T: ...


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0,
                     interval: float = 0.05, what: str = "the condition") -> Any:
    """Poll ``check`` (sync or async) until it returns something other than None/False, or
    fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = check()
        result = await outcome if inspect.isawaitable(outcome) else outcome
        if result is not None and result is not False:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(interval)
