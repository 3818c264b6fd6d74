"""``/postflow link`` through the Slack adapter: an Owner of workspace T1 links workspace T2
(just installed by the same person) to the same organization, and is one member on both."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from postflow.chatops.install import AppInstall, WorkspaceOwner, install_app
from postflow.organizations import ChatIdentity, Organization
from postflow.posts import PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.slack.conftest import SlackSender, all_text
from tests.bot.slack.test_review_flow import review_press
from tests.bot.slack.test_tenancy import as_team, settings  # noqa: F401 (multi-workspace)
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack

T1, T2 = "T0001", "T0002"


async def installed(rt: Runtime, fake: FakeSlack, team: str, name: str,
                    installer: str) -> Organization:
    token = f"xoxb-issued-{team}"
    fake.issued_tokens.add(token)
    linked = await install_app(rt, AppInstall(
        platform="slack", workspace_id=team, workspace_name=name, bot_token=token,
        installer=WorkspaceOwner(ChatIdentity(platform="slack", workspace_id=team,
                                              user_id=installer))))
    return linked.org


@pytest.fixture
async def acme(rt: Runtime, fake_slack: FakeSlack) -> Organization:
    org = await installed(rt, fake_slack, T1, "Acme", "U1")
    org = org.model_copy(update={"plan": "pro"})
    await rt.store.update_organization(org)
    return org


async def link_code(slack: SlackSender) -> str:
    answer = await slack.command("link", user_id="U1", team_id=T1)
    found = re.search(r"/postflow link (\S+?)`", all_text(answer))
    assert found is not None, answer
    return found.group(1)


async def test_a_code_from_t1_entered_on_t2_links_t2_and_makes_one_member(
        slack: SlackSender, rt: Runtime, fake_slack: FakeSlack, acme: Organization) -> None:
    globex = await installed(rt, fake_slack, T2, "Globex", "U9")
    code = await link_code(slack)

    answer = await slack.command(f"link {code}", user_id="U9", team_id=T2)

    assert "now linked to Acme" in all_text(answer)
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    installation = await rt.store.find_chat_installation("slack", T2)
    assert installation is not None and installation.org_id == acme.id
    assert await rt.store.count_workspaces(globex.id) == 0
    help_there = all_text(await slack.command("help", user_id="U9", team_id=T2))
    assert "You are Owner of Acme" in help_there
    [member] = await rt.store.list_members(acme.id)
    assert [i.workspace_id for i in member.identities] == [T1, T2]


async def test_a_code_entered_twice_is_refused_the_second_time(
        slack: SlackSender, rt: Runtime, clock: ManualClock, fake_slack: FakeSlack,
        acme: Organization) -> None:
    await installed(rt, fake_slack, T2, "Globex", "U9")
    initech = await installed(rt, fake_slack, "T0003", "Initech", "U9")
    code = await link_code(slack)
    await slack.command(f"link {code}", user_id="U9", team_id=T2)
    clock.advance(1)  # a new request, not a replay of the first

    again = await slack.command(f"link {code}", user_id="U9", team_id="T0003")

    assert "already used" in all_text(again)
    workspace = await rt.store.find_workspace("slack", "T0003")
    assert workspace is not None and workspace.org_id == initech.id


async def test_the_author_cannot_approve_their_own_post_from_their_linked_workspace(
        slack: SlackSender, rt: Runtime, clock: ManualClock, fake_slack: FakeSlack,
        acme: Organization) -> None:
    await installed(rt, fake_slack, T2, "Globex", "U9")
    await slack.command(f"link {await link_code(slack)}", user_id="U9", team_id=T2)
    conn = await connect_sandbox(rt, acme.id, "acme-sandbox", actor="test")
    post = await submit_post(rt, acme.id, PostRequest(
        text="Launch", targets=[conn.id], schedule_at=clock.now() + timedelta(hours=2)),
        source=PostSource(kind="slack"), actor=f"slack:{T1}:U1", review_required=True)
    review = await rt.store.find_review_for_post(acme.id, post.id)
    assert review is not None

    await slack.post(as_team(review_press(slack, "approve", review.id, "U9"), T2))

    [own] = fake_slack.responses["approve-U9"]
    assert "Authors may not approve their own posts." in own["text"]
    assert (await rt.store.get_post(acme.id, post.id)).status is PostStatus.IN_REVIEW
