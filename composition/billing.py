"""Where a process sends recorded Stripe events: the ``billing`` Dramatiq queue when this
process configured its broker for these settings (hub, scheduler, ``postflow up``), else
nowhere (a one-off CLI command: the scheduler's sweep hands them out)."""

from __future__ import annotations

from postflow.config import Settings
from postflow.usecases.billing.event_intake import BillingEventQueue
from workers.broker import BrokerNotConfigured, configured_broker


def billing_event_queue(settings: Settings) -> BillingEventQueue | None:
    try:
        configured = configured_broker()
    except BrokerNotConfigured:
        return None
    if configured.settings != settings:
        return None
    from workers.billing_actors import DramatiqBillingQueue  # declares its actor on that broker

    return DramatiqBillingQueue()
