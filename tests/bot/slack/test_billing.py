"""``/postflow billing``: an Owner's 15-minute signed link to the hub's billing page, and the
page's answers to valid, expired, tampered and outdated links."""

from __future__ import annotations

import re

from postflow.chatops.billing_link import issue_billing_token
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import add_member
from tests.bot.slack.conftest import HubClient, SlackSender, all_text
from tests.fakes.clock import ManualClock
from tests.fakes.slack_api import FakeSlack

LINK = re.compile(r"http://127\.0\.0\.1:8080(/billing\?token=[^\s)]+)")
FIELD = re.compile(r'name="(token|csrf)" value="([^"]+)"')


async def billing_path(slack: SlackSender, user_id: str = "UOWNER") -> str:
    answer = await slack.command("billing", user_id=user_id)
    assert answer["response_type"] == "ephemeral"
    [path] = set(LINK.findall(all_text(answer)))
    return path


async def test_an_owner_gets_a_link_to_a_page_naming_the_plan_and_limits(
        slack: SlackSender, client: HubClient, org: Organization) -> None:
    path = await billing_path(slack)
    link_page = await client.get(path)
    form = dict(FIELD.findall(await link_page.text()))

    page = await client.post("/billing/open", data=form)

    text = await page.text()
    assert link_page.status == 200 and "Billing of Acme" in await link_page.text()
    assert page.status == 200 and page.content_type == "text/html"
    assert "Billing of Acme" in text and '<strong id="current-plan">Pro</strong>' in text
    assert "0 of 15" in text  # members, connected accounts: usage against the plan's limits
    assert page.headers["Cache-Control"] == "no-store"


async def test_an_admin_is_refused_and_told_it_needs_the_owner(
        slack: SlackSender, org: Organization) -> None:
    answer = await slack.command("billing", user_id="UADMIN")

    assert "Billing needs the Owner role; you are an Admin." in all_text(answer)
    assert "/billing?token=" not in all_text(answer)


async def test_an_expired_link_gets_a_clear_page(slack: SlackSender, client: HubClient,
                                                 clock: ManualClock, org: Organization) -> None:
    path = await billing_path(slack)
    clock.advance(15 * 60 + 1)

    page = await client.get(path)

    text = await page.text()
    assert page.status == 401 and "This billing link has expired" in text
    assert "Acme" not in text


async def test_a_tampered_link_gets_a_clear_page(slack: SlackSender, client: HubClient,
                                                 rt: Runtime, org: Organization) -> None:
    path = await billing_path(slack)
    forged = issue_billing_token(rt, "org_someone_else", "mem_x").rsplit(".", 1)[0]
    signature = path.rsplit(".", 1)[1]

    for bad in (path[:-2] + ("00" if not path.endswith("00") else "11"),
                f"/billing?token={forged}.{signature}", "/billing?token="):
        page = await client.get(bad)
        assert page.status == 401, bad
        assert "This billing link is not valid." in await page.text()


async def test_a_link_stops_working_when_its_owner_is_demoted(
        slack: SlackSender, client: HubClient, rt: Runtime, org: Organization) -> None:
    path = await billing_path(slack)
    promoted = await slack.command("role <@UADMIN> owner", user_id="UOWNER")
    demoted = await slack.command("role <@UOWNER> admin", user_id="UADMIN")
    assert "now Owner" in all_text(promoted) and "now Admin" in all_text(demoted)

    page = await client.get(path)

    assert page.status == 401 and "no longer an Owner" in await page.text()


async def test_the_page_escapes_the_organizations_name(
        slack: SlackSender, client: HubClient, rt: Runtime, org: Organization) -> None:
    await rt.store.update_organization(org.model_copy(update={"name": "<script>x</script>"}))

    page = await client.get(await billing_path(slack))

    text = await page.text()
    assert "<script>x" not in text and "&lt;script&gt;x" in text


async def test_help_lists_billing_for_owners(slack: SlackSender, org: Organization,
                                             rt: Runtime, fake_slack: FakeSlack) -> None:
    await add_member(rt, org.id, ChatIdentity(platform="slack", workspace_id=fake_slack.team_id,
                                              user_id="UOTHER"), Role.VIEWER, actor="test")

    answer = await slack.command("help", user_id="UOTHER")

    assert "`/postflow billing`" in all_text(answer) and "Needs: Owner" in all_text(answer)
