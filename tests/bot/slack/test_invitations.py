"""``/postflow invite`` and ``/postflow join`` through Slack's signed slash commands: Slack's
escaped address is read, and someone who is not a member joins with the invitation's code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from postflow.mailing.invitations import form_token, issue_join_code
from postflow.organizations import Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import new_browser_key
from tests.bot.slack.conftest import SlackSender, all_text
from tests.fakes.slack_api import FakeSlack


async def test_an_admin_invites_and_the_invitee_joins_with_the_code(
        slack: SlackSender, fake_slack: FakeSlack, rt: Runtime, org: Organization) -> None:
    answer = await slack.command("invite <mailto:ada@example.test|ada@example.test> admin",
                                 user_id="UADMIN")
    assert "mailed an invitation to ada@example.test" in all_text(answer)
    [email] = await rt.store.list_outgoing_emails(org.id, 5)
    link = next(w for w in email.text.split() if "/invitations/accept?token=" in w)
    token = parse_qs(urlsplit(link).query)["token"][0]
    browser = new_browser_key()
    code = await issue_join_code(rt, token, csrf=form_token(rt, token, browser),
                                 browser_key=browser)

    joined = await slack.command(f"join {code.code}", user_id="UNEW")

    assert "you are now Admin of" in all_text(joined)
    member = await rt.store.find_member(org.id, "slack", fake_slack.team_id, "UNEW")
    assert member is not None and member.role is Role.ADMIN


async def test_a_member_is_refused_inviting(slack: SlackSender, rt: Runtime,
                                            org: Organization) -> None:
    answer = await slack.command("invite ada@example.test", user_id="UMEMBER")

    assert "Admin" in all_text(answer)
    assert await rt.store.list_invitations(org.id) == []
