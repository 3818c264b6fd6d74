"""The page an invitation's link opens: it spends nothing (a link preview accepts nothing);
its forms work from the browser that opened it, once; an Owner joining by email gets to the
billing page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from postflow.invitations import InvitationStatus
from postflow.mailing.invitations import SentInvitation, invite
from postflow.organizations import Organization, Role
from postflow.runtime import Runtime
from tests.hub.conftest import HubClient

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def invited(rt: Runtime, org: Organization, role: Role = Role.ADMIN) -> SentInvitation:
    return await invite(rt, org, "ada@example.test", role, inviter_role=Role.OWNER,
                        actor="cli")


async def open_page(client: HubClient, sent: SentInvitation) -> dict[str, str]:
    """Open the link; the form fields its page carries."""
    answer = await client.get(path_of(sent.url))
    text = await answer.text()
    assert answer.status == 200, text
    token, csrf = TOKEN.search(text), CSRF.search(text)
    assert token is not None and csrf is not None
    return {"token": token.group(1), "csrf": csrf.group(1)}


async def test_opening_the_link_names_the_organization_and_role_and_spends_nothing(
        rt: Runtime, client: HubClient, org: Organization) -> None:
    sent = await invited(rt, org)

    for _ in range(2):  # a link preview, then the person
        answer = await client.get(path_of(sent.url))
        text = await answer.text()
        assert answer.status == 200 and "Acme" in text and "Admin" in text
        assert answer.headers["Cache-Control"] == "no-store"

    assert await rt.store.count_members(org.id) == 0
    assert (await rt.store.get_invitation(org.id, sent.invitation.id)).status \
        is InvitationStatus.PENDING


async def test_the_accept_form_joins_with_the_role(rt: Runtime, client: HubClient,
                                                   org: Organization) -> None:
    sent = await invited(rt, org)
    fields = await open_page(client, sent)

    answer = await client.post("/invitations/accept", data={**fields, "name": "Ada L."})

    assert answer.status == 200 and "You are now Admin of Acme" in await answer.text()
    [member] = await rt.store.list_members(org.id)
    assert (member.role, member.display_name, member.identity.platform) == (
        Role.ADMIN, "Ada L.", "email")


async def test_the_accept_form_works_once(rt: Runtime, client: HubClient,
                                          org: Organization) -> None:
    sent = await invited(rt, org)
    fields = await open_page(client, sent)
    await client.post("/invitations/accept", data=fields)

    again = await client.post("/invitations/accept", data=fields)

    assert again.status == 401 and "accepted already" in await again.text()
    assert await rt.store.count_members(org.id) == 1


async def test_the_accept_form_without_the_browsers_cookie_is_refused(
        rt: Runtime, client: HubClient, org: Organization) -> None:
    sent = await invited(rt, org)
    fields = await open_page(client, sent)
    client.session.cookie_jar.clear()

    answer = await client.post("/invitations/accept", data=fields)

    assert answer.status == 403
    assert await rt.store.count_members(org.id) == 0


async def test_a_forged_link_is_refused(client: HubClient) -> None:
    answer = await client.get("/invitations/accept?token=abc.123.def")

    assert answer.status == 401 and "not valid" in await answer.text()


async def test_the_code_form_gives_a_join_command(rt: Runtime, client: HubClient,
                                                  org: Organization) -> None:
    sent = await invited(rt, org)
    fields = await open_page(client, sent)

    answer = await client.post("/invitations/join-code", data=fields)

    text = await answer.text()
    assert answer.status == 200
    assert re.search(r"/postflow join [2-9A-Z]{5}-[2-9A-Z]{5}", text)
    assert await rt.store.count_members(org.id) == 0


async def test_an_owner_joining_by_email_opens_the_billing_page(
        rt: Runtime, client: HubClient, org: Organization) -> None:
    sent = await invited(rt, org, Role.OWNER)
    fields = await open_page(client, sent)
    welcome = await client.post("/invitations/accept", data=fields)
    billing = re.search(r'href="([^"]*/billing\?token=[^"]+)"', await welcome.text())
    assert billing is not None

    opened = await client.get(path_of(billing.group(1).replace("&amp;", "&")))
    text = await opened.text()
    page_fields = {"token": TOKEN.search(text).group(1),  # type: ignore[union-attr]
                   "csrf": CSRF.search(text).group(1)}  # type: ignore[union-attr]
    session = await client.post("/billing/open", data=page_fields, allow_redirects=False)

    assert opened.status == 200 and "Billing of Acme" in text
    assert session.status == 303
