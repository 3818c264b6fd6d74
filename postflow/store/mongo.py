"""The MongoDB store: the port over PyMongo's async API, one collection per kind of record.

No transactions are used. Every guarantee the port asks for rests on single-document atomic
operations: unique indexes make inserts and idempotency reservations race-safe, posts are
replaced on their ``version`` (compare-and-swap), usage counters move with a conditional ``$inc``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from postflow.api_keys import ApiKey
from postflow.approvals import ApprovalPolicy
from postflow.attempts import AttemptOutcome, PublishAttempt
from postflow.audit import AuditEvent
from postflow.billing.events import BillingEvent, EventOutcome
from postflow.chat_drafts import ChatDraft
from postflow.chat_installations import ChatInstallation
from postflow.clock import as_utc
from postflow.connections import Connection, ConnectionStatus
from postflow.email.message import EmailStatus, EmailSuppression, OutgoingEmail, address_key
from postflow.errors import Conflict, NotFound
from postflow.hooks import IdempotencyRecord, IdempotencyState, IncomingHook
from postflow.inbox import InboxEntry
from postflow.org_media import MEDIA_BYTES_METRIC, MEDIA_BYTES_PERIOD, OrgMedia
from postflow.organizations import Member, Organization, Workspace
from postflow.pages import PageAfter, PostFilter
from postflow.posts import Post, PostStatus
from postflow.queues import QueueSettings
from postflow.recurrence import RecurringSeries, SeriesStatus
from postflow.reviews import ReviewRequest, ReviewState
from postflow.sandbox_posts import SandboxPost
from postflow.store.mongo_documents import (
    document_model,
    from_bson,
    model_document,
    to_bson,
)
from postflow.store.mongo_invitations import INVITATION_INDEXES, MongoInvitationRecords
from postflow.store.mongo_webhooks import WEBHOOK_INDEXES, MongoWebhookRecords
from postflow.store.port import UsageCharge, UsageExhausted

Document = dict[str, Any]
IndexKeys = list[tuple[str, int]]
ModelT = TypeVar("ModelT", bound=BaseModel)

#: (collection, keys, unique) for every index the store relies on; created at start-up.
INDEXES: list[tuple[str, IndexKeys, bool]] = [
    ("organizations", [("name", ASCENDING)], True),
    ("members", [("org_id", ASCENDING), ("identity.platform", ASCENDING),
                 ("identity.workspace_id", ASCENDING), ("identity.user_id", ASCENDING)], True),
    ("members", [("org_id", ASCENDING), ("linked_identities.user_id", ASCENDING)], False),
    ("workspaces", [("platform", ASCENDING), ("external_id", ASCENDING)], True),
    ("workspaces", [("org_id", ASCENDING)], False),
    ("connections", [("org_id", ASCENDING), ("network", ASCENDING),
                     ("account_id", ASCENDING)], True),
    ("connections", [("org_id", ASCENDING)], False),
    ("hooks", [("org_id", ASCENDING)], False),
    ("idempotency", [("hook_id", ASCENDING), ("key", ASCENDING)], True),
    ("posts", [("org_id", ASCENDING), ("created_at", ASCENDING)], False),
    ("posts", [("status", ASCENDING), ("due_at", ASCENDING)], False),
    ("posts", [("status", ASCENDING), ("updated_at", ASCENDING)], False),
    ("posts", [("org_id", ASCENDING), ("targets.connection_id", ASCENDING)], False),
    ("posts", [("org_id", ASCENDING), ("media.media_id", ASCENDING)], False),
    ("attempts", [("org_id", ASCENDING), ("post_id", ASCENDING)], False),
    ("audit", [("org_id", ASCENDING), ("subject_id", ASCENDING), ("at", ASCENDING)], False),
    ("audit", [("org_id", ASCENDING), ("at", ASCENDING)], False),
    ("usage", [("org_id", ASCENDING), ("metric", ASCENDING), ("period", ASCENDING)], True),
    ("org_media", [("org_id", ASCENDING), ("media_id", ASCENDING)], True),
    ("org_media", [("last_used_at", ASCENDING)], False),
    ("org_media", [("media_id", ASCENDING)], False),
    ("sandbox_posts", [("connection_id", ASCENDING), ("created_at", ASCENDING)], False),
    ("queue_settings", [("org_id", ASCENDING), ("connection_id", ASCENDING)], True),
    ("chat_installations", [("platform", ASCENDING), ("workspace_id", ASCENDING)], True),
    ("oauth_states", [("expires_at", ASCENDING)], False),
    ("recurring_series", [("org_id", ASCENDING), ("created_at", ASCENDING)], False),
    ("recurring_series", [("status", ASCENDING), ("next_at", ASCENDING)], False),
    ("reviews", [("org_id", ASCENDING), ("post_id", ASCENDING),
                 ("requested_at", ASCENDING)], False),
    ("reviews", [("state", ASCENDING), ("expires_at", ASCENDING)], False),
    ("approval_policies", [("org_id", ASCENDING)], False),
    ("seen_signatures", [("scope", ASCENDING), ("signature", ASCENDING)], True),
    ("billing_events", [("outcome", ASCENDING), ("received_at", ASCENDING)], False),
    ("billing_events", [("received_at", ASCENDING)], False),
    *WEBHOOK_INDEXES,
    *INVITATION_INDEXES,
    ("inbox_entries", [("org_id", ASCENDING), ("member_id", ASCENDING),
                       ("created_at", DESCENDING)], False),
    ("inbox_entries", [("created_at", ASCENDING)], False),
    ("outgoing_emails", [("dedupe_key", ASCENDING)], True),
    ("outgoing_emails", [("status", ASCENDING), ("created_at", ASCENDING)], False),
    ("outgoing_emails", [("org_id", ASCENDING), ("created_at", ASCENDING)], False),
    ("api_keys", [("org_id", ASCENDING), ("created_at", ASCENDING)], False),
    ("posts", [("org_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], False),
    ("audit", [("org_id", ASCENDING), ("at", DESCENDING), ("_id", DESCENDING)], False),
    ("posts", [("org_id", ASCENDING), ("status", ASCENDING), ("updated_at", ASCENDING)], False),
    ("reviews", [("org_id", ASCENDING), ("state", ASCENDING), ("requested_at", ASCENDING)],
     False),
]

#: (collection, field): MongoDB deletes a record once the time in ``field`` has passed (its
#: TTL monitor runs about every minute); the scheduler's purge does the same on any backend.
TTL_INDEXES: list[tuple[str, str]] = [
    ("idempotency", "expires_at"),
    ("seen_signatures", "expires_at"),
    ("chat_drafts", "expires_at"),
]

#: How often a reservation retries when the key's holder changes under it (release, expiry).
RESERVE_ROUNDS = 5

OLDEST_FIRST = [("created_at", ASCENDING), ("_id", ASCENDING)]


def _any_of(statuses: Sequence[PostStatus]) -> Document:
    """A ``status`` condition: one of ``statuses``."""
    return {"$in": [PostStatus(s).value for s in statuses]}


def _before(field: str, after: PageAfter | None) -> Document:
    """Keyset condition: strictly before ``after`` in (``field``, _id) descending order."""
    if after is None:
        return {}
    at = as_utc(after.at)
    return {"$or": [{field: {"$lt": at}}, {field: at, "_id": {"$lt": after.id}}]}


def _between(low: datetime | None, high: datetime | None) -> Document | None:
    bounds: Document = {}
    if low is not None:
        bounds["$gte"] = as_utc(low)
    if high is not None:
        bounds["$lt"] = as_utc(high)
    return bounds or None


def idempotency_record(doc: Mapping[str, Any]) -> IdempotencyRecord:
    data: Document = from_bson(doc)
    data.pop("_id", None)
    return IdempotencyRecord.model_validate(data)


def _installation(doc: Mapping[str, Any]) -> ChatInstallation:
    data: Document = from_bson(doc)
    data.pop("_id", None)
    data["id"] = data.pop("installation_id")
    return ChatInstallation.model_validate(data)


def org_media_record(doc: Mapping[str, Any]) -> OrgMedia:
    data: Document = from_bson(doc)
    data.pop("_id", None)
    return OrgMedia.model_validate(data)


class MongoStore(MongoWebhookRecords, MongoInvitationRecords):
    """The :class:`~postflow.store.port.Store` on MongoDB; build it with :meth:`connect`."""

    def __init__(self, client: AsyncMongoClient[Document], database: AsyncDatabase[Document]):
        self._client = client
        self._db = database

    @classmethod
    async def connect(cls, url: str, database_name: str) -> MongoStore:
        """Connect to the server at ``url`` and make sure the indexes exist."""
        client: AsyncMongoClient[Document] = AsyncMongoClient(url, tz_aware=True)
        return await cls.create(client, database_name)

    @classmethod
    async def create(cls, client: AsyncMongoClient[Document], database_name: str) -> MongoStore:
        """Use an already built client; creating the indexes is idempotent, so run it each start."""
        store = cls(client, client[database_name])
        for collection, keys, unique in INDEXES:
            await store._db[collection].create_index(keys, unique=unique)
        for collection, field in TTL_INDEXES:
            await store._db[collection].create_index([(field, ASCENDING)], expireAfterSeconds=0)
        return store

    def _coll(self, name: str) -> AsyncCollection[Document]:
        return self._db[name]

    # -- lifecycle -------------------------------------------------------------------------
    async def ping(self) -> None:
        await self._db.command("ping")

    async def close(self) -> None:
        await self._client.close()

    # -- shared helpers ----------------------------------------------------------------------
    async def _insert(self, collection: str, doc: Document, conflict: str) -> None:
        try:
            await self._coll(collection).insert_one(doc)
        except DuplicateKeyError as err:
            raise Conflict(conflict) from err

    async def _replace(self, collection: str, filter_: Document, doc: Document,
                       missing: str, conflict: str) -> None:
        """Replace the one document ``filter_`` matches; NotFound when none does."""
        try:
            result = await self._coll(collection).replace_one(filter_, doc)
        except DuplicateKeyError as err:
            raise Conflict(conflict) from err
        if result.matched_count == 0:
            raise NotFound(missing)

    async def _replace_versioned(self, collection: str, model: BaseModel, org_id: str,
                                 record_id: str, expected_version: int, what: str) -> None:
        """Replace the record only if it is still at ``expected_version``: one guarded
        replace_one, atomic on the document, so of two racers one wins and the other gets
        Conflict. NotFound when the record does not exist in that organization."""
        coll = self._coll(collection)
        result = await coll.replace_one(
            {"_id": record_id, "org_id": org_id, "version": expected_version},
            model_document(model))
        if result.matched_count:
            return
        current = await coll.find_one({"_id": record_id, "org_id": org_id}, {"version": 1})
        if current is None:
            raise NotFound(f"No such {what}.")
        version = int(current["version"])
        raise Conflict(f"The {what} changed since it was read (version {version}, expected "
                       f"{expected_version}).",
                       details={"id": record_id, "version": version,
                                "expected_version": expected_version})

    async def _find_models(self, model_type: type[ModelT], collection: str, filter_: Document,
                           sort: IndexKeys, limit: int | None = None) -> list[ModelT]:
        cursor = self._coll(collection).find(filter_).sort(sort)
        if limit is not None:
            if limit <= 0:  # Mongo reads a limit of 0 as "no limit"
                return []
            cursor = cursor.limit(limit)
        return [document_model(model_type, doc) for doc in await cursor.to_list()]

    # -- organizations -----------------------------------------------------------------------
    async def insert_organization(self, org: Organization) -> None:
        await self._insert("organizations", model_document(org),
                           f"An organization named {org.name!r} already exists.")

    async def get_organization(self, org_id: str) -> Organization:
        doc = await self._coll("organizations").find_one({"_id": org_id})
        if doc is None:
            raise NotFound(f"Organization {org_id} was not found.")
        return document_model(Organization, doc)

    async def find_organization_by_name(self, name: str) -> Organization | None:
        doc = await self._coll("organizations").find_one({"name": name})
        return None if doc is None else document_model(Organization, doc)

    async def list_organizations(self) -> list[Organization]:
        return await self._find_models(Organization, "organizations", {}, OLDEST_FIRST)

    async def list_suspended_org_ids(self) -> list[str]:
        docs = await self._coll("organizations").find(
            {"suspension": {"$ne": None}}, {"_id": 1}).sort([("_id", ASCENDING)]).to_list()
        return [str(doc["_id"]) for doc in docs]

    async def update_organization(self, org: Organization) -> None:
        await self._replace("organizations", {"_id": org.id}, model_document(org),
                            f"Organization {org.id} was not found.",
                            f"An organization named {org.name!r} already exists.")

    # -- members and workspaces -------------------------------------------------------------
    async def insert_member(self, member: Member) -> None:
        await self._insert("members", model_document(member),
                           "That person is already a member of the organization.")

    async def find_member(self, org_id: str, platform: str, workspace_id: str,
                          user_id: str) -> Member | None:
        who = {"platform": platform, "workspace_id": workspace_id, "user_id": user_id}
        doc = await self._coll("members").find_one({"org_id": org_id, "$or": [
            {f"identity.{field}": value for field, value in who.items()},
            {"linked_identities": {"$elemMatch": who}},
        ]})
        return None if doc is None else document_model(Member, doc)

    async def list_members(self, org_id: str) -> list[Member]:
        return await self._find_models(Member, "members", {"org_id": org_id}, OLDEST_FIRST)

    async def count_members(self, org_id: str) -> int:
        return await self._coll("members").count_documents({"org_id": org_id})

    async def update_member(self, member: Member) -> None:
        await self._replace("members", {"_id": member.id, "org_id": member.org_id},
                            model_document(member), f"Member {member.id} was not found.",
                            "That person is already a member of the organization.")

    async def insert_workspace(self, workspace: Workspace) -> None:
        await self._insert("workspaces", model_document(workspace),
                           "That workspace is already linked to an organization.")

    async def relink_workspace(self, platform: str, external_id: str, from_org_id: str,
                               to_org_id: str) -> None:
        moved = await self._coll("workspaces").update_one(
            {"platform": platform, "external_id": external_id, "org_id": from_org_id},
            {"$set": {"org_id": to_org_id}})
        if moved.matched_count == 0:
            raise NotFound("That workspace is not linked to that organization.")

    async def list_workspaces(self, org_id: str) -> list[Workspace]:
        return await self._find_models(Workspace, "workspaces", {"org_id": org_id}, OLDEST_FIRST)

    async def count_workspaces(self, org_id: str) -> int:
        return await self._coll("workspaces").count_documents({"org_id": org_id})

    async def find_workspace(self, platform: str, external_id: str) -> Workspace | None:
        doc = await self._coll("workspaces").find_one(
            {"platform": platform, "external_id": external_id})
        return None if doc is None else document_model(Workspace, doc)

    # -- chat app installations and OAuth states ---------------------------------------------
    async def save_chat_installation(self, installation: ChatInstallation) -> None:
        doc = model_document(installation)
        doc.pop("_id")  # keyed by (platform, workspace_id); the id travels as a field
        doc["installation_id"] = installation.id
        # An upsert race on the unique index means the other writer created it: replace that.
        for _ in range(2):
            try:
                await self._coll("chat_installations").replace_one(
                    {"platform": installation.platform,
                     "workspace_id": installation.workspace_id}, doc, upsert=True)
                return
            except DuplicateKeyError:
                continue
        raise Conflict("The installation kept changing while PostFlow saved it; try again.")

    async def find_chat_installation(self, platform: str,
                                     workspace_id: str) -> ChatInstallation | None:
        doc = await self._coll("chat_installations").find_one(
            {"platform": platform, "workspace_id": workspace_id})
        return None if doc is None else _installation(doc)

    async def list_chat_installations(self) -> list[ChatInstallation]:
        cursor = self._coll("chat_installations").find({}).sort(
            [("platform", ASCENDING), ("workspace_id", ASCENDING)])
        return [_installation(doc) for doc in await cursor.to_list()]

    async def claim_oauth_state(self, state_id: str, expires_at: datetime,
                                now: datetime) -> bool:
        await self._coll("oauth_states").delete_many({"expires_at": {"$lte": as_utc(now)}})
        try:
            await self._coll("oauth_states").insert_one(
                {"_id": state_id, "expires_at": as_utc(expires_at)})
        except DuplicateKeyError:
            return False
        return True

    # -- connections ------------------------------------------------------------------------
    async def insert_connection(self, connection: Connection) -> None:
        await self._insert("connections", model_document(connection),
                           "That account is already connected to the organization.")

    async def get_connection(self, org_id: str, connection_id: str) -> Connection:
        doc = await self._coll("connections").find_one({"_id": connection_id, "org_id": org_id})
        if doc is None:
            raise NotFound(f"Connection {connection_id} was not found.")
        return document_model(Connection, doc)

    async def list_connections(self, org_id: str,
                               network: str | None = None) -> list[Connection]:
        filter_: Document = {"org_id": org_id}
        if network is not None:
            filter_["network"] = network
        return await self._find_models(Connection, "connections", filter_, OLDEST_FIRST)

    async def count_connections(self, org_id: str) -> int:
        return await self._coll("connections").count_documents(
            {"org_id": org_id, "status": {"$ne": ConnectionStatus.DISCONNECTED.value}})

    async def update_connection(self, connection: Connection) -> None:
        await self._replace("connections", {"_id": connection.id, "org_id": connection.org_id},
                            model_document(connection),
                            f"Connection {connection.id} was not found.",
                            "That account is already connected to the organization.")

    # -- incoming hooks and idempotency -----------------------------------------------------
    async def insert_hook(self, hook: IncomingHook) -> None:
        await self._insert("hooks", model_document(hook), f"Hook {hook.id} already exists.")

    async def find_hook(self, hook_id: str) -> IncomingHook | None:
        doc = await self._coll("hooks").find_one({"_id": hook_id})
        return None if doc is None else document_model(IncomingHook, doc)

    async def list_hooks(self, org_id: str) -> list[IncomingHook]:
        return await self._find_models(IncomingHook, "hooks", {"org_id": org_id}, OLDEST_FIRST)

    async def update_hook(self, hook: IncomingHook) -> None:
        await self._replace("hooks", {"_id": hook.id, "org_id": hook.org_id},
                            model_document(hook), f"Hook {hook.id} was not found.",
                            f"Hook {hook.id} already exists.")

    async def delete_hook(self, org_id: str, hook_id: str) -> None:
        result = await self._coll("hooks").delete_one({"_id": hook_id, "org_id": org_id})
        if result.deleted_count == 0:
            raise NotFound(f"Hook {hook_id} was not found.")

    async def reserve_idempotency_key(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        coll = self._coll("idempotency")
        doc: Document = to_bson(record.model_dump(mode="python"))
        key_filter = {"hook_id": record.hook_id, "key": record.key}
        for _ in range(RESERVE_ROUNDS):
            try:
                await coll.insert_one(dict(doc))  # insert_one adds an _id to what it is given
                return None
            except DuplicateKeyError:
                pass
            existing = await coll.find_one(key_filter)
            if existing is None:  # released since the insert failed: try again
                continue
            held = idempotency_record(existing)
            if held.expires_at > record.created_at:
                return held
            # Take over the expired holder only if nobody else did since it was read.
            taken = await coll.find_one_and_replace(
                {**key_filter, "expires_at": existing["expires_at"]}, doc)
            if taken is not None:
                return None
        raise Conflict("That idempotency key is busy; try again.")

    async def complete_idempotency_key(self, hook_id: str, key: str, status_code: int,
                                       response_body: str) -> None:
        await self._coll("idempotency").update_one(
            {"hook_id": hook_id, "key": key},
            {"$set": {"state": IdempotencyState.COMPLETE.value, "status_code": status_code,
                      "response_body": response_body}},
        )

    async def release_idempotency_key(self, hook_id: str, key: str) -> None:
        await self._coll("idempotency").delete_one({"hook_id": hook_id, "key": key})

    async def purge_idempotency_keys(self, now: datetime) -> int:
        result = await self._coll("idempotency").delete_many(
            {"expires_at": {"$lte": as_utc(now)}})
        return result.deleted_count

    # -- seen request signatures ---------------------------------------------------------------
    async def claim_signature(self, scope: str, signature: str, expires_at: datetime,
                              now: datetime) -> bool:
        # An upsert on the unique (scope, signature) that matches only an expired record: a
        # live one makes it insert a duplicate, which the unique index refuses.
        try:
            await self._coll("seen_signatures").update_one(
                {"scope": scope, "signature": signature, "expires_at": {"$lte": as_utc(now)}},
                {"$set": {"expires_at": as_utc(expires_at)}}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def purge_seen_signatures(self, now: datetime) -> int:
        result = await self._coll("seen_signatures").delete_many(
            {"expires_at": {"$lte": as_utc(now)}})
        return result.deleted_count

    # -- Stripe events --------------------------------------------------------------------------
    async def record_billing_event(self, event: BillingEvent) -> bool:
        try:
            await self._coll("billing_events").insert_one(model_document(event))
        except DuplicateKeyError:
            return False
        return True

    async def get_billing_event(self, event_id: str) -> BillingEvent:
        doc = await self._coll("billing_events").find_one({"_id": event_id})
        if doc is None:
            raise NotFound("No such billing event.")
        return document_model(BillingEvent, doc)

    async def save_billing_event(self, event: BillingEvent) -> None:
        await self._replace("billing_events", {"_id": event.id}, model_document(event),
                            "No such billing event.", "That billing event already exists.")

    async def list_pending_billing_events(self, received_before: datetime,
                                          limit: int) -> list[BillingEvent]:
        return await self._find_models(
            BillingEvent, "billing_events",
            {"outcome": EventOutcome.PENDING.value,
             "received_at": {"$lt": as_utc(received_before)}},
            [("received_at", ASCENDING), ("_id", ASCENDING)], limit)

    async def list_billing_events(self, org_id: str | None = None,
                                  limit: int = 100) -> list[BillingEvent]:
        filter_: Document = ({} if org_id is None
                             else {"$or": [{"org_id": org_id}, {"org_hint": org_id}]})
        return await self._find_models(BillingEvent, "billing_events", filter_,
                                       [("received_at", DESCENDING), ("_id", DESCENDING)],
                                       limit)

    # -- chat drafts ----------------------------------------------------------------------------
    async def save_chat_draft(self, draft: ChatDraft) -> None:
        await self._coll("chat_drafts").replace_one(
            {"_id": draft.id}, {"_id": draft.id, "org_id": draft.org_id, "actor": draft.actor,
                                "state": draft.state, "expires_at": as_utc(draft.expires_at)},
            upsert=True)

    async def get_chat_draft(self, draft_id: str, now: datetime) -> ChatDraft | None:
        doc = await self._coll("chat_drafts").find_one(
            {"_id": draft_id, "expires_at": {"$gt": as_utc(now)}})
        if doc is None:
            return None
        return ChatDraft(id=str(doc["_id"]), org_id=str(doc["org_id"]), actor=str(doc["actor"]),
                         state=str(doc["state"]), expires_at=as_utc(doc["expires_at"]))

    async def delete_chat_draft(self, draft_id: str) -> bool:
        result = await self._coll("chat_drafts").delete_one({"_id": draft_id})
        return bool(result.deleted_count)

    async def purge_chat_drafts(self, now: datetime) -> int:
        result = await self._coll("chat_drafts").delete_many(
            {"expires_at": {"$lte": as_utc(now)}})
        return result.deleted_count

    # -- posts ------------------------------------------------------------------------------
    async def insert_post(self, post: Post, audit: Sequence[AuditEvent] = (), *,
                          charge: UsageCharge | None = None) -> None:
        if charge is not None and await self.consume_usage(
                post.org_id, charge.metric, charge.period, charge.limit) is None:
            raise UsageExhausted(charge.metric)
        try:
            await self._insert("posts", model_document(post), f"Post {post.id} already exists.")
        except BaseException:
            if charge is not None:
                await self.release_usage(post.org_id, charge.metric, charge.period)
            raise
        if audit:
            await self._coll("audit").insert_many([model_document(e) for e in audit])

    async def get_post(self, org_id: str, post_id: str) -> Post:
        doc = await self._coll("posts").find_one({"_id": post_id, "org_id": org_id})
        if doc is None:
            raise NotFound(f"Post {post_id} was not found.")
        return document_model(Post, doc)

    async def list_posts(self, org_id: str, statuses: Sequence[PostStatus] | None = None,
                         limit: int = 50) -> list[Post]:
        filter_: Document = {"org_id": org_id}
        if statuses is not None:
            filter_["status"] = _any_of(statuses)
        return await self._find_models(
            Post, "posts", filter_, [("created_at", DESCENDING), ("_id", DESCENDING)], limit)

    async def list_posts_page(self, org_id: str, filter_: PostFilter, *,
                              after: PageAfter | None, limit: int) -> list[Post]:
        query: Document = {"org_id": org_id, **_before("created_at", after)}
        if filter_.statuses is not None:
            query["status"] = _any_of(filter_.statuses)
        if filter_.network is not None:
            query["targets.network"] = filter_.network
        created = _between(filter_.created_from, filter_.created_before)
        if created is not None:
            query["$and"] = [{"created_at": created}]
        scheduled = _between(filter_.scheduled_from, filter_.scheduled_before)
        if scheduled is not None:
            query["scheduled_at"] = scheduled
        return await self._find_models(
            Post, "posts", query, [("created_at", DESCENDING), ("_id", DESCENDING)], limit)

    async def list_posts_soonest_first(self, org_id: str, statuses: Sequence[PostStatus], *,
                                       offset: int, limit: int) -> list[Post]:
        # The order needs "due_at, else scheduled_at": sorted here on the few fields it needs,
        # then only the page's documents are read whole.
        filter_ = {"org_id": org_id, "status": _any_of(statuses)}
        keys = await self._coll("posts").find(
            filter_, {"_id": 1, "due_at": 1, "scheduled_at": 1, "created_at": 1}).to_list()

        def soonest(doc: Document) -> tuple[bool, datetime, str]:
            when = doc.get("due_at") or doc.get("scheduled_at")
            return (when is None, as_utc(when or doc["created_at"]), str(doc["_id"]))

        page = [doc["_id"] for doc in sorted(keys, key=soonest)[max(offset, 0):][:max(limit, 0)]]
        if not page:
            return []
        found = {post.id: post for post in await self._find_models(
            Post, "posts", {"org_id": org_id, "_id": {"$in": page}}, [("_id", ASCENDING)])}
        return [found[post_id] for post_id in page if post_id in found]

    async def count_posts(self, org_id: str, statuses: Sequence[PostStatus]) -> int:
        return await self._coll("posts").count_documents(
            {"org_id": org_id, "status": _any_of(statuses)})

    async def count_posts_updated_between(self, org_id: str, statuses: Sequence[PostStatus],
                                          since: datetime, until: datetime) -> int:
        return await self._coll("posts").count_documents(
            {"org_id": org_id, "status": _any_of(statuses),
             "updated_at": {"$gte": as_utc(since), "$lt": as_utc(until)}})

    async def replace_post(self, post: Post, expected_version: int, *,
                           audit: Sequence[AuditEvent] = (),
                           attempt: PublishAttempt | None = None) -> None:
        await self._replace_versioned("posts", post, post.org_id, post.id, expected_version,
                                      "post")
        if attempt is not None:
            if attempt.outcome is AttemptOutcome.PENDING:
                await self.insert_attempt(attempt)
            else:
                await self.finish_attempt(attempt)
        if audit:
            await self._coll("audit").insert_many([model_document(e) for e in audit])

    async def find_due_posts(self, now: datetime, limit: int, *,
                             excluding_orgs: Sequence[str] = ()) -> list[Post]:
        filter_: Document = {"status": PostStatus.SCHEDULED.value, "due_at": {"$lte": as_utc(now)}}
        if excluding_orgs:
            filter_["org_id"] = {"$nin": list(excluding_orgs)}
        return await self._find_models(
            Post, "posts", filter_, [("due_at", ASCENDING), ("_id", ASCENDING)], limit)

    async def next_due_at(self, *, excluding_orgs: Sequence[str] = ()) -> datetime | None:
        filter_: Document = {"status": PostStatus.SCHEDULED.value, "due_at": {"$ne": None}}
        if excluding_orgs:
            filter_["org_id"] = {"$nin": list(excluding_orgs)}
        doc = await self._coll("posts").find_one(filter_, {"due_at": 1},
                                                 sort=[("due_at", ASCENDING)])
        return None if doc is None else as_utc(doc["due_at"])

    async def find_stale_posts(self, statuses: Sequence[PostStatus], updated_before: datetime,
                               limit: int) -> list[Post]:
        return await self._find_models(
            Post, "posts",
            {"status": _any_of(statuses),
             "updated_at": {"$lt": as_utc(updated_before)}},
            [("updated_at", ASCENDING), ("_id", ASCENDING)], limit,
        )

    async def list_queue_times(self, org_id: str, connection_id: str,
                               after: datetime) -> list[datetime]:
        docs = await self._coll("posts").find(
            {"org_id": org_id, "targets.connection_id": connection_id, "from_queue": True,
             "status": {"$ne": PostStatus.CANCELED.value},
             "scheduled_at": {"$gt": as_utc(after)}},
            {"scheduled_at": 1},
        ).sort([("scheduled_at", ASCENDING), ("_id", ASCENDING)]).to_list()
        return [as_utc(doc["scheduled_at"]) for doc in docs]

    async def list_queue_posts(self, org_id: str, connection_id: str,
                               after: datetime) -> list[Post]:
        return await self._find_models(
            Post, "posts",
            {"org_id": org_id, "targets.connection_id": connection_id, "from_queue": True,
             "status": {"$ne": PostStatus.CANCELED.value},
             "scheduled_at": {"$gt": as_utc(after)}},
            [("scheduled_at", ASCENDING), ("_id", ASCENDING)],
        )

    # -- queue settings ---------------------------------------------------------------------
    async def get_queue_settings(self, org_id: str,
                                 connection_id: str) -> QueueSettings | None:
        doc = await self._coll("queue_settings").find_one(
            {"org_id": org_id, "connection_id": connection_id})
        if doc is None:
            return None
        data: Document = from_bson(doc)
        data.pop("_id", None)
        return QueueSettings.model_validate(data)

    async def save_queue_settings(self, settings: QueueSettings) -> None:
        doc: Document = to_bson(settings.model_dump(mode="python"))
        # An upsert race on the unique index means the other writer created it: replace that.
        for _ in range(2):
            try:
                await self._coll("queue_settings").replace_one(
                    {"org_id": settings.org_id, "connection_id": settings.connection_id},
                    doc, upsert=True)
                return
            except DuplicateKeyError:
                continue
        raise Conflict("The queue settings kept changing while PostFlow saved them; try again.")

    # -- publish attempts and audit ---------------------------------------------------------
    async def insert_attempt(self, attempt: PublishAttempt) -> None:
        await self._insert("attempts", model_document(attempt),
                           f"Attempt {attempt.id} already exists.")

    async def finish_attempt(self, attempt: PublishAttempt) -> None:
        attempts = self._coll("attempts")
        result = await attempts.replace_one(
            {"_id": attempt.id, "org_id": attempt.org_id,
             "outcome": AttemptOutcome.PENDING.value},
            model_document(attempt),
        )
        if result.matched_count:
            return
        if await attempts.count_documents({"_id": attempt.id, "org_id": attempt.org_id}) == 0:
            raise NotFound(f"Attempt {attempt.id} was not found.")
        raise Conflict(f"Attempt {attempt.id} was already closed.",
                       details={"attempt_id": attempt.id})

    async def list_attempts(self, org_id: str, post_id: str) -> list[PublishAttempt]:
        return await self._find_models(
            PublishAttempt, "attempts", {"org_id": org_id, "post_id": post_id},
            [("started_at", ASCENDING), ("_id", ASCENDING)],
        )

    async def append_audit(self, event: AuditEvent) -> None:
        await self._insert("audit", model_document(event), f"Event {event.id} already exists.")

    async def list_audit(self, org_id: str, subject_id: str | None = None,
                         limit: int = 200) -> list[AuditEvent]:
        filter_: Document = {"org_id": org_id}
        if subject_id is not None:
            filter_["subject_id"] = subject_id
        return await self._find_models(
            AuditEvent, "audit", filter_, [("at", ASCENDING), ("_id", ASCENDING)], limit)

    async def list_recent_audit(self, org_id: str, *, offset: int = 0,
                                limit: int = 20) -> list[AuditEvent]:
        if limit <= 0:
            return []
        cursor = self._coll("audit").find({"org_id": org_id}).sort(
            [("at", DESCENDING), ("_id", DESCENDING)]).skip(max(offset, 0)).limit(limit)
        return [document_model(AuditEvent, doc) for doc in await cursor.to_list()]
    async def list_audit_page(self, org_id: str, *, subject_id: str | None,
                              after: PageAfter | None, limit: int) -> list[AuditEvent]:
        query: Document = {"org_id": org_id, **_before("at", after)}
        if subject_id is not None:
            query["subject_id"] = subject_id
        return await self._find_models(
            AuditEvent, "audit", query, [("at", DESCENDING), ("_id", DESCENDING)], limit)

    # -- API keys ---------------------------------------------------------------------------
    async def insert_api_key(self, key: ApiKey) -> None:
        await self._insert("api_keys", model_document(key), f"API key {key.id} already exists.")

    async def find_api_key(self, key_id: str) -> ApiKey | None:
        doc = await self._coll("api_keys").find_one({"_id": key_id})
        return None if doc is None else document_model(ApiKey, doc)

    async def list_api_keys(self, org_id: str) -> list[ApiKey]:
        return await self._find_models(ApiKey, "api_keys", {"org_id": org_id}, OLDEST_FIRST)

    async def update_api_key(self, key: ApiKey) -> None:
        await self._replace("api_keys", {"_id": key.id, "org_id": key.org_id},
                            model_document(key), f"API key {key.id} was not found.",
                            f"API key {key.id} already exists.")

    async def touch_api_key(self, key_id: str, at: datetime) -> None:
        await self._coll("api_keys").update_one({"_id": key_id},
                                                {"$set": {"last_used_at": as_utc(at)}})

    # -- usage metering ---------------------------------------------------------------------
    async def consume_usage(self, org_id: str, metric: str, period: str,
                            limit: int | None) -> int | None:
        if limit is not None and limit <= 0:
            return None
        usage = self._coll("usage")
        counter = {"org_id": org_id, "metric": metric, "period": period}
        if limit is None:
            try:
                doc = await usage.find_one_and_update(
                    counter, {"$inc": {"count": 1}}, upsert=True,
                    return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:  # lost an upsert race: the counter exists now
                doc = await usage.find_one_and_update(
                    counter, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER)
            return None if doc is None else int(doc["count"])
        # A duplicate key here means another request created the counter first: all we need.
        with suppress(DuplicateKeyError):
            await usage.update_one(counter, {"$setOnInsert": {"count": 0}}, upsert=True)
        doc = await usage.find_one_and_update(
            {**counter, "count": {"$lt": limit}}, {"$inc": {"count": 1}},
            return_document=ReturnDocument.AFTER)
        return None if doc is None else int(doc["count"])

    async def release_usage(self, org_id: str, metric: str, period: str) -> None:
        await self._coll("usage").update_one(
            {"org_id": org_id, "metric": metric, "period": period, "count": {"$gt": 0}},
            {"$inc": {"count": -1}},
        )

    async def get_usage(self, org_id: str, metric: str, period: str) -> int:
        doc = await self._coll("usage").find_one(
            {"org_id": org_id, "metric": metric, "period": period})
        return 0 if doc is None else int(doc["count"])

    # -- media held by organizations -------------------------------------------------------------
    async def hold_media(self, media: OrgMedia, limit_bytes: int | None) -> bool:
        held = self._coll("org_media")
        try:
            await held.insert_one(to_bson(media.model_dump(mode="python")))
        except DuplicateKeyError:
            await self.use_held_media(media.org_id, media.media_id, media.last_used_at)
            return False
        if not await self._charge_media_bytes(media.org_id, media.size, limit_bytes):
            # The record inserted just above, whatever a use did to it since: it was never held.
            await held.delete_one({"org_id": media.org_id, "media_id": media.media_id})
            raise UsageExhausted(MEDIA_BYTES_METRIC)
        return True

    async def _charge_media_bytes(self, org_id: str, size: int, limit: int | None) -> bool:
        """Add ``size`` to the organization's media meter if it stays within ``limit``."""
        usage = self._coll("usage")
        counter = {"org_id": org_id, "metric": MEDIA_BYTES_METRIC, "period": MEDIA_BYTES_PERIOD}
        with suppress(DuplicateKeyError):  # another request created the counter first
            await usage.update_one(counter, {"$setOnInsert": {"count": 0}}, upsert=True)
        if limit is not None and size > limit:
            return False
        within = counter if limit is None else {**counter, "count": {"$lte": limit - size}}
        return await usage.find_one_and_update(within, {"$inc": {"count": size}}) is not None

    async def use_held_media(self, org_id: str, media_id: str,
                             at: datetime) -> OrgMedia | None:
        held = self._coll("org_media")
        record = {"org_id": org_id, "media_id": media_id}
        doc = await held.find_one_and_update(
            {**record, "last_used_at": {"$lt": as_utc(at)}},
            {"$set": {"last_used_at": as_utc(at)}}, return_document=ReturnDocument.AFTER)
        if doc is None:
            doc = await held.find_one(record)
        return None if doc is None else org_media_record(doc)

    async def find_idle_media(self, unused_since: datetime, limit: int) -> list[OrgMedia]:
        if limit <= 0:
            return []
        docs = await self._coll("org_media").find(
            {"last_used_at": {"$lt": as_utc(unused_since)}},
        ).sort([("last_used_at", ASCENDING), ("org_id", ASCENDING),
                ("media_id", ASCENDING)]).limit(limit).to_list()
        return [org_media_record(doc) for doc in docs]

    async def media_in_use(self, org_id: str, media_ids: Sequence[str],
                           post_statuses: Sequence[PostStatus],
                           series_statuses: Sequence[SeriesStatus]) -> set[str]:
        wanted = set(media_ids)
        used: set[str] = set()
        for collection, statuses in (("posts", [PostStatus(s).value for s in post_statuses]),
                                     ("recurring_series",
                                      [SeriesStatus(s).value for s in series_statuses])):
            docs = await self._coll(collection).find(
                {"org_id": org_id, "status": {"$in": statuses},
                 "media.media_id": {"$in": sorted(wanted)}}, {"media.media_id": 1}).to_list()
            used.update(ref.get("media_id") for doc in docs for ref in doc.get("media", []))
        return used & wanted

    async def media_last_named(self, org_id: str, media_ids: Sequence[str]) -> dict[str, datetime]:
        wanted = set(media_ids)
        docs = await self._coll("posts").find(
            {"org_id": org_id, "media.media_id": {"$in": sorted(wanted)}},
            {"media.media_id": 1, "updated_at": 1}).to_list()
        last: dict[str, datetime] = {}
        for doc in docs:
            updated = as_utc(doc["updated_at"])
            for named in {ref.get("media_id") for ref in doc.get("media", [])} & wanted:
                last[named] = max(updated, last.get(named, updated))
        return last

    async def release_held_media(self, media: OrgMedia) -> bool:
        result = await self._coll("org_media").delete_one(
            {"org_id": media.org_id, "media_id": media.media_id,
             "last_used_at": as_utc(media.last_used_at)})
        if not result.deleted_count:
            return False
        usage = self._coll("usage")
        counter = {"org_id": media.org_id, "metric": MEDIA_BYTES_METRIC,
                   "period": MEDIA_BYTES_PERIOD}
        if await usage.find_one_and_update({**counter, "count": {"$gte": media.size}},
                                           {"$inc": {"count": -media.size}}) is None:
            await usage.update_one(counter, {"$set": {"count": 0}})  # never below zero
        return True

    async def count_media_holders(self, media_id: str) -> int:
        return await self._coll("org_media").count_documents({"media_id": media_id})

    # -- chat commands registered ------------------------------------------------------------
    async def get_chat_commands_digest(self, platform: str, scope: str) -> str | None:
        doc = await self._coll("chat_commands").find_one({"_id": f"{platform}:{scope}"})
        return None if doc is None else str(doc["digest"])

    async def set_chat_commands_digest(self, platform: str, scope: str, digest: str,
                                       at: datetime) -> None:
        await self._coll("chat_commands").update_one(
            {"_id": f"{platform}:{scope}"},
            {"$set": {"digest": digest, "updated_at": as_utc(at)}}, upsert=True)

    # -- heartbeats (worker canary) ----------------------------------------------------------
    async def set_heartbeat(self, name: str, at: datetime) -> None:
        await self._coll("heartbeats").update_one(
            {"_id": name}, {"$set": {"at": as_utc(at)}}, upsert=True)

    async def get_heartbeat(self, name: str) -> datetime | None:
        doc = await self._coll("heartbeats").find_one({"_id": name})
        return None if doc is None else as_utc(doc["at"])

    # -- the sandbox network's own records (its port: integrations/sandbox/records.py) --------
    async def insert_sandbox_post(self, post: SandboxPost) -> None:
        await self._insert("sandbox_posts", model_document(post),
                           f"Sandbox post {post.id} already exists.")

    async def find_sandbox_posts(self, connection_id: str,
                                 idempotency_key: str | None = None) -> list[SandboxPost]:
        filter_: Document = {"connection_id": connection_id}
        if idempotency_key is not None:
            filter_["idempotency_key"] = idempotency_key
        return await self._find_models(SandboxPost, "sandbox_posts", filter_, OLDEST_FIRST)

    async def get_sandbox_post(self, sandbox_post_id: str) -> SandboxPost | None:
        doc = await self._coll("sandbox_posts").find_one({"_id": sandbox_post_id})
        return None if doc is None else document_model(SandboxPost, doc)

    # -- recurring series ---------------------------------------------------------------------
    async def insert_series(self, series: RecurringSeries) -> None:
        await self._insert("recurring_series", model_document(series),
                           f"Recurring series {series.id} already exists.")

    async def get_series(self, org_id: str, series_id: str) -> RecurringSeries:
        doc = await self._coll("recurring_series").find_one({"_id": series_id, "org_id": org_id})
        if doc is None:
            raise NotFound(f"Recurring series {series_id} was not found.")
        return document_model(RecurringSeries, doc)

    async def list_series(self, org_id: str,
                          statuses: Sequence[SeriesStatus] | None = None) -> list[RecurringSeries]:
        filter_: Document = {"org_id": org_id}
        if statuses is not None:
            filter_["status"] = {"$in": [SeriesStatus(s).value for s in statuses]}
        return await self._find_models(RecurringSeries, "recurring_series", filter_, OLDEST_FIRST)

    async def replace_series(self, series: RecurringSeries, expected_version: int) -> None:
        await self._replace_versioned("recurring_series", series, series.org_id, series.id,
                                      expected_version, "recurring series")

    async def find_due_series(self, before: datetime, limit: int) -> list[RecurringSeries]:
        return await self._find_models(
            RecurringSeries, "recurring_series",
            {"status": SeriesStatus.ACTIVE.value, "next_at": {"$lte": as_utc(before)}},
            [("next_at", ASCENDING), ("_id", ASCENDING)], limit)

    async def list_posts_by_source(self, org_id: str, kind: str, ref: str,
                                   limit: int = 50) -> list[Post]:
        return await self._find_models(
            Post, "posts", {"org_id": org_id, "source.kind": kind, "source.ref": ref},
            [("scheduled_at", DESCENDING), ("_id", DESCENDING)], limit)

    # -- approval policies and review requests -------------------------------------------------
    async def get_approval_policies(self, org_id: str) -> dict[str, ApprovalPolicy]:
        docs = await self._coll("approval_policies").find({"org_id": org_id}).to_list()
        return {doc["scope"]: ApprovalPolicy.model_validate(from_bson(doc["policy"]))
                for doc in docs}

    async def save_approval_policy(self, org_id: str, scope: str,
                                   policy: ApprovalPolicy | None) -> None:
        key = f"{org_id}:{scope}"
        if policy is None:
            await self._coll("approval_policies").delete_one({"_id": key})
            return
        await self._coll("approval_policies").replace_one(
            {"_id": key}, {"_id": key, "org_id": org_id, "scope": scope,
                           "policy": to_bson(policy.model_dump(mode="python"))}, upsert=True)

    async def insert_review(self, review: ReviewRequest) -> None:
        await self._insert("reviews", model_document(review),
                           f"Review request {review.id} already exists.")

    async def get_review(self, org_id: str, review_id: str) -> ReviewRequest:
        doc = await self._coll("reviews").find_one({"_id": review_id, "org_id": org_id})
        if doc is None:
            raise NotFound(f"Review request {review_id} was not found.")
        return document_model(ReviewRequest, doc)

    async def find_review_for_post(self, org_id: str, post_id: str) -> ReviewRequest | None:
        found = await self._find_models(
            ReviewRequest, "reviews", {"org_id": org_id, "post_id": post_id},
            [("requested_at", DESCENDING), ("_id", DESCENDING)], 1)
        return found[0] if found else None

    async def replace_review(self, review: ReviewRequest, expected_version: int) -> None:
        await self._replace_versioned("reviews", review, review.org_id, review.id,
                                      expected_version, "review request")

    async def list_open_reviews(self, org_id: str, limit: int) -> list[ReviewRequest]:
        return await self._find_models(
            ReviewRequest, "reviews", {"org_id": org_id, "state": ReviewState.OPEN.value},
            [("requested_at", ASCENDING), ("_id", ASCENDING)], limit)

    async def find_expired_reviews(self, now: datetime, limit: int) -> list[ReviewRequest]:
        return await self._find_models(
            ReviewRequest, "reviews",
            {"state": ReviewState.OPEN.value, "expires_at": {"$ne": None, "$lte": as_utc(now)}},
            [("expires_at", ASCENDING), ("_id", ASCENDING)], limit)

    # -- members' notification centers -------------------------------------------------------
    async def insert_inbox_entries(self, entries: Sequence[InboxEntry]) -> None:
        if not entries:
            return
        try:
            await self._coll("inbox_entries").insert_many([model_document(e) for e in entries])
        except DuplicateKeyError as err:
            raise Conflict("That inbox entry already exists.") from err

    async def list_inbox_entries(self, org_id: str, member_id: str, *,
                                 unread_only: bool = False,
                                 limit: int = 20) -> list[InboxEntry]:
        filter_: Document = {"org_id": org_id, "member_id": member_id}
        if unread_only:
            filter_["read_at"] = None
        return await self._find_models(InboxEntry, "inbox_entries", filter_,
                                       [("created_at", DESCENDING), ("_id", DESCENDING)], limit)

    async def count_unread_inbox_entries(self, org_id: str, member_id: str) -> int:
        return await self._coll("inbox_entries").count_documents(
            {"org_id": org_id, "member_id": member_id, "read_at": None})

    async def mark_inbox_read(self, org_id: str, member_id: str, at: datetime) -> int:
        result = await self._coll("inbox_entries").update_many(
            {"org_id": org_id, "member_id": member_id, "read_at": None},
            {"$set": {"read_at": as_utc(at)}})
        return result.modified_count

    async def purge_inbox_entries(self, created_before: datetime, limit: int) -> int:
        if limit <= 0:
            return 0
        old = await self._coll("inbox_entries").find(
            {"created_at": {"$lt": as_utc(created_before)}}, {"_id": 1}).sort(
            [("created_at", ASCENDING)]).limit(limit).to_list()
        if not old:
            return 0
        result = await self._coll("inbox_entries").delete_many(
            {"_id": {"$in": [doc["_id"] for doc in old]}})
        return result.deleted_count
    # -- outgoing emails and suppressed addresses -------------------------------------------
    async def insert_outgoing_email(self, email: OutgoingEmail) -> None:
        await self._insert("outgoing_emails", model_document(email),
                           "That email is recorded already.")

    async def get_outgoing_email(self, email_id: str) -> OutgoingEmail:
        doc = await self._coll("outgoing_emails").find_one({"_id": email_id})
        if doc is None:
            raise NotFound("No such email.")
        return _email(doc)

    async def claim_outgoing_email(self, email_id: str, now: datetime,
                                   until: datetime) -> OutgoingEmail | None:
        doc = await self._coll("outgoing_emails").find_one_and_update(
            {"_id": email_id, "status": EmailStatus.PENDING.value,
             "$or": [{"claimed_until": None}, {"claimed_until": {"$lte": as_utc(now)}}]},
            {"$set": {"claimed_until": as_utc(until)}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER)
        return None if doc is None else _email(doc)

    async def finish_outgoing_email(self, email_id: str, status: EmailStatus, now: datetime,
                                    *, error: str = "", transport_id: str = "") -> None:
        update: Document = {"status": status.value, "claimed_until": None, "error": error,
                            "transport_id": transport_id}
        if status is EmailStatus.SENT:
            update["sent_at"] = as_utc(now)
        await self._update_email(email_id, update)

    async def release_outgoing_email(self, email_id: str, error: str) -> None:
        await self._update_email(email_id, {"claimed_until": None, "error": error})

    async def _update_email(self, email_id: str, update: Document) -> None:
        result = await self._coll("outgoing_emails").update_one({"_id": email_id},
                                                                 {"$set": update})
        if result.matched_count == 0:
            raise NotFound("No such email.")

    async def find_unsent_emails(self, created_before: datetime, now: datetime,
                                 limit: int) -> list[OutgoingEmail]:
        if limit <= 0:
            return []
        cursor = self._coll("outgoing_emails").find(
            {"status": EmailStatus.PENDING.value, "created_at": {"$lte": as_utc(created_before)},
             "$or": [{"claimed_until": None}, {"claimed_until": {"$lte": as_utc(now)}}]},
        ).sort(OLDEST_FIRST).limit(limit)
        return [_email(doc) for doc in await cursor.to_list()]

    async def find_recorded_email_keys(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        cursor = self._coll("outgoing_emails").find(
            {"dedupe_key": {"$in": list(keys)}}, {"dedupe_key": 1, "_id": 0})
        return {doc["dedupe_key"] for doc in await cursor.to_list()}

    async def list_outgoing_emails(self, org_id: str, limit: int) -> list[OutgoingEmail]:
        if limit <= 0:
            return []
        cursor = self._coll("outgoing_emails").find({"org_id": org_id}).sort(
            [("created_at", DESCENDING), ("_id", DESCENDING)]).limit(limit)
        return [_email(doc) for doc in await cursor.to_list()]

    async def suppress_email_address(self, suppression: EmailSuppression) -> None:
        key = address_key(suppression.address)
        doc: Document = to_bson(suppression.model_dump(mode="python"))
        await self._coll("email_suppressions").replace_one({"_id": key}, {**doc, "_id": key},
                                                           upsert=True)

    async def find_email_suppression(self, address: str) -> EmailSuppression | None:
        doc = await self._coll("email_suppressions").find_one({"_id": address_key(address)})
        if doc is None:
            return None
        data: Document = from_bson(doc)
        data.pop("_id", None)
        return EmailSuppression.model_validate(data)

    async def lift_email_suppression(self, address: str) -> bool:
        result = await self._coll("email_suppressions").delete_one({"_id": address_key(address)})
        return result.deleted_count > 0


def _email(doc: Mapping[str, Any]) -> OutgoingEmail:
    return document_model(OutgoingEmail, doc)
