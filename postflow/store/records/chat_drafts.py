"""Drafts of multi-step chat forms (:mod:`postflow.chat_drafts`), alive for minutes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.chat_drafts import ChatDraft


class ChatDraftRecords(Protocol):
    async def save_chat_draft(self, draft: ChatDraft) -> None:
        """Insert ``draft``, or replace the one with its id."""
        ...

    async def get_chat_draft(self, draft_id: str, now: datetime) -> ChatDraft | None:
        """The draft with ``draft_id``; None when there is none or it expired at ``now``."""
        ...

    async def delete_chat_draft(self, draft_id: str) -> bool:
        """Forget a draft; False when there was none."""
        ...

    async def purge_chat_drafts(self, now: datetime) -> int:
        """Delete drafts expired at ``now``; returns how many."""
        ...
