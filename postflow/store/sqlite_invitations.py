"""The SQLite store's invitations (the table made by the migration "invitations" in sqlite.py),
a part of :class:`~postflow.store.sqlite.SqliteStore`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from postflow.clock import as_utc
from postflow.invitations import Invitation, InvitationStatus

ModelT = TypeVar("ModelT", bound=BaseModel)

#: Appended to sqlite.py's MIGRATIONS.
INVITATIONS_MIGRATION = (
    """CREATE TABLE invitations (id TEXT PRIMARY KEY, org_id TEXT NOT NULL,
       status TEXT NOT NULL, join_code TEXT NOT NULL, created_at TEXT NOT NULL,
       doc TEXT NOT NULL)""",
    "CREATE INDEX invitations_org ON invitations (org_id, created_at)",
    "CREATE INDEX invitations_join_code ON invitations (join_code)",
)


def _ts(moment: datetime) -> str:
    """The store's column text for an instant (sqlite.py's ``_ts``): UTC, fixed width."""
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class SqliteInvitationRecords:
    """:class:`~postflow.store.records.invitations.InvitationRecords` on the store's lanes."""

    if TYPE_CHECKING:
        async def _write(self, sql: str, params: tuple[object, ...] = (),
                         conflict: str = "") -> int: ...

        async def _docs(self, model: type[ModelT], sql: str,
                        params: tuple[object, ...] = ()) -> list[ModelT]: ...

        async def _doc(self, model: type[ModelT], sql: str, params: tuple[object, ...],
                       missing: str) -> ModelT: ...

    async def insert_invitation(self, invitation: Invitation) -> None:
        await self._write(
            "INSERT INTO invitations (id, org_id, status, join_code, created_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (invitation.id, invitation.org_id, invitation.status.value,
             invitation.join_code_digest, _ts(invitation.created_at),
             invitation.model_dump_json()), "That invitation already exists.")

    async def get_invitation(self, org_id: str, invitation_id: str) -> Invitation:
        return await self._doc(
            Invitation, "SELECT doc FROM invitations WHERE org_id = ? AND id = ?",
            (org_id, invitation_id), "No such invitation.")

    async def list_invitations(self, org_id: str) -> list[Invitation]:
        return await self._docs(
            Invitation, "SELECT doc FROM invitations WHERE org_id = ?"
            " ORDER BY created_at DESC, id DESC", (org_id,))

    async def find_invitation_by_join_code(self, code_digest: str) -> Invitation | None:
        if not code_digest:
            return None
        found = await self._docs(Invitation, "SELECT doc FROM invitations WHERE join_code = ?",
                                 (code_digest,))
        return found[0] if found else None

    async def replace_invitation(self, invitation: Invitation, *,
                                 expected: InvitationStatus) -> bool:
        changed = await self._write(
            "UPDATE invitations SET status = ?, join_code = ?, doc = ?"
            " WHERE org_id = ? AND id = ? AND status = ?",
            (invitation.status.value, invitation.join_code_digest,
             invitation.model_dump_json(), invitation.org_id, invitation.id, expected.value))
        return changed == 1
