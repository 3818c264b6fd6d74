"""The sandbox network's own store port: where its "published" posts are kept.

Not part of the core's :class:`~postflow.store.port.Store`: the core never reads these records.
PostFlow's SQLite and MongoDB stores implement it too, and the composition root hands the store
to the sandbox provider as its records.
"""

from __future__ import annotations

from typing import Protocol

from postflow.sandbox_posts import SandboxPost


class SandboxPostRecords(Protocol):
    async def insert_sandbox_post(self, post: SandboxPost) -> None: ...

    async def find_sandbox_posts(self, connection_id: str,
                                 idempotency_key: str | None = None) -> list[SandboxPost]:
        """Oldest first; all of the connection's when no key is given."""
        ...

    async def get_sandbox_post(self, sandbox_post_id: str) -> SandboxPost | None: ...
