"""``Idempotency-Key`` on hook requests: replayed answers, reused keys, released failures."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest

from hub.routes import hooks as hook_routes
from postflow.hooks import IdempotencyRecord
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.hub.conftest import RecordingQueue, Sender, error_code


async def test_same_key_and_body_replays_the_answer_with_one_post(
        sender: Sender, rt: Runtime, org: Organization, queue: RecordingQueue) -> None:
    first = await sender.post(key="release-1.2")
    again = await sender.post(key="release-1.2")
    assert first.status == again.status == 202
    assert await first.json() == await again.json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(await rt.store.list_posts(org.id)) == 1
    assert len(queue.published) == 1


async def test_same_key_with_another_body_is_422(sender: Sender, rt: Runtime,
                                                 org: Organization) -> None:
    assert (await sender.post(key="release-1.2")).status == 202
    response = await sender.post(sender.body(text="something else"), key="release-1.2")
    assert response.status == 422
    assert await error_code(response) == "idempotency_key_reused"
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_key_still_in_progress_is_409(sender: Sender, rt: Runtime, org: Organization,
                                            clock: ManualClock) -> None:
    raw = json.dumps(sender.body()).encode()
    await rt.store.reserve_idempotency_key(IdempotencyRecord(
        hook_id=sender.hook.hook.id, key="busy", request_hash=hashlib.sha256(raw).hexdigest(),
        created_at=clock.now(), expires_at=clock.now() + timedelta(hours=1)))
    response = await sender.post(raw, key="busy")
    assert response.status == 409
    assert await error_code(response) == "idempotency_key_in_progress"
    assert response.headers["Retry-After"] == "1"
    assert await rt.store.list_posts(org.id) == []


async def test_same_key_on_another_hook_is_independent(sender: Sender, rt: Runtime,
                                                       org: Organization) -> None:
    from postflow.usecases.hooks import create_hook

    assert (await sender.post(key="shared")).status == 202
    sender.hook = await create_hook(rt, org.id, "Other", actor="test")
    assert (await sender.post(sender.body(text="other"), key="shared")).status == 202
    assert len(await rt.store.list_posts(org.id)) == 2


async def test_unsigned_request_does_not_consume_the_key(sender: Sender, rt: Runtime,
                                                         org: Organization) -> None:
    assert (await sender.post(sender.body(text="forged"), key="k1",
                              secret="whsec_wrong")).status == 401
    assert (await sender.post(key="k1")).status == 202
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_failed_request_releases_its_key(sender: Sender, rt: Runtime,
                                               org: Organization) -> None:
    bad = await sender.post(sender.body(targets=["conn_nosuchconnection"]), key="k2")
    assert bad.status == 422
    assert (await sender.post(key="k2")).status == 202
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_crash_releases_its_key(sender: Sender, rt: Runtime, org: Organization,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    with monkeypatch.context() as patched:
        patched.setattr(hook_routes, "submit_post", crash)
        assert (await sender.post(key="k3")).status == 500
    sender.clock.advance(1)  # a retry is signed again: the same signed bytes are a replay
    assert (await sender.post(key="k3")).status == 202
