"""Each ``/postflow`` command through Slack: form-encoded in, Block Kit out."""

from __future__ import annotations

from datetime import timedelta

from postflow.organizations import Organization, Role
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.bot.slack.conftest import SlackSender, all_text, buttons
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack
from tests.postflow.store.factories import make_post


async def scheduled_post(rt: Runtime, clock: ManualClock, org: Organization) -> str:
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    when = clock.now() + timedelta(hours=2)
    post = make_post(org.id, (conn.id,), status=PostStatus.SCHEDULED, scheduled_at=when,
                     due_at=when, from_queue=True, text="Launch day <b>&</b> more",
                     created_at=clock.now(), updated_at=clock.now())
    await rt.store.insert_post(post)
    return post.id


async def test_help_lists_every_working_command(slack: SlackSender, org: Organization) -> None:
    text = all_text(await slack.command("help", user_id="UVIEWER"))

    for usage in ("/postflow accounts", "/postflow list", "/postflow queue",
                  "/postflow connect", "/postflow settings", "/postflow role"):
        assert usage in text
    assert "Viewer sees posts and accounts" in text


async def test_accounts(slack: SlackSender, rt: Runtime, org: Organization) -> None:
    await connect_sandbox(rt, org.id, "acme", actor="test")

    text = all_text(await slack.command("accounts", user_id="UVIEWER"))

    assert "*acme (sandbox)*" in text and "Status: working" in text


async def test_list_renders_posts_with_buttons_for_an_admin(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization) -> None:
    post_id = await scheduled_post(rt, clock, org)

    message = await slack.command("list", user_id="UADMIN")

    assert post_id in all_text(message)
    assert "Launch day &lt;b&gt;&amp;&lt;/b&gt; more" in all_text(message)
    assert buttons(message) == [("postflow:publish_now:0", post_id),
                                ("postflow:cancel:1", post_id)]


async def test_list_renders_no_buttons_for_a_viewer(
        slack: SlackSender, rt: Runtime, clock: ManualClock, org: Organization) -> None:
    post_id = await scheduled_post(rt, clock, org)

    message = await slack.command("list", user_id="UVIEWER")

    assert post_id in all_text(message)
    assert buttons(message) == []


async def test_queue(slack: SlackSender, rt: Runtime, clock: ManualClock,
                     org: Organization) -> None:
    post_id = await scheduled_post(rt, clock, org)

    text = all_text(await slack.command("queue acme", user_id="UMEMBER"))

    assert "Queue of acme (sandbox)" in text and post_id in text


async def test_connect_sandbox(slack: SlackSender, rt: Runtime, org: Organization) -> None:
    text = all_text(await slack.command("connect sandbox demo"))

    [conn] = await rt.store.list_connections(org.id)
    assert conn.display_name == "demo" and conn.id in text


async def test_connect_refused_for_a_member_names_admin(slack: SlackSender,
                                                        org: Organization) -> None:
    text = all_text(await slack.command("connect sandbox", user_id="UMEMBER"))

    assert ":warning: Connecting accounts needs the Admin role or higher; you are a Member." \
        in text


async def test_settings_show_and_set(slack: SlackSender, rt: Runtime,
                                     org: Organization) -> None:
    await slack.command("settings timezone Europe/Berlin")
    await slack.command("settings review-channel <#C0REVIEW|social>")

    text = all_text(await slack.command("settings", user_id="UVIEWER"))

    assert "Time zone: Europe/Berlin" in text
    assert "Review channel: <#C0REVIEW>" in text  # a real channel mention in Slack
    stored = await rt.store.get_organization(org.id)
    assert stored.timezone == "Europe/Berlin"


async def test_role(slack: SlackSender, rt: Runtime, org: Organization) -> None:
    text = all_text(await slack.command("role <@UVIEWER|vi> admin", user_id="UOWNER"))

    assert "<@UVIEWER> is now Admin of Acme." in text
    member = await rt.store.find_member(org.id, "slack", "T0001", "UVIEWER")
    assert member is not None and member.role is Role.ADMIN


async def test_role_refused_for_a_member_names_admin(slack: SlackSender,
                                                     org: Organization) -> None:
    text = all_text(await slack.command("role <@UVIEWER> admin", user_id="UMEMBER"))

    assert "Changing roles needs the Admin role or higher; you are a Member." in text


async def test_replies_are_ephemeral(slack: SlackSender, org: Organization) -> None:
    for text in ("help", "accounts", "list", "settings", "nonsense"):
        assert (await slack.command(text))["response_type"] == "ephemeral"


async def test_first_command_of_a_workspace_admin_sets_up_the_organization(
        slack: SlackSender, rt: Runtime, fake_slack: FakeSlack) -> None:
    text = all_text(await slack.command("help", user_id="UADMIN"))

    assert "You are Owner of Acme" in text
    workspace = await rt.store.find_workspace("slack", fake_slack.team_id)
    assert workspace is not None
    org = await rt.store.get_organization(workspace.org_id)
    assert org.timezone == "Europe/Paris"  # from users.info
    [member] = await rt.store.list_members(org.id)
    assert member.identity.user_id == "UADMIN" and member.role is Role.OWNER


async def test_first_command_of_someone_else_does_not_set_it_up(
        slack: SlackSender, rt: Runtime, fake_slack: FakeSlack) -> None:
    text = all_text(await slack.command("help", user_id="UMEMBER"))

    assert "A Slack workspace admin sets it up" in text
    assert await rt.store.find_workspace("slack", fake_slack.team_id) is None
