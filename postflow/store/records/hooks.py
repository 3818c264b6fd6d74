"""Incoming webhooks (their URLs and secrets)."""

from __future__ import annotations

from typing import Protocol

from postflow.hooks import IncomingHook


class HookRecords(Protocol):
    async def insert_hook(self, hook: IncomingHook) -> None: ...

    async def find_hook(self, hook_id: str) -> IncomingHook | None: ...

    async def list_hooks(self, org_id: str) -> list[IncomingHook]: ...

    async def update_hook(self, hook: IncomingHook) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    async def delete_hook(self, org_id: str, hook_id: str) -> None:
        """Delete by (org_id, id), secrets and all; raises NotFound."""
        ...
