"""``/postflow email set`` on Slack without an address takes the Slack profile's (when the app
has ``users:read.email``), still confirmed by a mailed link."""

from __future__ import annotations

from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.bot.slack.conftest import SlackSender, all_text
from tests.fakes.slack_api import FakeSlack, FakeUser


async def test_the_profile_address_is_used_and_mailed_a_confirmation(
        slack: SlackSender, fake_slack: FakeSlack, rt: Runtime, org: Organization) -> None:
    fake_slack.users["UADMIN"] = FakeUser(id="UADMIN", email="ada@example.test")

    answer = await slack.command("email set", user_id="UADMIN")

    assert "confirmation link to ada@example.test" in all_text(answer)
    member = await rt.store.find_member(org.id, "slack", fake_slack.team_id, "UADMIN")
    assert member is not None and member.email is not None
    assert (member.email.source, member.email.confirmed) == ("slack_profile", False)


async def test_without_the_scope_the_member_is_asked_for_the_address(
        slack: SlackSender, fake_slack: FakeSlack, rt: Runtime, org: Organization) -> None:
    fake_slack.users["UADMIN"] = FakeUser(id="UADMIN")  # Slack gives no email without the scope

    answer = await slack.command("email set", user_id="UADMIN")

    assert "Say the address" in all_text(answer)
