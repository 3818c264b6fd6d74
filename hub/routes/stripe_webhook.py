"""``POST /stripe/webhook``: Stripe's events, verified on the raw body and recorded before the
2xx; the ``billing`` job applies them (postflow/billing/event_intake.py).

A missing or wrong signature, or a timestamp outside the tolerance, is a 400 and nothing is
recorded. A repeated event id is answered 200 (Stripe stops resending) and changes nothing.
Served only when ``POSTFLOW_STRIPE_WEBHOOK_SECRET`` is set (composition/hub.py).
"""

from __future__ import annotations

import logging
from functools import partial

import stripe
from aiohttp import web
from pydantic import SecretStr

from hub.errors import HubError
from hub.request_body import read_body
from hub.routes import RUNTIME
from integrations.stripe.webhook_events import billing_event
from postflow.usecases.billing.event_intake import BillingEventQueue, receive_event

log = logging.getLogger(__name__)

PATH = "/stripe/webhook"
SIGNATURE_HEADER = "Stripe-Signature"


def add_routes(app: web.Application, queue: BillingEventQueue | None,
               webhook_secret: SecretStr) -> None:
    app.router.add_post(PATH, partial(stripe_webhook, queue=queue, secret=webhook_secret))


async def stripe_webhook(request: web.Request, *, queue: BillingEventQueue | None,
                         secret: SecretStr) -> web.Response:
    rt = request.app[RUNTIME]
    body = await read_body(request, rt.settings.webhook_max_body_bytes,
                           rt.settings.http_body_timeout_seconds)
    try:
        event = stripe.Webhook.construct_event(
            body, request.headers.get(SIGNATURE_HEADER, ""), secret.get_secret_value(),
            tolerance=rt.settings.webhook_tolerance_seconds)
    except stripe.SignatureVerificationError:
        log.warning("refused a Stripe webhook: its signature does not verify (or is too old)")
        raise HubError(400, "bad_signature",
                       "The Stripe-Signature header does not verify for this body, or its "
                       "timestamp is outside the tolerance.") from None
    except ValueError:  # signed, but not JSON
        raise HubError(400, "malformed_json", "The request body is not valid JSON.") from None
    try:
        record = billing_event(event.to_dict(), rt.clock.now())
    except (KeyError, TypeError, ValueError):
        raise HubError(400, "malformed_event", "The body is not a Stripe event.") from None
    recorded = await receive_event(rt, record, queue)
    return web.json_response({"received": True, "duplicate": not recorded})
