"""Stripe's JSON read into the billing port's plain data, in one place.

Works with API versions before and after 2025-03-31 ("basil"): the period end moved from the
subscription to its items, and an invoice's subscription under ``parent.subscription_details``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from postflow.billing.gateway import Invoice, Price, Subscription, SubscriptionItem
from postflow.billing.state import SubscriptionStatus

#: The metadata key PostFlow's checkout sets on the subscription.
ORG_METADATA_KEY = "postflow_org_id"


def moment(value: Any) -> datetime | None:
    """A Unix timestamp as an aware UTC datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def ref(value: Any) -> str | None:
    """An id, whether Stripe sent it bare or expanded as an object."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def subscription(data: dict[str, Any]) -> Subscription:
    items_data = (data.get("items") or {}).get("data") or []
    items = tuple(SubscriptionItem(id=str(item["id"]), price_id=ref(item.get("price")) or "",
                                   quantity=int(item.get("quantity") or 0))
                  for item in items_data)
    period_ends = [end for item in items_data
                   if (end := moment(item.get("current_period_end"))) is not None]
    period_end = moment(data.get("current_period_end")) or (max(period_ends)
                                                            if period_ends else None)
    metadata = data.get("metadata") or {}
    try:
        status = SubscriptionStatus(str(data.get("status")))
    except ValueError:
        status = SubscriptionStatus.INCOMPLETE  # a status Stripe added since: not paid
    return Subscription(
        id=str(data["id"]), customer_id=ref(data.get("customer")) or "", status=status,
        items=items, org_id=metadata.get(ORG_METADATA_KEY) or None,
        trial_end=moment(data.get("trial_end")), current_period_end=period_end,
        cancel_at_period_end=bool(data.get("cancel_at_period_end")))


def invoice(data: dict[str, Any]) -> Invoice:
    return Invoice(id=str(data["id"]), number=data.get("number"),
                   amount=int(data.get("total") or data.get("amount_due") or 0),
                   currency=str(data.get("currency") or ""), status=str(data.get("status") or ""),
                   hosted_url=data.get("hosted_invoice_url"),
                   created=moment(data.get("created")) or datetime.fromtimestamp(0, tz=UTC))


def price(data: dict[str, Any]) -> Price:
    recurring = data.get("recurring") or {}
    amount = data.get("unit_amount")
    return Price(id=str(data["id"]), unit_amount=amount if isinstance(amount, int) else None,
                 currency=str(data.get("currency") or ""), interval=recurring.get("interval"))


def invoice_subscription(data: dict[str, Any]) -> str | None:
    """An invoice's subscription: ``subscription`` (older versions) or
    ``parent.subscription_details.subscription``."""
    details = ((data.get("parent") or {}).get("subscription_details") or {})
    return ref(data.get("subscription")) or ref(details.get("subscription"))
