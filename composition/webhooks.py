"""Outbound webhooks' parts for a process: the notice sink that records events, the queue its
deliveries go to, and the sender workers POST them with."""

from __future__ import annotations

from integrations.webhooks.sender import SafeWebhookSender
from postflow.clock import Clock
from postflow.config import Settings
from postflow.store.port import Store
from postflow.usecases.webhook_events import WebhookEmitter, WebhookNoticeSink
from postflow.webhooks.sending import SweptLater, WebhookQueue, WebhookSender
from workers.broker import BrokerNotConfigured, configured_broker


def webhook_queue(settings: Settings) -> WebhookQueue:
    """The ``webhooks`` Dramatiq queue when this process configured its broker for
    ``settings`` (hub, worker, scheduler, ``postflow up``), else none: a one-off CLI command
    records its deliveries and the scheduler's sweep sends them."""
    try:
        configured = configured_broker()
    except BrokerNotConfigured:
        return SweptLater()
    if configured.settings != settings:
        return SweptLater()
    from workers.webhook_actors import DramatiqWebhookQueue  # declares its actor on that broker

    return DramatiqWebhookQueue()


def webhook_sink(settings: Settings, store: Store, clock: Clock) -> WebhookNoticeSink:
    return WebhookNoticeSink(WebhookEmitter(store, clock, webhook_queue(settings)))


def open_webhook_sender(settings: Settings) -> WebhookSender:
    return SafeWebhookSender(allow_private_hosts=settings.allow_private_hosts)
