"""The composer modal through Slack, end to end: signed /slack/events requests, the fake Slack Web
API recording views.open, views.update and the ephemeral confirmation."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.slack.conftest import SlackSender
from tests.fakes.slack_api import FakeSlack


def values(text: str = "", targets: tuple[str, ...] = (), when: str = "now",
           day: str | None = None, at: str | None = None, mode: str = "review",
           media: str = "") -> dict[str, Any]:
    """``view.state.values`` as Slack sends them for the composer's blocks."""
    return {
        "text": {"postflow-compose:text": {"type": "plain_text_input", "value": text or None}},
        "targets": {"postflow-compose:targets": {
            "type": "multi_static_select",
            "selected_options": [{"value": t, "text": {"type": "plain_text", "text": t}}
                                 for t in targets]}},
        "variant_sandbox": {"postflow-compose:variant_sandbox": {"type": "plain_text_input",
                                                                 "value": None}},
        "media": {"postflow-compose:media": {"type": "plain_text_input", "value": media or None}},
        "when": {"postflow-compose:when": {"type": "radio_buttons",
                                           "selected_option": {"value": when}}},
        "date": {"postflow-compose:date": {"type": "datepicker", "selected_date": day}},
        "time": {"postflow-compose:time": {"type": "timepicker", "selected_time": at}},
        "mode": {"postflow-compose:mode": {"type": "radio_buttons",
                                           "selected_option": {"value": mode}}},
    }


def opened_view(fake: FakeSlack) -> dict[str, Any]:
    view = fake.calls_to("views.open")[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else view  # type: ignore[no-any-return]


def view_payload(slack: SlackSender, opened: dict[str, Any],
                 state: dict[str, Any]) -> dict[str, Any]:
    return {"id": "V0001", "hash": "h1", "type": "modal", "callback_id": "postflow-compose",
            "team_id": slack.fake.team_id, "private_metadata": opened["private_metadata"],
            "blocks": opened["blocks"], "state": {"values": state}}


def typing(slack: SlackSender, opened: dict[str, Any], state: dict[str, Any],
           user_id: str) -> str:
    payload = {
        "type": "block_actions", "team": {"id": slack.fake.team_id, "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": slack.fake.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "t-2",
        "container": {"type": "view", "view_id": "V0001"},
        "view": view_payload(slack, opened, state),
        "actions": [{"type": "plain_text_input", "block_id": "text",
                     "action_id": "postflow-compose:text",
                     "value": state["text"]["postflow-compose:text"]["value"],
                     "action_ts": "1700000001.0"}]}
    return urlencode({"payload": json.dumps(payload)})


def submission(slack: SlackSender, opened: dict[str, Any], state: dict[str, Any],
               user_id: str) -> str:
    payload = {
        "type": "view_submission", "team": {"id": slack.fake.team_id, "domain": "acme"},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": slack.fake.team_id},
        "api_app_id": "A0001", "token": "gIkuvaNzQIHg97ATvDxqgjtO", "trigger_id": "t-3",
        "view": view_payload(slack, opened, state)}
    return urlencode({"payload": json.dumps(payload)})


async def open_composer(slack: SlackSender, rt: Runtime, org: Organization,
                        user_id: str) -> tuple[Connection, dict[str, Any]]:
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    response = await slack.post(slack.command_body("new", user_id=user_id))
    assert response.status == 200
    return conn, opened_view(slack.fake)


async def test_new_opens_the_modal_with_the_commands_trigger(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn, view = await open_composer(slack, rt, org, "UMEMBER")

    [call] = fake_slack.calls_to("views.open")
    assert call.params["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    assert view["callback_id"] == "postflow-compose"
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["text"]["dispatch_action"] is True
    assert blocks["text"]["element"]["dispatch_action_config"] == {
        "trigger_actions_on": ["on_character_entered"]}
    assert [o["value"] for o in blocks["targets"]["element"]["options"]] == [conn.id]
    assert "America/New_York" in blocks["time"]["hint"]["text"]  # mo's Slack zone
    # A Member is offered only "Request review".
    assert [o["value"] for o in blocks["mode"]["element"]["options"]] == ["review"]


async def test_an_admin_is_offered_schedule_directly(
        slack: SlackSender, rt: Runtime, org: Organization) -> None:
    _conn, view = await open_composer(slack, rt, org, "UADMIN")

    mode = next(b for b in view["blocks"] if b.get("block_id") == "mode")
    assert [o["value"] for o in mode["element"]["options"]] == ["review", "direct"]


async def test_a_viewer_is_refused_and_no_modal_opens(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await connect_sandbox(rt, org.id, "acme", actor="test")

    answer = await slack.command("new", user_id="UVIEWER")

    assert "Drafting posts needs the Member role" in answer["text"]
    assert fake_slack.calls_to("views.open") == []


async def test_typing_updates_the_counts_in_the_modal(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn, opened = await open_composer(slack, rt, org, "UMEMBER")

    response = await slack.post(typing(slack, opened, values("Hello", (conn.id,)), "UMEMBER"))

    assert response.status == 200
    [update] = fake_slack.calls_to("views.update")
    assert (update.params["view_id"], update.params["hash"]) == ("V0001", "h1")
    view = update.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    counts = next(b for b in view["blocks"] if b.get("block_id") == "counts")
    assert counts["elements"][0]["text"] == "*Sandbox*: 5/5000"


async def test_an_invalid_post_shows_errors_in_the_modal_and_creates_nothing(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    _conn, opened = await open_composer(slack, rt, org, "UMEMBER")
    state = values("Hello", (), when="at", day="2026-11-25", at="06:00", media="not-a-url")

    response = await slack.post(submission(slack, opened, state, "UMEMBER"))

    body = await response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"targets", "media", "time"}
    assert body["errors"]["time"].startswith("Wed 25 Nov 2026 06:00 America/New_York has passed")
    assert await rt.store.list_posts(org.id) == []
    assert fake_slack.calls_to("chat.postEphemeral") == []


async def test_a_valid_post_is_created_for_review_at_the_authors_local_time(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn, opened = await open_composer(slack, rt, org, "UMEMBER")
    state = values("Launch day!", (conn.id,), when="at", day="2026-11-26", at="09:00")

    response = await slack.post(submission(slack, opened, state, "UMEMBER"))

    assert response.status == 200 and await response.text() == ""
    [post] = await rt.store.list_posts(org.id)
    assert post.status is PostStatus.IN_REVIEW and post.created_by == "slack:T0001:UMEMBER"
    assert post.scheduled_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert await rt.store.find_review_for_post(org.id, post.id) is not None
    [confirm] = fake_slack.calls_to("chat.postEphemeral")
    assert (confirm.params["channel"], confirm.params["user"]) == ("C0001", "UMEMBER")
    assert "Thu 26 Nov 2026 09:00 America/New_York" in confirm.params["text"]
    assert "waiting for review" in confirm.params["text"]


async def test_a_member_cannot_schedule_directly_even_by_forging_the_choice(
        slack: SlackSender, rt: Runtime, org: Organization) -> None:
    conn, opened = await open_composer(slack, rt, org, "UMEMBER")

    response = await slack.post(submission(
        slack, opened, values("Sneaky", (conn.id,), mode="direct"), "UMEMBER"))

    body = await response.json()
    assert body["errors"] == {"mode": "Scheduling posts without a review needs the Admin role "
                                      "or higher; you are a Member."}
    assert await rt.store.list_posts(org.id) == []


async def test_an_admin_schedules_directly(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn, opened = await open_composer(slack, rt, org, "UADMIN")
    state = values("Direct", (conn.id,), when="at", day="2026-11-26", at="09:00",
                   mode="direct")

    await slack.post(submission(slack, opened, state, "UADMIN"))

    [post] = await rt.store.list_posts(org.id)
    assert post.status is PostStatus.SCHEDULED
    assert post.due_at == datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 in Paris
    [confirm] = fake_slack.calls_to("chat.postEphemeral")
    assert confirm.params["text"] == (f"Post `{post.id}` is scheduled at Thu 26 Nov 2026 "
                                      "09:00 Europe/Paris.")
