"""A fake Stripe API on loopback, for ``POSTFLOW_STRIPE_API_URL`` (stripe-python's
``StripeClient`` pointed here), built from Stripe's documented shapes.

Requests are form-encoded with bracketed keys (``line_items[0][price]=...``), rebuilt into nested
values here; every request needs ``Authorization: Bearer <secret key>`` (401 otherwise);
answers are JSON objects with their ``object`` field, lists as ``{"object": "list", "data"}``,
errors as ``{"error": {"type", "code", "message"}}`` (404 ``resource_missing``).

Served: checkout sessions (create), billing portal sessions (create), customers (create,
retrieve), subscriptions (retrieve, update: items' price, ``cancel_at_period_end``; delete:
cancel now), subscription items (create, update quantity, delete), invoices (list by customer),
prices (retrieve; added by the test with :meth:`FakeStripe.add_price`). Subscription items carry
the period (API versions from 2025-03-31 on); invoices name their subscription under
``parent.subscription_details``.

The test plays the customer and Stripe's clock: :meth:`FakeStripe.complete_checkout` (the
customer paid: a customer, a subscription and its first invoice exist, and the events Stripe
sends are emitted; returns the success URL), :meth:`FakeStripe.set_status` (a renewal failed,
the subscription was canceled...). Every change emits the event Stripe would, signed with a
real HMAC-SHA256 of :attr:`FakeStripe.webhook_secret` (``Stripe-Signature: t=...,v1=...``); with
:attr:`FakeStripe.webhook_url` set it is POSTed there at once, and it is always kept in
:attr:`FakeStripe.emitted` for tests that deliver events themselves (in any order).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

SECRET_KEY = "sk_test_fake"
API = "/v1"
PERIOD_SECONDS = 30 * 24 * 3600
#: The request's form (or query) rebuilt into nested values.
FORM: web.RequestKey[dict[str, Any]] = web.RequestKey("form", dict)


def nested_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][0][c]=v`` pairs rebuilt into nested dicts, with all-numeric keys as lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _listify(root)  # type: ignore[no-any-return]


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {key: _listify(item) for key, item in value.items()}
    if items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """``t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>``: Stripe's scheme."""
    ts = int(time.time()) if timestamp is None else timestamp
    signed = f"{ts}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


@dataclass
class Sent:
    """An event the fake emitted: its JSON body and, once POSTed, the hub's status."""

    event: dict[str, Any]
    body: bytes
    status: int | None = None


@dataclass
class FakeStripe:
    secret_key: str = SECRET_KEY
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(16))
    #: Where emitted events are POSTed (the hub's /stripe/webhook); None: kept only.
    webhook_url: str | None = None
    #: Stripe's clock (seconds since the epoch); tests pass their manual clock's.
    now: Callable[[], float] = time.time
    base_url: str = ""
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    checkout_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    portal_sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    emitted: list[Sent] = field(default_factory=list)
    #: (method, path, form or query) of every API request.
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    #: The next N API requests answer 503 (Stripe down).
    fail_next: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # -- the test's side ---------------------------------------------------------------------
    def add_price(self, price_id: str, unit_amount: int, interval: str = "month",
                  currency: str = "usd") -> None:
        self.prices[price_id] = {"id": price_id, "object": "price", "active": True,
                                 "currency": currency, "unit_amount": unit_amount,
                                 "recurring": {"interval": interval, "interval_count": 1},
                                 "type": "recurring"}

    async def complete_checkout(self, session_id: str) -> str:
        """The customer paid: customer, subscription (trialing when the session asked for a
        trial) and first invoice exist, and Stripe's events are emitted; the success URL."""
        session = self.checkout_sessions[session_id]
        params = session["_params"]
        customer_id = params.get("customer") or self._customer(params)
        data = params.get("subscription_data") or {}
        trial_days = int(data.get("trial_period_days") or 0)
        line = params["line_items"][0]
        sub = self._new_subscription(customer_id, line["price"], int(line.get("quantity", 1)),
                                     data.get("metadata") or {}, trial_days)
        session.update({"status": "complete", "customer": customer_id,
                        "subscription": sub["id"], "payment_status": "paid"})
        invoice = self._invoice(sub, 0 if trial_days else self._amount(sub))
        await self.emit("customer.created", self.customers[customer_id])
        await self.emit("customer.subscription.created", sub)
        await self.emit("invoice.paid", invoice)
        await self.emit("checkout.session.completed", self._public(session))
        return str(session["success_url"]).replace("{CHECKOUT_SESSION_ID}", session_id)

    async def set_status(self, sub_id: str, status: str, *, invoice_status: str | None = None,
                         event: str | None = None) -> None:
        """Move a subscription to ``status`` as Stripe would, with its events."""
        sub = self.subscriptions[sub_id]
        sub["status"] = status
        if status == "canceled":
            sub["canceled_at"] = int(self.now())
            sub["ended_at"] = int(self.now())
        if invoice_status is not None:
            invoice = self._invoice(sub, self._amount(sub), status=invoice_status)
            kind = "invoice.payment_failed" if invoice_status == "open" else "invoice.paid"
            await self.emit(kind, invoice)
        kind = event or ("customer.subscription.deleted" if status == "canceled"
                         else "customer.subscription.updated")
        await self.emit(kind, sub)

    def event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        """An event as Stripe builds one (a snapshot of ``obj`` now)."""
        return {"id": f"evt_{self._next()}", "object": "event", "type": kind,
                "api_version": "2026-10-28.endive", "created": int(self.now()),
                "livemode": False, "pending_webhooks": 1,
                "data": {"object": json.loads(json.dumps(obj))}}

    async def emit(self, kind: str, obj: dict[str, Any]) -> Sent:
        """Build, keep and (with a webhook URL) deliver the event."""
        event = self.event(kind, obj)
        sent = Sent(event, json.dumps(event).encode())
        self.emitted.append(sent)
        if self.webhook_url is not None:
            await self.deliver(sent)
        return sent

    async def deliver(self, sent: Sent, *, secret: str | None = None,
                      timestamp: int | None = None) -> int:
        """POST one emitted event to the webhook, signed (by ``secret``, at ``timestamp``)."""
        assert self.webhook_url is not None
        header = signature_header(sent.body, secret or self.webhook_secret, timestamp)
        async with aiohttp.ClientSession() as session, session.post(
                self.webhook_url, data=sent.body,
                headers={"Stripe-Signature": header,
                         "Content-Type": "application/json; charset=utf-8"}) as answer:
            sent.status = answer.status
            return answer.status

    def latest_subscription(self) -> dict[str, Any]:
        return list(self.subscriptions.values())[-1]

    # -- the server --------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        route = app.router
        route.add_post(f"{API}/checkout/sessions", self._create_checkout)
        route.add_post(f"{API}/billing_portal/sessions", self._create_portal)
        route.add_post(f"{API}/customers", self._create_customer)
        route.add_get(f"{API}/customers/{{id}}", self._get_customer)
        route.add_get(f"{API}/subscriptions/{{id}}", self._get_subscription)
        route.add_post(f"{API}/subscriptions/{{id}}", self._update_subscription)
        route.add_delete(f"{API}/subscriptions/{{id}}", self._cancel_subscription)
        route.add_post(f"{API}/subscription_items", self._create_item)
        route.add_post(f"{API}/subscription_items/{{id}}", self._update_item)
        route.add_delete(f"{API}/subscription_items/{{id}}", self._delete_item)
        route.add_get(f"{API}/invoices", self._list_invoices)
        route.add_get(f"{API}/prices/{{id}}", self._get_price)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        form = nested_form(parse_qsl(await request.text(), keep_blank_values=True)) \
            if request.method == "POST" else nested_form(list(request.query.items()))
        request[FORM] = form
        self.requests.append((request.method, request.path, form))
        if request.headers.get("Authorization") != f"Bearer {self.secret_key}":
            return _error(401, "invalid_request_error", None, "Invalid API Key provided.")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(503, "api_error", None, "Stripe is unavailable (fake).")
        return await handler(request)

    async def _create_checkout(self, request: web.Request) -> web.Response:
        params = request[FORM]
        if params.get("mode") != "subscription" or not params.get("line_items"):
            return _error(400, "invalid_request_error", "parameter_missing",
                          "mode=subscription and line_items are required here.")
        price = params["line_items"][0].get("price")
        if price not in self.prices:
            return _missing("price", price)
        if params.get("customer") and params["customer"] not in self.customers:
            return _missing("customer", params["customer"])
        session_id = f"cs_test_{self._next()}"
        self.checkout_sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "mode": "subscription",
            "url": f"{self.base_url}/pay/{session_id}", "status": "open",
            "client_reference_id": params.get("client_reference_id"),
            "customer": params.get("customer"), "subscription": None,
            "metadata": params.get("metadata") or {},
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "_params": params}
        return _json(self._public(self.checkout_sessions[session_id]))

    async def _create_portal(self, request: web.Request) -> web.Response:
        params = request[FORM]
        if params.get("customer") not in self.customers:
            return _missing("customer", params.get("customer"))
        portal_id = f"bps_{self._next()}"
        self.portal_sessions[portal_id] = {
            "id": portal_id, "object": "billing_portal.session", "customer": params["customer"],
            "return_url": params.get("return_url"), "url": f"{self.base_url}/portal/{portal_id}"}
        return _json(self.portal_sessions[portal_id])

    async def _create_customer(self, request: web.Request) -> web.Response:
        return _json(self.customers[self._customer(request[FORM])])

    async def _get_customer(self, request: web.Request) -> web.Response:
        found = self.customers.get(request.match_info["id"])
        return _json(found) if found else _missing("customer", request.match_info["id"])

    async def _get_subscription(self, request: web.Request) -> web.Response:
        found = self.subscriptions.get(request.match_info["id"])
        return _json(found) if found else _missing("subscription", request.match_info["id"])

    async def _update_subscription(self, request: web.Request) -> web.Response:
        sub = self.subscriptions.get(request.match_info["id"])
        if sub is None:
            return _missing("subscription", request.match_info["id"])
        params = request[FORM]
        for change in params.get("items") or []:
            item = self._item(sub, change.get("id"))
            if item is None:
                return _missing("subscription_item", change.get("id"))
            if "price" in change:
                if change["price"] not in self.prices:
                    return _missing("price", change["price"])
                item["price"] = self.prices[change["price"]]
            if "quantity" in change:
                item["quantity"] = int(change["quantity"])
        if "cancel_at_period_end" in params:
            sub["cancel_at_period_end"] = params["cancel_at_period_end"] == "true"
        await self.emit("customer.subscription.updated", sub)
        return _json(sub)

    async def _cancel_subscription(self, request: web.Request) -> web.Response:
        if request.match_info["id"] not in self.subscriptions:
            return _missing("subscription", request.match_info["id"])
        await self.set_status(request.match_info["id"], "canceled")
        return _json(self.subscriptions[request.match_info["id"]])

    async def _create_item(self, request: web.Request) -> web.Response:
        params = request[FORM]
        sub = self.subscriptions.get(params.get("subscription", ""))
        if sub is None:
            return _missing("subscription", params.get("subscription"))
        if params.get("price") not in self.prices:
            return _missing("price", params.get("price"))
        item = self._new_item(sub, params["price"], int(params.get("quantity", 1)))
        sub["items"]["data"].append(item)
        await self.emit("customer.subscription.updated", sub)
        return _json(item)

    async def _update_item(self, request: web.Request) -> web.Response:
        sub, item = self._find_item(request.match_info["id"])
        if sub is None or item is None:
            return _missing("subscription_item", request.match_info["id"])
        if "quantity" in request[FORM]:
            item["quantity"] = int(request[FORM]["quantity"])
        await self.emit("customer.subscription.updated", sub)
        return _json(item)

    async def _delete_item(self, request: web.Request) -> web.Response:
        sub, item = self._find_item(request.match_info["id"])
        if sub is None or item is None:
            return _missing("subscription_item", request.match_info["id"])
        sub["items"]["data"].remove(item)
        await self.emit("customer.subscription.updated", sub)
        return _json({"id": item["id"], "object": "subscription_item", "deleted": True})

    async def _list_invoices(self, request: web.Request) -> web.Response:
        customer = request[FORM].get("customer")
        limit = int(request[FORM].get("limit", 10))
        found = sorted((i for i in self.invoices.values() if i["customer"] == customer),
                       key=lambda i: (i["created"], i["id"]), reverse=True)[:limit]
        return _json({"object": "list", "data": found, "has_more": False,
                      "url": f"{API}/invoices"})

    async def _get_price(self, request: web.Request) -> web.Response:
        found = self.prices.get(request.match_info["id"])
        return _json(found) if found else _missing("price", request.match_info["id"])

    # -- records -----------------------------------------------------------------------------
    def _next(self) -> str:
        return f"{next(self._ids):06d}{secrets.token_hex(3)}"

    def _customer(self, params: dict[str, Any]) -> str:
        customer_id = f"cus_{self._next()}"
        self.customers[customer_id] = {"id": customer_id, "object": "customer",
                                       "email": params.get("email"),
                                       "metadata": params.get("metadata") or {},
                                       "created": int(self.now())}
        return customer_id

    def _new_subscription(self, customer_id: str, price_id: str, quantity: int,
                          metadata: dict[str, Any], trial_days: int) -> dict[str, Any]:
        now = int(self.now())
        trial_end = now + trial_days * 86400 if trial_days else None
        sub: dict[str, Any] = {
            "id": f"sub_{self._next()}", "object": "subscription", "customer": customer_id,
            "status": "trialing" if trial_days else "active", "metadata": dict(metadata),
            "cancel_at_period_end": False, "canceled_at": None, "ended_at": None,
            "created": now, "start_date": now, "trial_start": now if trial_days else None,
            "trial_end": trial_end, "livemode": False,
            "items": {"object": "list", "data": [], "has_more": False, "total_count": 0,
                      "url": "/v1/subscription_items"}}
        sub["items"]["data"].append(self._new_item(sub, price_id, quantity))
        self.subscriptions[sub["id"]] = sub
        return sub

    def _new_item(self, sub: dict[str, Any], price_id: str, quantity: int) -> dict[str, Any]:
        start = sub["trial_end"] or sub["created"]
        return {"id": f"si_{self._next()}", "object": "subscription_item",
                "subscription": sub["id"], "price": self.prices[price_id],
                "quantity": quantity, "current_period_start": sub["created"],
                "current_period_end": start + (0 if sub["trial_end"] else PERIOD_SECONDS)}

    def _invoice(self, sub: dict[str, Any], amount: int,
                 status: str = "paid") -> dict[str, Any]:
        invoice_id = f"in_{self._next()}"
        self.invoices[invoice_id] = {
            "id": invoice_id, "object": "invoice", "customer": sub["customer"],
            "number": f"FAKE-{len(self.invoices) + 1:04d}", "status": status,
            "currency": "usd", "total": amount, "amount_due": amount,
            "amount_paid": amount if status == "paid" else 0, "created": int(self.now()),
            "hosted_invoice_url": f"{self.base_url}/invoices/{invoice_id}",
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": sub["id"], "metadata": dict(sub["metadata"])}}}
        return self.invoices[invoice_id]

    def _amount(self, sub: dict[str, Any]) -> int:
        return sum(int(i["price"].get("unit_amount") or 0) * int(i["quantity"])
                   for i in sub["items"]["data"])

    def _item(self, sub: dict[str, Any], item_id: str | None) -> dict[str, Any] | None:
        return next((i for i in sub["items"]["data"] if i["id"] == item_id), None)

    def _find_item(self, item_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        for sub in self.subscriptions.values():
            item = self._item(sub, item_id)
            if item is not None:
                return sub, item
        return None, None

    @staticmethod
    def _public(record: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in record.items() if not key.startswith("_")}


def _json(body: dict[str, Any]) -> web.Response:
    return web.json_response(body, headers={"Request-Id": f"req_{secrets.token_hex(6)}"})


def _error(status: int, kind: str, code: str | None, message: str) -> web.Response:
    return web.json_response({"error": {"type": kind, "code": code, "message": message}},
                             status=status)


def _missing(kind: str, record_id: object) -> web.Response:
    return _error(404, "invalid_request_error", "resource_missing",
                  f"No such {kind}: '{record_id}'")
