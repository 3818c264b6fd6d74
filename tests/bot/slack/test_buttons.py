"""Buttons: a ``payload=`` block_actions request canceling a post, answered at response_url."""

from __future__ import annotations

from datetime import timedelta

from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.slack.conftest import RecordingQueue, SlackSender
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from tests.postflow.store.factories import make_post


async def scheduled_post(rt: Runtime, clock: ManualClock, org: Organization) -> str:
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    when = clock.now() + timedelta(hours=2)
    post = make_post(org.id, (conn.id,), status=PostStatus.SCHEDULED, scheduled_at=when,
                     due_at=when, created_at=clock.now(), updated_at=clock.now())
    await rt.store.insert_post(post)
    return post.id


async def test_cancel_button_cancels_the_post(slack: SlackSender, rt: Runtime,
                                              clock: ManualClock, org: Organization,
                                              fake_slack: FakeSlack) -> None:
    post_id = await scheduled_post(rt, clock, org)

    response = await slack.post(slack.button_body("cancel", post_id, user_id="UADMIN"))

    assert response.status == 200
    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.CANCELED
    [answer] = fake_slack.responses["button"]
    assert answer["text"] == f"Canceled post `{post_id}`: it will not be published."
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    audit = await rt.store.list_audit(org.id, post_id)
    assert any(e.action == "post.canceled" and e.actor == "slack:T0001:UADMIN" for e in audit)


async def test_cancel_button_from_a_viewer_is_refused_and_names_admin(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        fake_slack: FakeSlack) -> None:
    post_id = await scheduled_post(rt, clock, org)

    await slack.post(slack.button_body("cancel", post_id, user_id="UVIEWER"))

    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.SCHEDULED
    [answer] = fake_slack.responses["button"]
    assert "Canceling posts needs the Admin role or higher; you are a Viewer." in answer["text"]


async def test_publish_now_button_hands_the_post_to_a_worker(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization,
        queue: RecordingQueue) -> None:
    post_id = await scheduled_post(rt, clock, org)

    await slack.post(slack.button_body("publish_now", post_id, user_id="UOWNER"))

    assert [(p[1], p[3]) for p in queue.published] == [(post_id, "publish_now")]
    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.QUEUED


async def test_next_page_button_answers_the_next_page(
        slack: SlackSender, org: Organization, fake_slack: FakeSlack) -> None:
    await slack.post(slack.button_body("list_page", "drafts:2", user_id="UVIEWER"))

    [answer] = fake_slack.responses["button"]
    assert answer["text"].startswith("No drafts.")


async def test_a_button_signed_wrongly_does_nothing(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization) -> None:
    post_id = await scheduled_post(rt, clock, org)

    response = await slack.post(slack.button_body("cancel", post_id), secret="wrong")

    assert response.status == 401
    assert (await rt.store.get_post(org.id, post_id)).status is PostStatus.SCHEDULED
