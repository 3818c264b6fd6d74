"""API keys of organizations (hashed secrets only)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.api_keys import ApiKey


class ApiKeyRecords(Protocol):
    async def insert_api_key(self, key: ApiKey) -> None:
        """Raises Conflict when the id exists."""
        ...

    async def find_api_key(self, key_id: str) -> ApiKey | None:
        """The key of any organization (a request names only its key, which finds the
        organization)."""
        ...

    async def list_api_keys(self, org_id: str) -> list[ApiKey]:
        """Oldest first, revoked ones included."""
        ...

    async def update_api_key(self, key: ApiKey) -> None:
        """Replace by (org_id, id); raises NotFound."""
        ...

    async def touch_api_key(self, key_id: str, at: datetime) -> None:
        """Set only ``last_used_at`` (a revocation written meanwhile stays)."""
        ...
