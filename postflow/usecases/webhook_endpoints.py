"""Outbound webhook endpoints of an organization: adding (the secret shown once), listing,
disabling, enabling and removing them, and reading their delivery log.

These are the calls the CLI makes today and the ``/v1`` routes make later.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from postflow.errors import BadInput, NotFound
from postflow.ids import new_id
from postflow.media import shown_url
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.webhooks.event_types import parse_event_types
from postflow.webhooks.records import DeliveryAttempt, WebhookDelivery, WebhookEndpoint

MAX_URL_LENGTH = 2000
#: Endpoints an organization may have.
MAX_ENDPOINTS = 16
#: Deliveries a log read returns at most.
MAX_LOG_ROWS = 200


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    #: Shown once, when the endpoint is added; PostFlow keeps it sealed.
    secret: str


@dataclass(frozen=True)
class LoggedDelivery:
    delivery: WebhookDelivery
    attempts: list[DeliveryAttempt]


def check_endpoint_url(url: str, *, allow_private_hosts: bool) -> str:
    """``url`` if PostFlow may send to it: https (http only with private hosts allowed, for
    development), a host, no user or password, not an IP literal of a private network. A host
    name is checked again when each delivery connects (docs/webhooks.md, Security)."""
    url = url.strip()
    shown = shown_url(url)
    if len(url) > MAX_URL_LENGTH:
        raise BadInput(f"A webhook URL is at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise BadInput(f"{shown} is not a URL.", details={"url": shown}) from None
    schemes = ("https", "http") if allow_private_hosts else ("https",)
    if parts.scheme not in schemes or not host:
        raise BadInput(f"A webhook URL must start with https:// ({shown}).",
                       details={"url": shown, "reason": "scheme"})
    if parts.username or parts.password:
        raise BadInput(f"A webhook URL may not carry a user name or password ({shown}).",
                       details={"url": shown, "reason": "credentials"})
    if not allow_private_hosts:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is not None and not address.is_global:
            raise BadInput(f"PostFlow does not send webhooks to {shown}: it is not a public "
                           "internet address.", details={"url": shown,
                                                         "reason": "address_not_public"})
        if host.lower() == "localhost" or host.lower().endswith(".localhost"):
            raise BadInput(f"PostFlow does not send webhooks to {shown}: it is not a public "
                           "internet address.", details={"url": shown,
                                                         "reason": "address_not_public"})
    return url


async def add_webhook_endpoint(rt: Runtime, org_id: str, url: str, events: Iterable[str], *,
                               actor: str) -> CreatedEndpoint:
    """Add an endpoint for ``events`` (names of the closed list); its secret is returned once."""
    await rt.store.get_organization(org_id)
    checked = check_endpoint_url(url, allow_private_hosts=rt.settings.allow_private_hosts)
    wanted = parse_event_types(events)
    if len(await rt.store.list_webhook_endpoints(org_id)) >= MAX_ENDPOINTS:
        raise BadInput(f"An organization has at most {MAX_ENDPOINTS} webhook endpoints; remove "
                       "one first.", details={"max_endpoints": MAX_ENDPOINTS})
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(id=new_id("we"), org_id=org_id, url=checked, events=wanted,
                               sealed_secret=rt.vault.seal(secret), created_at=rt.clock.now())
    await rt.store.insert_webhook_endpoint(endpoint)
    await record(rt, org_id, actor, "webhook.added", endpoint.id, url=shown_url(checked),
                 events=",".join(wanted))
    return CreatedEndpoint(endpoint=endpoint, secret=secret)


async def list_webhook_endpoints(rt: Runtime, org_id: str) -> list[WebhookEndpoint]:
    return await rt.store.list_webhook_endpoints(org_id)


async def get_webhook_endpoint(rt: Runtime, org_id: str, endpoint_id: str) -> WebhookEndpoint:
    """Another organization's endpoint is NotFound, as one that does not exist."""
    try:
        return await rt.store.get_webhook_endpoint(org_id, endpoint_id)
    except NotFound:
        raise NotFound(f"No webhook endpoint {endpoint_id!r} in this organization.") from None


async def set_webhook_endpoint_disabled(rt: Runtime, org_id: str, endpoint_id: str,
                                        disabled: bool, *, actor: str) -> WebhookEndpoint:
    """Disable an endpoint (nothing is sent to it; pending deliveries give up) or enable it
    again (its failure streak starts over; events missed meanwhile can be replayed)."""
    endpoint = await get_webhook_endpoint(rt, org_id, endpoint_id)
    changed = endpoint.model_copy(update={
        "disabled": disabled, "disabled_reason": f"disabled by {actor}" if disabled else "",
        "failing_since": None if not disabled else endpoint.failing_since})
    if changed != endpoint:
        await rt.store.update_webhook_endpoint(changed)
        await record(rt, org_id, actor, "webhook.disabled" if disabled else "webhook.enabled",
                     endpoint.id)
    return changed


async def remove_webhook_endpoint(rt: Runtime, org_id: str, endpoint_id: str, *,
                                  actor: str) -> WebhookEndpoint:
    """Remove an endpoint and its secret; its delivery log stays until purged."""
    endpoint = await get_webhook_endpoint(rt, org_id, endpoint_id)
    await rt.store.delete_webhook_endpoint(org_id, endpoint_id)
    await record(rt, org_id, actor, "webhook.removed", endpoint.id, url=shown_url(endpoint.url))
    return endpoint


async def webhook_delivery_log(rt: Runtime, org_id: str, *, endpoint_id: str | None = None,
                               event_id: str | None = None,
                               limit: int = 50) -> list[LoggedDelivery]:
    """The latest deliveries (newest first), each with its attempts (oldest first)."""
    if endpoint_id is not None:
        await get_webhook_endpoint(rt, org_id, endpoint_id)
    limit = max(1, min(limit, MAX_LOG_ROWS))
    deliveries = await rt.store.list_webhook_deliveries(org_id, endpoint_id=endpoint_id,
                                                        event_id=event_id, limit=limit)
    return [LoggedDelivery(d, await rt.store.list_webhook_attempts(org_id, d.id))
            for d in deliveries]
