"""A verified Stripe event read into the record PostFlow keeps (postflow/billing/events.py):
its id, type and what it names (organization, subscription, customer). Only hints: the job reads
the subscription from Stripe before applying anything."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.stripe.objects import ORG_METADATA_KEY, invoice_subscription, moment, ref
from postflow.billing.events import BillingEvent


def billing_event(event: dict[str, Any], received_at: datetime) -> BillingEvent:
    """The record of a verified event (``stripe.Event.to_dict()``)."""
    obj: dict[str, Any] = (event.get("data") or {}).get("object") or {}
    kind = str(obj.get("object") or "")
    subscription_id: str | None = None
    org_hint: str | None = None
    if kind == "subscription":
        subscription_id = ref(obj.get("id"))
        org_hint = (obj.get("metadata") or {}).get(ORG_METADATA_KEY)
    elif kind == "checkout.session":
        subscription_id = ref(obj.get("subscription"))
        org_hint = obj.get("client_reference_id") or \
            (obj.get("metadata") or {}).get(ORG_METADATA_KEY)
    elif kind == "invoice":
        subscription_id = invoice_subscription(obj)
        details = (obj.get("parent") or {}).get("subscription_details") or {}
        org_hint = (details.get("metadata") or {}).get(ORG_METADATA_KEY)
    return BillingEvent(id=str(event["id"]), type=str(event.get("type") or ""),
                        created=moment(event.get("created")) or received_at,
                        received_at=received_at, org_hint=org_hint or None,
                        subscription_id=subscription_id, customer_id=ref(obj.get("customer")))
