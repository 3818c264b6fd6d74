"""Outbound webhook endpoints: the closed list of events, safe URLs, the secret shown once."""

from __future__ import annotations

import dataclasses

import pytest

from postflow.errors import BadInput, NotFound
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization
from postflow.usecases.webhook_endpoints import (
    add_webhook_endpoint,
    check_endpoint_url,
    get_webhook_endpoint,
    remove_webhook_endpoint,
    set_webhook_endpoint_disabled,
)
from postflow.webhooks.event_types import EVENT_TYPES, WebhookEventType


async def test_an_endpoint_shows_its_secret_once_and_keeps_it_sealed(
        wrt: Runtime, org: Organization) -> None:
    created = await add_webhook_endpoint(wrt, org.id, "https://example.com/in",
                                         ["post.failed", "post.published", "post.failed"],
                                         actor="cli")

    stored = await wrt.store.get_webhook_endpoint(org.id, created.endpoint.id)
    assert created.secret.startswith("whsec_") and created.secret not in stored.sealed_secret
    assert wrt.vault.open(stored.sealed_secret) == created.secret
    assert stored.events == [WebhookEventType.POST_PUBLISHED, WebhookEventType.POST_FAILED]


async def test_an_unknown_event_is_refused_with_the_list(wrt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput, match=r"post\.deleted") as refused:
        await add_webhook_endpoint(wrt, org.id, "https://example.com/in",
                                   ["post.published", "post.deleted"], actor="cli")

    assert refused.value.details["events"] == list(EVENT_TYPES)


def test_the_event_list_is_the_issues_eight() -> None:
    assert [e.value for e in EVENT_TYPES] == [
        "post.scheduled", "post.published", "post.failed", "post.partial", "review.requested",
        "review.decided", "connection.expiring", "connection.broken"]


@pytest.mark.parametrize("url", [
    "http://example.com/in", "https://127.0.0.1/in", "https://10.0.0.8/in",
    "https://[::1]/in", "https://169.254.169.254/latest", "https://localhost/in",
    "https://user:pw@example.com/in", "ftp://example.com/in", "not a url"])
def test_unsafe_urls_are_refused_without_private_hosts_allowed(url: str) -> None:
    with pytest.raises(BadInput):
        check_endpoint_url(url, allow_private_hosts=False)


def test_loopback_over_http_is_allowed_for_development() -> None:
    assert check_endpoint_url("http://127.0.0.1:9000/in", allow_private_hosts=True)


async def test_another_organizations_endpoint_is_not_found(wrt: Runtime,
                                                           org: Organization) -> None:
    created = await add_webhook_endpoint(wrt, org.id, "https://example.com/in",
                                         ["post.published"], actor="cli")
    other = await create_organization(wrt, "Other", actor="cli")

    for attempt in (get_webhook_endpoint(wrt, other.id, created.endpoint.id),
                    remove_webhook_endpoint(wrt, other.id, created.endpoint.id, actor="cli"),
                    set_webhook_endpoint_disabled(wrt, other.id, created.endpoint.id, True,
                                                  actor="cli")):
        with pytest.raises(NotFound):
            await attempt


async def test_enabling_again_starts_the_failure_streak_over(wrt: Runtime,
                                                             org: Organization) -> None:
    created = await add_webhook_endpoint(wrt, org.id, "https://example.com/in",
                                         ["post.published"], actor="cli")
    failing = created.endpoint.model_copy(update={"disabled": True,
                                                  "failing_since": wrt.clock.now()})
    await wrt.store.update_webhook_endpoint(failing)

    enabled = await set_webhook_endpoint_disabled(wrt, org.id, failing.id, False, actor="cli")

    assert not enabled.disabled and enabled.failing_since is None
    [event] = [e for e in await wrt.store.list_audit(org.id, subject_id=failing.id)
               if e.action == "webhook.enabled"]
    assert event.actor == "cli"


async def test_private_hosts_are_refused_by_default(rt: Runtime, org: Organization) -> None:
    strict = dataclasses.replace(rt, settings=rt.settings.model_copy(
        update={"allow_private_hosts": False}))

    with pytest.raises(BadInput, match="not a public"):
        await add_webhook_endpoint(strict, org.id, "https://192.168.1.20/in",
                                   ["post.published"], actor="cli")
