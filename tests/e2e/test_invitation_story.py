"""The invitation story end to end in embedded mode (``postflow up``), mail through a real SMTP
server on loopback (``POSTFLOW_SMTP_URL``): an Admin is invited by email, the mail arrives with
the accept link, the link's page (opened twice, as by a link preview) then its form make an
email-only Admin, and the spent link is refused after."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import aiohttp
import pytest
from pydantic import SecretStr

from postflow.config import Settings
from postflow.mailing.invitations import invite
from postflow.organizations import Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization
from tests.fakes.smtp_server import RecordingHandler, start_smtp_server
from tests.polling import eventually

FIELD = r'name="{}" value="([^"]+)"'


@pytest.fixture
def smtp() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    controller = start_smtp_server(handler)
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def e2e_settings(e2e_settings: Settings, smtp: tuple[RecordingHandler, int]) -> Settings:
    e2e_settings.smtp_url = SecretStr(f"smtp://127.0.0.1:{smtp[1]}")
    e2e_settings.email_from = "PostFlow <postflow@example.test>"
    return e2e_settings


async def received(handler: RecordingHandler) -> EmailMessage:
    async def one() -> EmailMessage | None:
        if not handler.received:
            return None
        message = message_from_bytes(handler.received[0].data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message

    return await eventually(one, timeout=10, what="the invitation mail")


async def test_invited_by_email_the_person_accepts_through_the_link_and_is_a_member(
        live_rt: Runtime, embedded: str, smtp: tuple[RecordingHandler, int]) -> None:
    org = await create_organization(live_rt, "Acme", actor="test")
    await invite(live_rt, org, "ada@example.test", Role.ADMIN, inviter_role=Role.OWNER,
                 actor="cli")

    message = await received(smtp[0])
    assert message["To"] == "ada@example.test" and "Acme" in message["Subject"]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"http://\S+/invitations/accept\?token=\S+", text)
    assert link is not None
    parts = urlsplit(link.group(0))

    async with aiohttp.ClientSession(embedded,
                                     cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.get(f"{parts.path}?{parts.query}") as preview:
            assert preview.status == 200
        async with browser.get(f"{parts.path}?{parts.query}") as page:
            html = await page.text()
            assert page.status == 200 and "Acme" in html and "Admin" in html
        assert await live_rt.store.count_members(org.id) == 0
        form = {name: re.search(FIELD.format(name), html).group(1)  # type: ignore[union-attr]
                for name in ("token", "csrf")}
        async with browser.post("/invitations/accept", data={**form, "name": "Ada"}) as done:
            assert done.status == 200 and "You are now Admin of Acme" in await done.text()
        async with browser.get(f"{parts.path}?{parts.query}") as spent:
            assert spent.status == 401 and "accepted already" in await spent.text()

    [member] = await live_rt.store.list_members(org.id)
    assert (member.role, member.identity.platform, member.identity.user_id) == (
        Role.ADMIN, "email", "ada@example.test")
    assert member.email is not None and member.email.confirmed
