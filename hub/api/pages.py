"""Cursor pagination: ``?limit=`` (1 to 100, 20 by default) and an opaque ``?cursor=``; lists
answer ``{"data": [...], "next_cursor": "..." | null}``.

A cursor is the position of the last item handed out (its time and id), base64url-encoded. It
is opaque to callers and checked on the way in: a cursor that does not decode is a 422. It
names no organization: a cursor used with another key only positions that key's own list.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from postflow.clock import as_utc
from postflow.errors import BadInput
from postflow.pages import PageAfter

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR = 200

ItemT = TypeVar("ItemT")


class PageQuery(BaseModel):
    """The paging part of a list's query string."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
                       description="How many items a page holds (1 to 100).")
    cursor: str | None = Field(None, max_length=MAX_CURSOR,
                               description="The `next_cursor` of the previous page.")


def encode_cursor(after: PageAfter) -> str:
    raw = json.dumps([as_utc(after.at).isoformat(), after.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> PageAfter | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, item_id = json.loads(raw)
        return PageAfter(at=as_utc(datetime.fromisoformat(at)), id=str(item_id))
    except (ValueError, TypeError, binascii.Error):
        raise BadInput("The cursor is not valid: pass the `next_cursor` of a previous page "
                       "as it was.", details={"parameter": "cursor"}) from None


def next_cursor(items: Sequence[ItemT], limit: int,
                position: Callable[[ItemT], PageAfter]) -> str | None:
    """``items`` were fetched ``limit + 1`` at a time: a surplus item means there is more."""
    if len(items) <= limit:
        return None
    return encode_cursor(position(items[limit - 1]))


def page_in_memory(items: Sequence[ItemT], query: PageQuery,
                   position: Callable[[ItemT], PageAfter]) -> tuple[list[ItemT], str | None]:
    """A page of a short list read whole (connections, hooks), newest first, same cursors."""
    after = decode_cursor(query.cursor)
    ordered = sorted(items, key=lambda item: _sort_key(position(item)), reverse=True)
    if after is not None:
        ordered = [i for i in ordered if _sort_key(position(i)) < _sort_key(after)]
    window = ordered[:query.limit + 1]
    return window[:query.limit], next_cursor(window, query.limit, position)


def _sort_key(after: PageAfter) -> tuple[datetime, str]:
    return as_utc(after.at), after.id


def cursor_field() -> str | None:
    """The ``next_cursor`` field of every list answer (after its ``data``)."""
    return Field(description="Pass as `cursor` for the next page; null on the last page.")  # type: ignore[no-any-return]
