"""The SQLite store's outbound-webhook records (tables made by the migration "outbound
webhooks" in sqlite.py), a part of :class:`~postflow.store.sqlite.SqliteStore`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel

from postflow.clock import as_utc
from postflow.errors import Conflict, NotFound
from postflow.store.sqlite_lane import Work
from postflow.webhooks.records import (
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

ModelT = TypeVar("ModelT", bound=BaseModel)
ResultT = TypeVar("ResultT")

_INSERT_DELIVERY = (
    "INSERT INTO webhook_deliveries (id, org_id, event_id, endpoint_id, status, next_attempt_at,"
    " created_at, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _ts(moment: datetime) -> str:
    """The store's column text for an instant (sqlite.py's ``_ts``): UTC, fixed width."""
    return as_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _ts_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else _ts(moment)


def _delivery_row(delivery: WebhookDelivery) -> tuple[object, ...]:
    return (delivery.id, delivery.org_id, delivery.event_id, delivery.endpoint_id,
            delivery.status.value, _ts_or_none(delivery.next_attempt_at),
            _ts(delivery.created_at), delivery.version, delivery.model_dump_json())


class SqliteWebhookRecords:
    """:class:`~postflow.store.records.webhooks.WebhookRecords` on the store's lanes."""

    if TYPE_CHECKING:
        async def _call(self, work: Callable[[sqlite3.Connection], ResultT], *,
                        writes: bool = True) -> ResultT: ...

        async def _write(self, sql: str, params: tuple[object, ...] = (),
                         conflict: str = "") -> int: ...

        async def _docs(self, model: type[ModelT], sql: str,
                        params: tuple[object, ...] = ()) -> list[ModelT]: ...

        async def _doc(self, model: type[ModelT], sql: str, params: tuple[object, ...],
                       missing: str) -> ModelT: ...

        async def _replace_versioned(self, table: str, columns: str,
                                     values: tuple[object, ...], org_id: str, record_id: str,
                                     expected_version: int, what: str,
                                     also: Work | None = None) -> None: ...

    # -- endpoints ---------------------------------------------------------------------------
    async def insert_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        await self._write(
            "INSERT INTO webhook_endpoints (id, org_id, created_at, doc) VALUES (?, ?, ?, ?)",
            (endpoint.id, endpoint.org_id, _ts(endpoint.created_at),
             endpoint.model_dump_json()), "That webhook endpoint already exists.")

    async def get_webhook_endpoint(self, org_id: str, endpoint_id: str) -> WebhookEndpoint:
        return await self._doc(
            WebhookEndpoint, "SELECT doc FROM webhook_endpoints WHERE org_id = ? AND id = ?",
            (org_id, endpoint_id), "No such webhook endpoint.")

    async def list_webhook_endpoints(self, org_id: str) -> list[WebhookEndpoint]:
        return await self._docs(
            WebhookEndpoint, "SELECT doc FROM webhook_endpoints WHERE org_id = ?"
            " ORDER BY created_at, id", (org_id,))

    async def update_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None:
        if not await self._write(
                "UPDATE webhook_endpoints SET doc = ? WHERE org_id = ? AND id = ?",
                (endpoint.model_dump_json(), endpoint.org_id, endpoint.id)):
            raise NotFound("No such webhook endpoint.")

    async def delete_webhook_endpoint(self, org_id: str, endpoint_id: str) -> None:
        if not await self._write("DELETE FROM webhook_endpoints WHERE org_id = ? AND id = ?",
                                 (org_id, endpoint_id)):
            raise NotFound("No such webhook endpoint.")

    # -- events and deliveries ---------------------------------------------------------------
    async def insert_webhook_event(self, event: WebhookEvent,
                                   deliveries: list[WebhookDelivery]) -> None:
        event_row = (event.id, event.org_id, _ts(event.created_at), event.model_dump_json())
        rows = [_delivery_row(d) for d in deliveries]

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute("INSERT INTO webhook_events (id, org_id, created_at, doc)"
                             " VALUES (?, ?, ?, ?)", event_row)
                conn.executemany(_INSERT_DELIVERY, rows)
            except sqlite3.IntegrityError as err:
                raise Conflict("That webhook event already exists.") from err

        await self._call(insert)

    async def get_webhook_event(self, org_id: str, event_id: str) -> WebhookEvent:
        return await self._doc(
            WebhookEvent, "SELECT doc FROM webhook_events WHERE org_id = ? AND id = ?",
            (org_id, event_id), "No such webhook event.")

    async def insert_webhook_deliveries(self, deliveries: list[WebhookDelivery]) -> None:
        rows = [_delivery_row(d) for d in deliveries]

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.executemany(_INSERT_DELIVERY, rows)
            except sqlite3.IntegrityError as err:
                raise Conflict("That webhook delivery already exists.") from err

        await self._call(insert)

    async def get_webhook_delivery(self, org_id: str, delivery_id: str) -> WebhookDelivery:
        return await self._doc(
            WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE org_id = ? AND id = ?",
            (org_id, delivery_id), "No such webhook delivery.")

    def _delivery_values(self, delivery: WebhookDelivery) -> tuple[object, ...]:
        return (delivery.status.value, _ts_or_none(delivery.next_attempt_at), delivery.version,
                delivery.model_dump_json())

    async def replace_webhook_delivery(self, delivery: WebhookDelivery,
                                       expected_version: int) -> None:
        await self._replace_versioned(
            "webhook_deliveries", "status, next_attempt_at, version, doc",
            self._delivery_values(delivery), delivery.org_id, delivery.id, expected_version,
            "webhook delivery")

    async def record_webhook_attempt(self, attempt: DeliveryAttempt, delivery: WebhookDelivery,
                                     expected_version: int) -> None:
        row = (attempt.id, attempt.org_id, attempt.delivery_id, _ts(attempt.at),
               attempt.model_dump_json())

        def log_attempt(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO webhook_attempts (id, org_id, delivery_id, at, doc)"
                         " VALUES (?, ?, ?, ?, ?)", row)

        await self._replace_versioned(
            "webhook_deliveries", "status, next_attempt_at, version, doc",
            self._delivery_values(delivery), delivery.org_id, delivery.id, expected_version,
            "webhook delivery", also=log_attempt)

    async def find_due_webhook_deliveries(self, now: datetime,
                                          limit: int) -> list[WebhookDelivery]:
        return await self._docs(
            WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE status = ?"
            " AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?"
            " ORDER BY next_attempt_at, id LIMIT ?",
            (DeliveryStatus.PENDING.value, _ts(now), limit))

    async def list_webhook_deliveries(self, org_id: str, *, endpoint_id: str | None = None,
                                      event_id: str | None = None,
                                      limit: int = 50) -> list[WebhookDelivery]:
        return await self._docs(
            WebhookDelivery, "SELECT doc FROM webhook_deliveries WHERE org_id = ?"
            " AND (? IS NULL OR endpoint_id = ?) AND (? IS NULL OR event_id = ?)"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (org_id, endpoint_id, endpoint_id, event_id, event_id, limit))

    async def list_webhook_attempts(self, org_id: str,
                                    delivery_id: str) -> list[DeliveryAttempt]:
        return await self._docs(
            DeliveryAttempt, "SELECT doc FROM webhook_attempts WHERE org_id = ?"
            " AND delivery_id = ? ORDER BY at, id", (org_id, delivery_id))

    async def purge_webhook_log(self, before: datetime) -> int:
        cutoff = _ts(before)

        def purge(conn: sqlite3.Connection) -> int:
            removed = conn.execute("DELETE FROM webhook_attempts WHERE at < ?",
                                   (cutoff,)).rowcount
            removed += conn.execute("DELETE FROM webhook_deliveries WHERE created_at < ?",
                                    (cutoff,)).rowcount
            removed += conn.execute("DELETE FROM webhook_events WHERE created_at < ?",
                                    (cutoff,)).rowcount
            return int(removed)

        return await self._call(purge)
