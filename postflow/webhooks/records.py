"""What the store keeps of outbound webhooks: endpoints, events, deliveries and attempts.

An event is recorded once, with the exact JSON body every endpoint is sent (so a retry or a
replay sends the same bytes); a delivery is one event to one endpoint, retried until a 2xx or
for 24 hours; each try is an attempt, kept in the log with the answer's first kilobyte.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime
from postflow.webhooks.event_types import WebhookEventType


class WebhookEndpoint(BaseModel):
    id: str
    org_id: str
    url: str
    events: list[WebhookEventType]
    #: The signing secret, sealed by the token vault (HMAC needs the secret itself).
    sealed_secret: str
    disabled: bool = False
    #: Why it was disabled: by a person, or by PostFlow after failing for a day.
    disabled_reason: str = ""
    #: The first failed attempt since the last delivered one; None while it answers.
    failing_since: UtcDatetime | None = None
    created_at: UtcDatetime

    def subscribes(self, event_type: WebhookEventType) -> bool:
        return not self.disabled and event_type in self.events


class WebhookEvent(BaseModel):
    id: str
    org_id: str
    type: WebhookEventType
    created_at: UtcDatetime
    #: The JSON body sent to every endpoint, as sent.
    body: str


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    #: Given up: 24 hours of failures, or the endpoint was disabled or removed.
    FAILED = "failed"


class WebhookDelivery(BaseModel):
    id: str
    org_id: str
    event_id: str
    event_type: WebhookEventType
    endpoint_id: str
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    #: When the sweep hands it to a worker again (a retry, or a lost message's fallback).
    next_attempt_at: UtcDatetime | None = None
    last_status_code: int | None = None
    last_error: str = ""
    #: Sent again by a person (``webhook replay``), not by the event itself.
    replay: bool = False
    created_at: UtcDatetime
    updated_at: UtcDatetime
    delivered_at: UtcDatetime | None = None
    #: Bumped by every write; a queue message names the version it was sent for.
    version: int = 1


class DeliveryAttempt(BaseModel):
    id: str
    org_id: str
    delivery_id: str
    event_id: str
    endpoint_id: str
    #: 1 for the first try of the delivery.
    number: int
    at: UtcDatetime
    #: The HTTP status, or None when no answer came (timeout, refused, unreachable).
    status_code: int | None = None
    #: Why it failed without an answer, in plain words; empty otherwise.
    error: str = ""
    #: The first kilobyte of the answer's body.
    answer: str = Field(default="", max_length=4096)
    duration_ms: int = 0
    delivered: bool = False
