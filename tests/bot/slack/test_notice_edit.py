"""The Edit button on failed notices: a form prefilled with the post's text, re-authorized at
press and at submit, provider problems shown inline, the failed accounts retried and the notice
updated in place; published accounts are never touched."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from integrations.sandbox.provider import MAX_LENGTH
from postflow.notices.events import PostFailed
from postflow.organizations import Organization
from postflow.posts import PostStatus, TargetStatus
from postflow.reviews import ReviewState
from postflow.runtime import Runtime
from tests.bot.slack.conftest import RecordingQueue, SlackSender
from tests.bot.slack.test_notice_buttons import (
    answer,
    failed_notice,
    notified_org,  # noqa: F401  (fixture)
    press,
    update_text,
    updates,
)
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack


def opened_view(fake: FakeSlack) -> dict[str, Any]:
    [opened] = fake.calls_to("views.open")
    view = opened.params["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


def submission(fake: FakeSlack, view: dict[str, Any], text: str, user_id: str = "UADMIN",
               variants: dict[str, str] | None = None) -> str:
    values: dict[str, Any] = {"edit-text": {"text": {"type": "plain_text_input",
                                                     "value": text}}}
    for network, variant in (variants or {}).items():
        values[f"edit-variant:{network}"] = {"variant": {"type": "plain_text_input",
                                                         "value": variant}}
    payload = {
        "type": "view_submission", "team": {"id": fake.team_id, "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": fake.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "trigger-2",
        "view": {"id": "V0001", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"], "team_id": fake.team_id,
                 "state": {"values": values}}}
    return urlencode({"payload": json.dumps(payload)})


async def test_edit_opens_a_form_prefilled_with_the_posts_text(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)

    response = await slack.post(press(slack, notice, "edit", "UADMIN"))

    assert response.status == 200
    view = opened_view(fake_slack)
    assert view["callback_id"] == "postflow-notice-edit"
    text_block = next(b for b in view["blocks"] if b.get("block_id") == "edit-text")
    assert text_block["element"]["initial_value"] == post.text
    assert any(b.get("block_id") == "edit-variant:sandbox" for b in view["blocks"])


async def test_saving_the_form_edits_the_text_retries_and_updates_the_notice(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)
    await slack.post(press(slack, notice, "edit", "UADMIN"))

    response = await slack.post(submission(fake_slack, opened_view(fake_slack), "Fixed text"))

    assert response.status == 200
    assert (await response.text()) in ("", "{}")  # closes the form: no errors
    stored = await rt.store.get_post(notified_org.id, post.id)
    assert stored.text == "Fixed text"
    assert stored.status is PostStatus.QUEUED
    assert stored.targets[0].status is TargetStatus.PENDING
    assert [p[1] for p in queue.published] == [post.id]
    audit = await rt.store.list_audit(notified_org.id, post.id)
    assert any(e.action == "post.edited" and e.actor == "slack:T0001:UADMIN" for e in audit)
    assert ("<@UADMIN> edited it and retried the accounts it missed"
            in update_text(updates(fake_slack)[0]))


async def test_a_text_the_provider_refuses_is_shown_inline_and_changes_nothing(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)
    await slack.post(press(slack, notice, "edit", "UADMIN"))

    response = await slack.post(submission(fake_slack, opened_view(fake_slack),
                                           "x" * (MAX_LENGTH + 1)))

    body = await response.json()
    assert body["response_action"] == "errors"
    assert "allows" in body["errors"]["edit-text"]
    stored = await rt.store.get_post(notified_org.id, post.id)
    assert (stored.status, stored.text) == (PostStatus.FAILED, post.text)
    assert queue.published == [] and updates(fake_slack) == []


async def test_a_too_long_variant_is_shown_on_its_own_field(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack) -> None:
    _, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)
    await slack.post(press(slack, notice, "edit", "UADMIN"))

    response = await slack.post(submission(fake_slack, opened_view(fake_slack), "Short",
                                           variants={"sandbox": "y" * (MAX_LENGTH + 1)}))

    assert set((await response.json())["errors"]) == {"edit-variant:sandbox"}


async def test_a_viewer_is_refused_at_press_naming_the_member_role(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack) -> None:
    _, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)

    await slack.post(press(slack, notice, "edit", "UVIEWER"))

    assert ("Editing posts needs the Member role or higher; you are a Viewer."
            in answer(fake_slack, "edit", "UVIEWER"))
    assert fake_slack.calls_to("views.open") == []


async def test_a_member_edits_their_own_post_and_it_goes_back_to_review(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack, queue: RecordingQueue) -> None:
    post, _, notice = await failed_notice(rt, clock, notified_org, fake_slack)  # by UMEMBER
    await slack.post(press(slack, notice, "edit", "UMEMBER"))

    await slack.post(submission(fake_slack, opened_view(fake_slack), "Fixed", "UMEMBER"))

    stored = await rt.store.get_post(notified_org.id, post.id)
    assert (stored.status, stored.text) == (PostStatus.IN_REVIEW, "Fixed")
    review = await rt.store.find_review_for_post(notified_org.id, post.id)
    assert review is not None and review.state is ReviewState.OPEN
    assert queue.published == []
    assert "waits for review" in update_text(updates(fake_slack)[0])


async def test_a_member_may_not_edit_someone_elses_post(
        rt: Runtime, slack: SlackSender, clock: ManualClock, notified_org: Organization,  # noqa: F811
        fake_slack: FakeSlack) -> None:
    post, _, _ = await failed_notice(rt, clock, notified_org, fake_slack)
    other = post.model_copy(update={"created_by": "slack:T0001:UADMIN",
                                    "version": post.version + 1})
    await rt.store.replace_post(other, expected_version=post.version)
    fake_slack.calls.clear()
    await rt.notices.notify(PostFailed(other))
    from tests.bot.slack.test_outcome_notices import NOTIFY, messages
    [notice] = messages(fake_slack, NOTIFY)

    await slack.post(press(slack, notice, "edit", "UMEMBER"))

    assert ("Editing someone else's post needs the Admin role or higher; you are a Member."
            in answer(fake_slack, "edit", "UMEMBER"))
