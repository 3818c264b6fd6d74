"""Two installed workspaces, two organizations: nobody in workspace B ever sees or touches
anything of workspace A, whatever ids they send (commands, buttons, forms)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest

from postflow.chatops.install import AppInstall, WorkspaceOwner, install_app
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.posts import Post, PostSource
from postflow.reviews import ReviewRequest
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import add_member
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.slack.conftest import SlackSender, all_text
from tests.bot.slack.test_composer import submission, values
from tests.bot.slack.test_review_flow import changes_submission, review_press
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack

TEAM_A, TEAM_B = "T0001", "T0002"
SECRET_TEXT = "Workspace A's launch plan"


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack, signing_secret: str) -> Settings:
    """Multi-workspace Slack: both teams are OAuth installs, no single-workspace token."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,
                    http_port=0, public_url="https://postflow.example.com",
                    slack_signing_secret=signing_secret,
                    slack_client_id=fake_slack.client_id,
                    slack_client_secret=fake_slack.client_secret,
                    slack_api_url=fake_slack.api_url)


async def installed(rt: Runtime, fake: FakeSlack, team: str, name: str) -> Organization:
    token = f"xoxb-issued-{team}"
    fake.issued_tokens.add(token)
    linked = await install_app(rt, AppInstall(
        platform="slack", workspace_id=team, workspace_name=name, bot_token=token,
        installer=WorkspaceOwner(ChatIdentity(platform="slack", workspace_id=team,
                                              user_id="UOWNER"))))
    org = linked.org.model_copy(update={"plan": "pro"})
    await rt.store.update_organization(org)
    await add_member(rt, org.id, ChatIdentity(platform="slack", workspace_id=team,
                                              user_id="UADMIN"), Role.ADMIN, actor="test")
    return org


@pytest.fixture
async def orgs(rt: Runtime, fake_slack: FakeSlack) -> tuple[Organization, Organization]:
    return (await installed(rt, fake_slack, TEAM_A, "Acme"),
            await installed(rt, fake_slack, TEAM_B, "Globex"))


@pytest.fixture
async def post_of_a(rt: Runtime, clock: ManualClock,
                    orgs: tuple[Organization, Organization]) -> tuple[Post, ReviewRequest]:
    """A post of workspace A in review, with A's sandbox account."""
    org_a = orgs[0]
    conn = await connect_sandbox(rt, org_a.id, "acme-sandbox", actor="test")
    post = await submit_post(rt, org_a.id, PostRequest(
        text=SECRET_TEXT, targets=[conn.id], schedule_at=clock.now() + timedelta(hours=2)),
        source=PostSource(kind="slack"), actor=f"slack:{TEAM_A}:UOWNER", review_required=True)
    review = await rt.store.find_review_for_post(org_a.id, post.id)
    assert review is not None
    return post, review


def as_team(body: str, team: str) -> str:
    """A form-encoded Slack request re-addressed as coming from ``team``."""
    fields = {k: v[0] for k, v in parse_qs(body).items()}
    if "payload" not in fields:
        fields["team_id"] = team
        return urlencode(fields)
    payload = json.loads(fields["payload"])
    payload["team"] = {"id": team, "domain": team.lower()}
    payload["user"]["team_id"] = team
    if "view" in payload:
        payload["view"]["team_id"] = team
    return urlencode({"payload": json.dumps(payload)})


async def unchanged(rt: Runtime, org: Organization, post: Post) -> None:
    again = await rt.store.get_post(org.id, post.id)
    assert (again.status, again.version) == (post.status, post.version)


async def test_each_workspace_lists_only_its_own_posts(
        slack: SlackSender, orgs: tuple[Organization, Organization],
        post_of_a: tuple[Post, ReviewRequest]) -> None:
    mine = await slack.command("list review", team_id=TEAM_A)
    theirs = await slack.command("list review", team_id=TEAM_B)

    assert post_of_a[0].id in all_text(mine)
    assert post_of_a[0].id not in json.dumps(theirs) and SECRET_TEXT not in json.dumps(theirs)


async def test_a_command_naming_the_other_workspaces_account_is_not_found(
        slack: SlackSender, rt: Runtime, orgs: tuple[Organization, Organization],
        post_of_a: tuple[Post, ReviewRequest]) -> None:
    [conn] = await rt.store.list_connections(orgs[0].id)

    shown = await slack.command(f"queue {conn.id}", team_id=TEAM_B)
    edited = await slack.command(f"queue {conn.id} set mon 09:00", team_id=TEAM_B)

    for answer in (shown, edited):
        assert "acme-sandbox" not in json.dumps(answer)
        assert "No account is called" in all_text(answer)
    assert await rt.store.get_queue_settings(orgs[0].id, conn.id) is None


@pytest.mark.parametrize("action", ["cancel", "publish_now"])
async def test_a_button_with_the_other_workspaces_post_id_is_refused(
        slack: SlackSender, rt: Runtime, fake_slack: FakeSlack,
        orgs: tuple[Organization, Organization], post_of_a: tuple[Post, ReviewRequest],
        action: str) -> None:
    post = post_of_a[0]

    await slack.post(as_team(slack.button_body(action, post.id, user_id="UOWNER"), TEAM_B))

    await unchanged(rt, orgs[0], post)
    [answer] = fake_slack.responses["button"]
    assert "no such post" in answer["text"].lower() and SECRET_TEXT not in json.dumps(answer)


@pytest.mark.parametrize("verdict", ["approve", "reject", "request_changes"])
async def test_a_review_button_with_the_other_workspaces_review_id_is_refused(
        slack: SlackSender, rt: Runtime, fake_slack: FakeSlack,
        orgs: tuple[Organization, Organization], post_of_a: tuple[Post, ReviewRequest],
        verdict: str) -> None:
    post, review = post_of_a

    await slack.post(as_team(review_press(slack, verdict, review.id, "UADMIN"), TEAM_B))

    await unchanged(rt, orgs[0], post)
    assert fake_slack.calls_to("chat.update") == []
    for answers in fake_slack.responses.values():
        assert SECRET_TEXT not in json.dumps(answers)
    if verdict != "request_changes":
        [answer] = fake_slack.responses[f"{verdict}-UADMIN"]
        assert "no such review request" in answer["text"].lower()


async def test_a_changes_form_with_the_other_workspaces_review_id_is_refused(
        slack: SlackSender, rt: Runtime, orgs: tuple[Organization, Organization],
        post_of_a: tuple[Post, ReviewRequest]) -> None:
    post, review = post_of_a

    response = await slack.post(as_team(changes_submission(slack, review.id, "Nope",
                                                           "UADMIN"), TEAM_B))

    answer = await response.json()
    assert answer["response_action"] == "errors"
    assert "no such review request" in json.dumps(answer).lower()
    assert SECRET_TEXT not in json.dumps(answer)
    await unchanged(rt, orgs[0], post)


async def test_a_composer_submission_targeting_the_other_workspaces_account_creates_nothing(
        slack: SlackSender, rt: Runtime, orgs: tuple[Organization, Organization],
        post_of_a: tuple[Post, ReviewRequest]) -> None:
    org_a, org_b = orgs
    await connect_sandbox(rt, org_b.id, "globex-sandbox", actor="test")
    [conn_a] = await rt.store.list_connections(org_a.id)
    opened = {"private_metadata": json.dumps({"channel": "C0001", "tz": ""}),
              "blocks": [{"type": "input", "block_id": "targets"},
                         {"type": "input", "block_id": "text"}]}
    state = values("Hijack", (conn_a.id,), mode="direct")

    response = await slack.post(as_team(submission(slack, opened, state, "UOWNER"), TEAM_B))

    answer = await response.json()
    assert answer["response_action"] == "errors" and "targets" in answer["errors"]
    assert await rt.store.list_posts(org_b.id) == []
    assert [p.id for p in await rt.store.list_posts(org_a.id)] == [post_of_a[0].id]


async def test_billing_link_of_one_workspace_names_only_its_organization(
        slack: SlackSender, orgs: tuple[Organization, Organization]) -> None:
    answer = await slack.command("billing", user_id="UOWNER", team_id=TEAM_B)

    [url] = set(re.findall(r"https://postflow\.example\.com(/billing\?token=[^\s)]+)",
                           all_text(answer)))
    page = await slack.client.get(url)
    text = await page.text()
    assert page.status == 200 and "Globex" in text and "Acme" not in text

