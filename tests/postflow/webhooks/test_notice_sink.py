"""The outbound-webhooks sink: notices become events, and a post scheduled is one."""

from __future__ import annotations

import pytest

from postflow.connections import Connection
from postflow.notices.events import (
    ConnectionBroken,
    Notice,
    PostLate,
    PostPartiallyPublished,
    PostPublished,
    PostScheduled,
    SecurityNotice,
    TokenExpiring,
)
from postflow.notices.webhook_events import EVENT_OF_NOTICE
from postflow.organizations import Organization
from postflow.posts import PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.submit_post import PostRequest, submit_post
from postflow.usecases.webhook_endpoints import add_webhook_endpoint
from postflow.usecases.webhook_events import WebhookEmitter, WebhookNoticeSink
from postflow.webhooks.event_types import EVENT_TYPES
from tests.postflow.store.factories import make_connection, make_post
from tests.postflow.webhooks.conftest import KeptNotices, KeptQueue


def test_every_event_type_has_the_notice_that_sends_it() -> None:
    assert sorted(EVENT_OF_NOTICE.values()) == sorted(EVENT_TYPES)


@pytest.mark.parametrize(("notice", "event_type", "object_kind"), [
    (PostPublished(make_post("ORG", status=PostStatus.PUBLISHED)), "post.published", "post"),
    (PostPartiallyPublished(make_post("ORG")), "post.partial", "post"),
    (PostScheduled(make_post("ORG")), "post.scheduled", "post"),
    (TokenExpiring(make_connection("ORG"), days_left=3), "connection.expiring", "connection"),
    (ConnectionBroken(make_connection("ORG"), reason="revoked"), "connection.broken",
     "connection"),
])
async def test_a_notice_becomes_its_event(wrt: Runtime, org: Organization, queue: KeptQueue,
                                          notice: Notice, event_type: str,
                                          object_kind: str) -> None:
    notice = _in_org(notice, org.id)
    await add_webhook_endpoint(wrt, org.id, "https://example.com/in", list(EVENT_TYPES),
                               actor="cli")
    sink = WebhookNoticeSink(WebhookEmitter(wrt.store, wrt.clock, queue))

    assert sink.wants(notice)
    await sink.deliver(notice)

    [logged] = await wrt.store.list_webhook_deliveries(org.id)
    event = await wrt.store.get_webhook_event(org.id, logged.event_id)
    assert event.type.value == event_type
    assert f'"object":"{object_kind}"' in event.body
    assert "sealed" not in event.body  # a connection's sealed tokens never leave


async def test_a_notice_without_an_event_type_is_not_wanted(wrt: Runtime,
                                                            queue: KeptQueue) -> None:
    sink = WebhookNoticeSink(WebhookEmitter(wrt.store, wrt.clock, queue))

    assert not sink.wants(PostLate(make_post("ORG")))


def _in_org(notice: Notice, org_id: str) -> Notice:
    if isinstance(notice, TokenExpiring | ConnectionBroken):
        connection: Connection = notice.connection.model_copy(update={"org_id": org_id})
        return type(notice)(connection, *([notice.days_left] if isinstance(notice, TokenExpiring)
                                          else [notice.reason]))
    assert isinstance(notice, PostPublished | PostPartiallyPublished | PostScheduled)
    return type(notice)(notice.post.model_copy(update={"org_id": org_id}))


async def test_a_post_scheduled_without_review_says_so(wrt: Runtime, org: Organization,
                                                       notices: KeptNotices) -> None:
    sandbox = await connect_sandbox(wrt, org.id, "main", actor="cli")

    post = await submit_post(wrt, org.id, PostRequest(text="Hello", targets=[sandbox.id]),
                             source=PostSource(kind="cli"), actor="cli", review_required=False)

    # Connecting the account was said too (a security notice); the post is said once.
    said = [n for n in notices.said if not isinstance(n, SecurityNotice)]
    assert [type(n) for n in said] == [PostScheduled]
    assert isinstance(said[0], PostScheduled) and said[0].post == post


async def test_a_post_waiting_for_review_is_not_said_to_be_scheduled(
        wrt: Runtime, org: Organization, notices: KeptNotices) -> None:
    sandbox = await connect_sandbox(wrt, org.id, "main", actor="cli")

    await submit_post(wrt, org.id, PostRequest(text="Hello", targets=[sandbox.id]),
                      source=PostSource(kind="cli"), actor="cli", review_required=True)

    assert not any(isinstance(n, PostScheduled) for n in notices.said)


async def test_an_organizations_endpoints_are_read_again_after_a_moment(
        wrt: Runtime, org: Organization, queue: KeptQueue) -> None:
    now = [100.0]
    emitter = WebhookEmitter(wrt.store, wrt.clock, queue, ttl_seconds=2.0,
                             monotonic=lambda: now[0])
    assert await emitter.emit(org.id, EVENT_TYPES[1], {"object": "post"}) is None
    await add_webhook_endpoint(wrt, org.id, "https://example.com/in", list(EVENT_TYPES),
                               actor="cli")

    still_none = await emitter.emit(org.id, EVENT_TYPES[1], {"object": "post"})
    now[0] += 2.0
    recorded = await emitter.emit(org.id, EVENT_TYPES[1], {"object": "post"})

    assert still_none is None and recorded is not None


async def test_the_events_object_is_built_only_when_someone_subscribes(
        wrt: Runtime, org: Organization, queue: KeptQueue) -> None:
    emitter = WebhookEmitter(wrt.store, wrt.clock, queue)
    built: list[str] = []

    def build() -> dict[str, str]:
        built.append("built")
        return {"object": "post"}

    assert await emitter.emit(org.id, EVENT_TYPES[1], build) is None
    assert built == []
    await add_webhook_endpoint(wrt, org.id, "https://example.com/in", list(EVENT_TYPES),
                               actor="cli")
    recorded = await WebhookEmitter(wrt.store, wrt.clock, queue).emit(
        org.id, EVENT_TYPES[1], build)

    assert built == ["built"] and recorded is not None and '"object":"post"' in recorded.body
