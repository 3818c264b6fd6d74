"""Connected social accounts of an organization."""

from __future__ import annotations

from typing import Protocol

from postflow.connections import Connection


class ConnectionRecords(Protocol):
    async def insert_connection(self, connection: Connection) -> None:
        """Raises Conflict when (org_id, network, account_id) exists."""
        ...

    async def get_connection(self, org_id: str, connection_id: str) -> Connection:
        """Raises NotFound."""
        ...

    async def list_connections(self, org_id: str,
                               network: str | None = None) -> list[Connection]:
        """Oldest first."""
        ...

    async def count_connections(self, org_id: str) -> int:
        """Connections that count against the plan: every one not ``disconnected``."""
        ...

    async def update_connection(self, connection: Connection) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...
