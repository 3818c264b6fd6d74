"""The MongoDB store's outbound-webhook records, a part of
:class:`~postflow.store.mongo.MongoStore` (its indexes are in mongo.py's INDEXES)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from postflow.clock import as_utc
from postflow.errors import Conflict, NotFound
from postflow.store.mongo_documents import document_model, model_document
from postflow.webhooks.records import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

ModelT = TypeVar("ModelT", bound=BaseModel)
Document = dict[str, Any]

#: (collection, keys, unique) of the webhook collections, created with the store's own.
WEBHOOK_INDEXES: list[tuple[str, list[tuple[str, int]], bool]] = [
    ("webhook_endpoints", [("org_id", ASCENDING), ("created_at", ASCENDING)], False),
    ("webhook_events", [("org_id", ASCENDING)], False),
    ("webhook_events", [("created_at", ASCENDING)], False),
    ("webhook_deliveries", [("status", ASCENDING), ("next_attempt_at", ASCENDING)], False),
    ("webhook_deliveries", [("org_id", ASCENDING), ("created_at", DESCENDING)], False),
    ("webhook_deliveries", [("created_at", ASCENDING)], False),
    ("webhook_attempts", [("org_id", ASCENDING), ("delivery_id", ASCENDING),
                          ("at", ASCENDING)], False),
    ("webhook_attempts", [("at", ASCENDING)], False),
]


_document = model_document
_model = document_model


class MongoWebhookRecords:
    """:class:`~postflow.store.records.webhooks.WebhookRecords` on MongoDB."""

    if TYPE_CHECKING:
        def _coll(self, name: str) -> AsyncCollection[Document]: ...

        async def _insert(self, collection: str, doc: Document, conflict: str) -> None: ...

        async def _replace_versioned(self, collection: str, model: BaseModel, org_id: str,
                                     record_id: str, expected_version: int,
                                     what: str) -> None: ...

        async def _find_models(self, model_type: type[ModelT], collection: str,
                               filter_: Document, sort: list[tuple[str, int]],
                               limit: int | None = None) -> list[ModelT]: ...

    async def _one(self, model_type: type[ModelT], collection: str, org_id: str,
                   record_id: str, missing: str) -> ModelT:
        doc = await self._coll(collection).find_one({"_id": record_id, "org_id": org_id})
        if doc is None:
            raise NotFound(missing)
        return _model(model_type, doc)

    # -- endpoints ---------------------------------------------------------------------------
    async def insert_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        await self._insert("webhook_endpoints", _document(endpoint),
                           "That webhook endpoint already exists.")

    async def get_webhook_endpoint(self, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        return await self._one(WebhookEndpoint, "webhook_endpoints", org_id, endpoint_id,
                               "No such webhook endpoint.")

    async def list_webhook_endpoints(self, org_id: str) -> list[WebhookEndpoint]:
        return await self._find_models(WebhookEndpoint, "webhook_endpoints",
                                       {"org_id": org_id},
                                       [("created_at", ASCENDING), ("_id", ASCENDING)])

    async def update_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        result = await self._coll("webhook_endpoints").replace_one(
            {"_id": endpoint.id, "org_id": endpoint.org_id}, _document(endpoint))
        if result.matched_count == 0:
            raise NotFound("No such webhook endpoint.")

    async def delete_webhook_endpoint(self, org_id: str, endpoint_id: str) -> None:
        result = await self._coll("webhook_endpoints").delete_one(
            {"_id": endpoint_id, "org_id": org_id})
        if result.deleted_count == 0:
            raise NotFound("No such webhook endpoint.")

    # -- events and deliveries ---------------------------------------------------------------
    async def insert_webhook_event(self, event: WebhookEvent,
                                   deliveries: list[WebhookDelivery]) -> None:
        await self._insert("webhook_events", _document(event),
                           "That webhook event already exists.")
        await self.insert_webhook_deliveries(deliveries)

    async def get_webhook_event(self, org_id: str, event_id: str) -> WebhookEvent:
        return await self._one(WebhookEvent, "webhook_events", org_id, event_id,
                               "No such webhook event.")

    async def insert_webhook_deliveries(self, deliveries: list[WebhookDelivery]) -> None:
        if not deliveries:
            return
        try:
            await self._coll("webhook_deliveries").insert_many(
                [_document(d) for d in deliveries])
        except DuplicateKeyError as err:
            raise Conflict("That webhook delivery already exists.") from err

    async def get_webhook_delivery(self, org_id: str, delivery_id: str) -> WebhookDelivery:
        return await self._one(WebhookDelivery, "webhook_deliveries", org_id, delivery_id,
                               "No such webhook delivery.")

    async def replace_webhook_delivery(self, delivery: WebhookDelivery,
                                       expected_version: int) -> None:
        await self._replace_versioned("webhook_deliveries", delivery, delivery.org_id,
                                      delivery.id, expected_version, "webhook delivery")

    async def record_webhook_attempt(self, attempt: DeliveryAttempt, delivery: WebhookDelivery,
                                     expected_version: int) -> None:
        # No transaction: the delivery moves first (the guard), then its attempt is logged.
        await self.replace_webhook_delivery(delivery, expected_version)
        await self._insert("webhook_attempts", _document(attempt),
                           "That webhook attempt already exists.")

    async def find_due_webhook_deliveries(self, now: datetime,
                                          limit: int) -> list[WebhookDelivery]:
        return await self._find_models(
            WebhookDelivery, "webhook_deliveries",
            {"status": DeliveryStatus.PENDING.value,
             "next_attempt_at": {"$ne": None, "$lte": as_utc(now)}},
            [("next_attempt_at", ASCENDING), ("_id", ASCENDING)], limit)

    async def list_webhook_deliveries(self, org_id: str, *, endpoint_id: str | None = None,
                                      event_id: str | None = None,
                                      limit: int = 50) -> list[WebhookDelivery]:
        filter_: Document = {"org_id": org_id}
        if endpoint_id is not None:
            filter_["endpoint_id"] = endpoint_id
        if event_id is not None:
            filter_["event_id"] = event_id
        return await self._find_models(WebhookDelivery, "webhook_deliveries", filter_,
                                       [("created_at", DESCENDING), ("_id", DESCENDING)], limit)

    async def list_webhook_attempts(self, org_id: str,
                                    delivery_id: str) -> list[DeliveryAttempt]:
        return await self._find_models(DeliveryAttempt, "webhook_attempts",
                                       {"org_id": org_id, "delivery_id": delivery_id},
                                       [("at", ASCENDING), ("_id", ASCENDING)])

    async def purge_webhook_log(self, before: datetime) -> int:
        cutoff = as_utc(before)
        removed = 0
        for collection, field in (("webhook_attempts", "at"),
                                  ("webhook_deliveries", "created_at"),
                                  ("webhook_events", "created_at")):
            result = await self._coll(collection).delete_many({field: {"$lt": cutoff}})
            removed += result.deleted_count
        return removed
