"""``POST /ses/notifications``: Amazon SNS delivers SES's bounce and complaint reports here.

Served only when ``POSTFLOW_SES_SNS_TOPIC_ARN`` is set. Each message must name that topic (else
403), carry a valid SNS signature made with a certificate from an SNS host (else 403), and
then: a SubscriptionConfirmation is confirmed (its SubscribeURL fetched, SNS hosts only); a
Notification of a permanent bounce or a complaint stops mail to the addresses it names.
Nothing in a message is believed before its signature is checked.
"""

from __future__ import annotations

import logging

from aiohttp import web

from hub.errors import HubError
from hub.request_body import read_body
from hub.routes import RUNTIME
from integrations.email.sns import SnsRefused, SnsVerifier, parse_sns_message, ses_feedback
from postflow.email.message import SuppressionReason
from postflow.mailing.bounces import suppress_addresses

log = logging.getLogger(__name__)

PATH = "/ses/notifications"
SNS_VERIFIER = web.AppKey("sns_verifier", SnsVerifier)
#: SNS messages are small (SES's are a few KB).
MAX_BODY_BYTES = 256 * 1024


def add_routes(app: web.Application) -> None:
    settings = app[RUNTIME].settings
    if not settings.ses_sns_topic_arn:
        return
    app[SNS_VERIFIER] = SnsVerifier(test_url_prefix=settings.ses_sns_test_url_prefix)
    app.router.add_post(PATH, ses_notification)


async def ses_notification(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    verifier = request.app[SNS_VERIFIER]
    body = await read_body(request, MAX_BODY_BYTES, rt.settings.http_body_timeout_seconds)
    try:
        message = parse_sns_message(body)
    except SnsRefused as refused:
        raise HubError(400, "not_an_sns_message", "The body is not an Amazon SNS message.",
                       details={"reason": refused.reason}) from None
    if message.topic_arn != rt.settings.ses_sns_topic_arn:
        log.warning("refused an SNS message for another topic")
        raise HubError(403, "wrong_topic", "This endpoint takes messages of one SNS topic.")
    try:
        await verifier.verify(message)
        if message.type == "SubscriptionConfirmation":
            await verifier.confirm_subscription(message)
            log.info("confirmed the SNS subscription to %s", message.topic_arn)
            return web.json_response({"confirmed": True})
    except SnsRefused as refused:
        log.warning("refused an SNS message: %s", refused.reason)
        raise HubError(403, "sns_refused", "The SNS message could not be verified.",
                       details={"reason": refused.reason}) from None
    if message.type != "Notification":
        return web.json_response({"suppressed": 0})
    kind, addresses, detail = ses_feedback(message.message)
    reason = {"bounce": SuppressionReason.BOUNCE,
              "complaint": SuppressionReason.COMPLAINT}.get(kind)
    suppressed = 0
    if reason is not None:
        suppressed = await suppress_addresses(rt.store, rt.clock, addresses, reason, detail)
    return web.json_response({"suppressed": suppressed})
