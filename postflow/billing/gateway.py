"""The port to the payment provider: exactly what the billing page and the billing jobs need
from Stripe, as plain data. ``integrations/stripe/`` implements it; no Stripe object crosses it.

Every method raises :class:`~postflow.errors.BillingUnavailable` when Stripe cannot be reached or
refuses the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from postflow.billing.state import SubscriptionStatus


@dataclass(frozen=True)
class SubscriptionItem:
    id: str
    price_id: str
    quantity: int


@dataclass(frozen=True)
class Subscription:
    """A subscription as Stripe has it now."""

    id: str
    customer_id: str
    status: SubscriptionStatus
    items: tuple[SubscriptionItem, ...]
    #: ``metadata.postflow_org_id``: set by PostFlow's checkout.
    org_id: str | None
    trial_end: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool

    def item_for(self, price_ids: list[str] | tuple[str, ...]) -> SubscriptionItem | None:
        return next((item for item in self.items if item.price_id in price_ids), None)


@dataclass(frozen=True)
class CheckoutRequest:
    org_id: str
    price_id: str
    success_url: str
    cancel_url: str
    #: The organization's Stripe customer once it has one (reused, never a second one).
    customer_id: str | None = None
    trial_days: int = 0


@dataclass(frozen=True)
class Invoice:
    id: str
    number: str | None
    #: In the currency's smallest unit (cents).
    amount: int
    currency: str
    status: str
    hosted_url: str | None
    created: datetime


@dataclass(frozen=True)
class Price:
    id: str
    #: In the currency's smallest unit; None for prices not per unit (tiers).
    unit_amount: int | None
    currency: str
    #: ``month``, ``year``...; None for a one-time price.
    interval: str | None


class BillingGateway(Protocol):
    async def create_checkout_session(self, request: CheckoutRequest) -> str:
        """A Checkout session (mode subscription) for ``request``; its URL."""
        ...

    async def create_portal_session(self, customer_id: str, return_url: str) -> str:
        """A Customer Portal session (cards, invoices, tax ids, cancelling); its URL."""
        ...

    async def retrieve_subscription(self, subscription_id: str) -> Subscription | None:
        """The subscription as it is now; None when Stripe has no such subscription."""
        ...

    async def change_price(self, subscription_id: str, item_id: str,
                           price_id: str) -> Subscription:
        """Move the item to ``price_id`` (Stripe prorates)."""
        ...

    async def set_cancel_at_period_end(self, subscription_id: str,
                                       cancel: bool) -> Subscription:
        """Cancel at the period's end (``cancel``), or undo that."""
        ...

    async def list_invoices(self, customer_id: str, limit: int) -> list[Invoice]:
        """The customer's most recent invoices, newest first."""
        ...

    async def retrieve_prices(self, price_ids: list[str]) -> list[Price]:
        """The prices of ``price_ids`` (unknown ones are left out)."""
        ...

    async def set_addon_quantity(self, subscription: Subscription, price_id: str,
                                 quantity: int) -> Subscription:
        """Make the subscription's ``price_id`` item have ``quantity`` (added when missing,
        removed at 0)."""
        ...

    async def close(self) -> None:
        """Release its connections (the process is done with it)."""
        ...
