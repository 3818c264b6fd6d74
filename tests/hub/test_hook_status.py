"""``GET /v1/hooks/{hook_id}/posts/{post_id}``: signed over the path, scoped to the hook's org."""

from __future__ import annotations

from yarl import URL

from postflow.attempts import AttemptOutcome, PublishAttempt
from postflow.ids import new_id
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Sender, error_code


async def _status_path(sender: Sender) -> str:
    response = await sender.post()
    assert response.status == 202
    return URL((await response.json())["status_url"]).path


async def test_signed_status_request_shows_targets_and_attempts(
        sender: Sender, rt: Runtime, org: Organization, clock: ManualClock) -> None:
    path = await _status_path(sender)
    post_id = path.rsplit("/", 1)[1]
    await rt.store.insert_attempt(PublishAttempt(
        id=new_id("att"), org_id=org.id, post_id=post_id, connection_id=sender.sandbox.id,
        network="sandbox", trigger="publish_now", started_at=clock.now(),
        raw_response='{"platform": "secret raw answer"}'))
    response = await sender.get(path)
    assert response.status == 200
    body = await response.json()
    assert body["post_id"] == post_id
    assert body["status"] == "queued"
    assert [t["connection_id"] for t in body["targets"]] == [sender.sandbox.id]
    assert body["targets"][0]["status"] == "pending"
    assert [a["outcome"] for a in body["attempts"]] == ["pending"]
    assert "secret raw answer" not in await response.text()


async def test_a_failed_attempt_shows_its_kind_message_and_network_code(
        sender: Sender, rt: Runtime, org: Organization, clock: ManualClock) -> None:
    path = await _status_path(sender)
    post_id = path.rsplit("/", 1)[1]
    attempt = PublishAttempt(
        id=new_id("att"), org_id=org.id, post_id=post_id, connection_id=sender.sandbox.id,
        network="sandbox", trigger="publish_now", started_at=clock.now())
    await rt.store.insert_attempt(attempt)
    await rt.store.finish_attempt(attempt.model_copy(update={
        "outcome": AttemptOutcome.FAILED, "finished_at": clock.now(), "error_kind": "bad_input",
        "error_message": "The sandbox was asked to reject this post.", "error_code": "rejected"}))

    body = await (await sender.get(path)).json()

    assert body["attempts"][0]["error"] == {
        "kind": "bad_input", "message": "The sandbox was asked to reject this post.",
        "code": "rejected"}


async def test_unsigned_status_request_is_401(sender: Sender) -> None:
    path = await _status_path(sender)
    response = await sender.get(path, signed=False)
    assert response.status == 401
    assert await error_code(response) == "unauthorized"


async def test_status_signature_is_bound_to_the_path(sender: Sender) -> None:
    path = await _status_path(sender)
    response = await sender.client.get(path, headers={
        "PostFlow-Signature": sender.sign(b"/v1/hooks/another/path")})
    assert response.status == 401


async def test_post_of_another_organization_is_404(sender: Sender, rt: Runtime) -> None:
    path = await _status_path(sender)
    other_org = await create_organization(rt, "Other", actor="test")
    await connect_sandbox(rt, other_org.id, "other", actor="test")
    sender.hook = await create_hook(rt, other_org.id, "Other hook", actor="test")
    foreign = f"/v1/hooks/{sender.hook.hook.id}/posts/{path.rsplit('/', 1)[1]}"
    response = await sender.get(foreign)
    assert response.status == 404
    assert await error_code(response) == "not_found"
