"""Chat app installations: one per (platform, workspace), with the bot's credentials."""

from __future__ import annotations

from typing import Protocol

from postflow.chat_installations import ChatInstallation


class ChatInstallationRecords(Protocol):
    async def save_chat_installation(self, installation: ChatInstallation) -> None:
        """Insert, or replace the one stored for (platform, workspace_id)."""
        ...

    async def find_chat_installation(self, platform: str,
                                     workspace_id: str) -> ChatInstallation | None:
        """Global, like :meth:`find_workspace`: chat requests name only their workspace."""
        ...

    async def list_chat_installations(self) -> list[ChatInstallation]:
        """Every installation of every platform and organization, removed ones too, ordered by
        (platform, workspace_id): for re-sealing their bot tokens under a new secret key."""
        ...
