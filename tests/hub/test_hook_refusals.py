"""Every refused hook request: the status, the error code, and no post left behind."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.signatures import HEADER
from postflow.usecases.connections import connect_sandbox, set_connection_timezone
from postflow.usecases.submit_post import usage_period
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Sender, error_code, no_posts


async def test_wrong_signature_is_401(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(secret="whsec_not-the-secret")
    assert response.status == 401
    assert await error_code(response) == "unauthorized"
    assert await no_posts(rt, org)


async def test_missing_signature_is_401(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(unsigned=True)
    assert response.status == 401
    assert await error_code(response) == "unauthorized"
    assert await no_posts(rt, org)


async def test_stale_timestamp_is_401(sender: Sender, rt: Runtime, org: Organization,
                                      clock: ManualClock) -> None:
    response = await sender.post(timestamp=int(clock.now().timestamp()) - 301)
    assert response.status == 401
    assert await error_code(response) == "unauthorized"
    assert await no_posts(rt, org)


async def test_future_timestamp_is_401(sender: Sender, rt: Runtime, org: Organization,
                                       clock: ManualClock) -> None:
    response = await sender.post(timestamp=int(clock.now().timestamp()) + 301)
    assert response.status == 401
    assert await error_code(response) == "unauthorized"
    assert await no_posts(rt, org)


async def test_signature_over_another_body_is_401(sender: Sender, rt: Runtime,
                                                  org: Organization) -> None:
    signed_for = json.dumps(sender.body(text="what was signed")).encode()
    response = await sender.post(sender.body(text="what was sent"),
                                 signature=sender.sign(signed_for))
    assert response.status == 401
    assert await error_code(response) == "unauthorized"
    assert await no_posts(rt, org)


async def test_unknown_hook_is_404(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(hook_id="hook_doesnotexist")
    assert response.status == 404
    assert await error_code(response) == "not_found"
    assert await no_posts(rt, org)


async def test_body_over_limit_is_413(sender: Sender, rt: Runtime, org: Organization) -> None:
    huge = sender.body(text="x" * (256 * 1024))
    response = await sender.post(huge)
    assert response.status == 413
    assert await error_code(response) == "body_too_large"
    assert await no_posts(rt, org)


async def test_chunked_body_over_limit_is_413(sender: Sender, rt: Runtime,
                                              org: Organization) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(80):
            yield b"x" * 4096

    # No Content-Length: the hub must stop reading on its own once past the limit.
    response = await sender.client.post(f"/v1/hooks/{sender.hook.hook.id}", data=chunks(),
                                         headers={HEADER: sender.sign(b"")})
    assert response.status == 413
    assert await error_code(response) == "body_too_large"
    assert await no_posts(rt, org)


async def test_malformed_json_is_400(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(b'{"text": "unterminated')
    assert response.status == 400
    assert await error_code(response) == "malformed_json"
    assert await no_posts(rt, org)


async def test_wrong_type_is_422_naming_the_field(sender: Sender, rt: Runtime,
                                                  org: Organization) -> None:
    response = await sender.post(sender.body(text=5))
    assert response.status == 422
    body = await response.json()
    assert body["error"]["code"] == "bad_input"
    assert [e["path"] for e in body["error"]["details"]["errors"]] == ["text"]
    assert await no_posts(rt, org)


async def test_unknown_field_is_422(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(sender.body(publish_twice=True))
    assert response.status == 422
    body = await response.json()
    assert body["error"]["code"] == "bad_input"
    assert body["error"]["details"]["errors"][0]["path"] == "publish_twice"
    assert await no_posts(rt, org)


async def test_unknown_target_is_422(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(sender.body(targets=["conn_nosuchconnection"]))
    assert response.status == 422
    assert await error_code(response) == "bad_input"
    assert await no_posts(rt, org)


async def test_a_local_time_for_targets_in_different_zones_is_422(sender: Sender, rt: Runtime,
                                                                  org: Organization) -> None:
    other = await connect_sandbox(rt, org.id, "other", actor="test")
    await set_connection_timezone(rt, org.id, other.id, "Europe/Paris", actor="test")

    response = await sender.post(sender.body(schedule_at="2026-12-01T09:00:00",
                                             targets=[sender.sandbox.id, other.id]))

    assert response.status == 422
    body = await response.json()
    assert body["error"]["code"] == "bad_input"
    assert "different time zones" in body["error"]["message"]
    assert "offset" in body["error"]["message"] and "timezone" in body["error"]["message"]
    assert body["error"]["details"]["timezones"] == {sender.sandbox.id: "UTC",
                                                     other.id: "Europe/Paris"}
    assert await no_posts(rt, org)


async def test_schedule_at_in_an_unknown_timezone_is_422(sender: Sender, rt: Runtime,
                                                         org: Organization) -> None:
    response = await sender.post(sender.body(schedule_at="2026-12-01T09:00:00",
                                             timezone="Mars/Olympus_Mons"))
    assert response.status == 422
    assert "IANA" in (await response.json())["error"]["message"]
    assert await no_posts(rt, org)


async def test_schedule_at_and_queue_together_is_422(sender: Sender, rt: Runtime,
                                                     org: Organization) -> None:
    response = await sender.post(sender.body(schedule_at="2026-12-01T09:00:00+01:00",
                                             queue=True))
    assert response.status == 422
    assert await error_code(response) == "bad_input"
    assert await no_posts(rt, org)


async def test_overlong_idempotency_key_is_422(sender: Sender, rt: Runtime,
                                               org: Organization) -> None:
    response = await sender.post(key="k" * 201)
    assert response.status == 422
    assert await error_code(response) == "bad_input"
    assert await no_posts(rt, org)


async def test_monthly_limit_reached_is_402(sender: Sender, rt: Runtime, org: Organization,
                                            clock: ManualClock) -> None:
    for _ in range(30):  # the free plan's scheduled posts a month
        await rt.store.consume_usage(org.id, "scheduled_posts_per_month",
                                     usage_period(clock.now()), None)
    response = await sender.post()
    assert response.status == 402
    body = await response.json()
    assert body["error"]["code"] == "limit_reached"
    assert body["error"]["details"]["upgrade_plan"] == "pro"
    assert await no_posts(rt, org)


async def test_error_answers_carry_no_request_echo(sender: Sender) -> None:
    secret_looking = "tok_" + "s" * 5000
    response = await sender.post(sender.body(text=[secret_looking]))
    assert response.status == 422
    assert secret_looking[:40] not in await response.text()

