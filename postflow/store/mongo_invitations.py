"""The MongoDB store's invitations, a part of :class:`~postflow.store.mongo.MongoStore`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from postflow.errors import NotFound
from postflow.invitations import Invitation, InvitationStatus
from postflow.store.mongo_documents import document_model, model_document

ModelT = TypeVar("ModelT", bound=BaseModel)
Document = dict[str, Any]

#: (collection, keys, unique), created with the store's own indexes.
INVITATION_INDEXES: list[tuple[str, list[tuple[str, int]], bool]] = [
    ("invitations", [("org_id", ASCENDING), ("created_at", DESCENDING)], False),
    ("invitations", [("join_code_digest", ASCENDING)], False),
]


class MongoInvitationRecords:
    """:class:`~postflow.store.records.invitations.InvitationRecords` on MongoDB."""

    if TYPE_CHECKING:
        def _coll(self, name: str) -> AsyncCollection[Document]: ...

        async def _insert(self, collection: str, doc: Document, conflict: str) -> None: ...

        async def _find_models(self, model_type: type[ModelT], collection: str,
                               filter_: Document, sort: list[tuple[str, int]],
                               limit: int | None = None) -> list[ModelT]: ...

    async def insert_invitation(self, invitation: Invitation) -> None:
        await self._insert("invitations", model_document(invitation),
                           "That invitation already exists.")

    async def get_invitation(self, org_id: str, invitation_id: str) -> Invitation:
        doc = await self._coll("invitations").find_one({"_id": invitation_id, "org_id": org_id})
        if doc is None:
            raise NotFound("No such invitation.")
        return document_model(Invitation, doc)

    async def list_invitations(self, org_id: str) -> list[Invitation]:
        return await self._find_models(Invitation, "invitations", {"org_id": org_id},
                                       [("created_at", DESCENDING), ("_id", DESCENDING)])

    async def find_invitation_by_join_code(self, code_digest: str) -> Invitation | None:
        if not code_digest:
            return None
        doc = await self._coll("invitations").find_one({"join_code_digest": code_digest})
        return None if doc is None else document_model(Invitation, doc)

    async def replace_invitation(self, invitation: Invitation, *,
                                 expected: InvitationStatus) -> bool:
        result = await self._coll("invitations").replace_one(
            {"_id": invitation.id, "org_id": invitation.org_id, "status": expected.value},
            model_document(invitation))
        return result.matched_count == 1
