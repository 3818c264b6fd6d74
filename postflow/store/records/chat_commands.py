"""What PostFlow last registered as a chat platform's commands, per scope (Discord: the
application's global commands, or one server's), as a digest: commands are sent again only
when their definition changed."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ChatCommandRecords(Protocol):
    async def get_chat_commands_digest(self, platform: str, scope: str) -> str | None:
        """The digest last saved for (platform, scope); None before the first."""
        ...

    async def set_chat_commands_digest(self, platform: str, scope: str, digest: str,
                                       at: datetime) -> None:
        """Insert or replace the digest for (platform, scope)."""
        ...
