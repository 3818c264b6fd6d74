"""The billing port on Stripe's API (stripe-python's ``StripeClient``, async calls).

Every Stripe failure becomes :class:`~postflow.errors.BillingUnavailable` with a plain message
(never the key); a subscription Stripe does not have is None. The HTTP client (aiohttp) belongs
to the event loop it first ran on: build one gateway per loop and close it there.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe

from integrations.stripe import objects
from postflow.billing.gateway import CheckoutRequest, Invoice, Price, Subscription
from postflow.errors import BillingUnavailable

log = logging.getLogger(__name__)

#: The subscription's items with their prices, in one read.
_EXPAND = {"expand": ["items.data.price"]}
STRIPE_TIMEOUT_SECONDS = 30.0


class StripeBillingGateway:
    def __init__(self, secret_key: str, api_url: str) -> None:
        # Async-only, on aiohttp (a dependency already); its session opens on the first call,
        # on the loop that makes it.
        self._http = stripe.AIOHTTPClient(timeout=STRIPE_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(secret_key, base_addresses={"api": api_url},
                                           http_client=self._http, max_network_retries=2)

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_checkout_session(self, request: CheckoutRequest) -> str:
        subscription_data: dict[str, Any] = {
            "metadata": {objects.ORG_METADATA_KEY: request.org_id}}
        if request.trial_days:
            subscription_data["trial_period_days"] = request.trial_days
        params: dict[str, Any] = {
            "mode": "subscription", "client_reference_id": request.org_id,
            "line_items": [{"price": request.price_id, "quantity": 1}],
            "success_url": request.success_url, "cancel_url": request.cancel_url,
            "subscription_data": subscription_data,
            "metadata": {objects.ORG_METADATA_KEY: request.org_id}}
        if request.customer_id:
            params["customer"] = request.customer_id
        session = await self._call("create a checkout session",
                                   self._client.v1.checkout.sessions.create_async(
                                       params=params))  # type: ignore[arg-type]
        return str(session.url)

    async def create_portal_session(self, customer_id: str, return_url: str) -> str:
        session = await self._call("open the billing portal",
                                   self._client.v1.billing_portal.sessions.create_async(
                                       params={"customer": customer_id,
                                               "return_url": return_url}))
        return str(session.url)

    async def retrieve_subscription(self, subscription_id: str) -> Subscription | None:
        try:
            found = await self._client.v1.subscriptions.retrieve_async(
                subscription_id, params=_EXPAND)  # type: ignore[arg-type]
        except stripe.InvalidRequestError as err:
            if err.http_status == 404:
                return None
            raise _unavailable("read the subscription", err) from None
        except stripe.StripeError as err:
            raise _unavailable("read the subscription", err) from None
        return objects.subscription(found.to_dict())

    async def change_price(self, subscription_id: str, item_id: str,
                           price_id: str) -> Subscription:
        changed = await self._call("change the plan", self._client.v1.subscriptions.update_async(
            subscription_id, params={  # type: ignore[arg-type]
                "items": [{"id": item_id, "price": price_id}],
                "proration_behavior": "create_prorations", **_EXPAND}))
        return objects.subscription(changed.to_dict())

    async def set_cancel_at_period_end(self, subscription_id: str,
                                       cancel: bool) -> Subscription:
        changed = await self._call("change the cancellation",
                                   self._client.v1.subscriptions.update_async(
                                       subscription_id, params={  # type: ignore[arg-type]
                                           "cancel_at_period_end": cancel, **_EXPAND}))
        return objects.subscription(changed.to_dict())

    async def list_invoices(self, customer_id: str, limit: int) -> list[Invoice]:
        found = await self._call("list invoices", self._client.v1.invoices.list_async(
            params={"customer": customer_id, "limit": limit}))
        return [objects.invoice(item.to_dict()) for item in found.data]

    async def retrieve_prices(self, price_ids: list[str]) -> list[Price]:
        prices = []
        for price_id in price_ids:
            try:
                found = await self._client.v1.prices.retrieve_async(price_id)
            except stripe.InvalidRequestError as err:
                if err.http_status == 404:
                    log.warning("Stripe has no price %s (named in the plans file)", price_id)
                    continue
                raise _unavailable("read prices", err) from None
            except stripe.StripeError as err:
                raise _unavailable("read prices", err) from None
            prices.append(objects.price(found.to_dict()))
        return prices

    async def set_addon_quantity(self, subscription: Subscription, price_id: str,
                                 quantity: int) -> Subscription:
        items = self._client.v1.subscription_items
        item = subscription.item_for([price_id])
        what = "change the extra accounts"
        if item is None and quantity > 0:
            await self._call(what, items.create_async(params={
                "subscription": subscription.id, "price": price_id, "quantity": quantity}))
        elif item is not None and quantity > 0:
            await self._call(what, items.update_async(item.id, params={"quantity": quantity}))
        elif item is not None:
            await self._call(what, items.delete_async(item.id))
        found = await self.retrieve_subscription(subscription.id)
        if found is None:
            raise BillingUnavailable("Stripe no longer has the subscription.")
        return found

    async def _call(self, what: str, request: Any) -> Any:
        try:
            return await request
        except stripe.StripeError as err:
            raise _unavailable(what, err) from None


def _unavailable(what: str, err: stripe.StripeError) -> BillingUnavailable:
    log.warning("Stripe refused or could not be reached to %s: %s (status %s)", what,
                type(err).__name__, err.http_status)
    return BillingUnavailable(f"Stripe could not {what} just now; try again in a moment.",
                              details={"stripe_error": type(err).__name__})
