"""Every HTML page the hub serves sends a strict Content-Security-Policy (no inline script or
style), X-Frame-Options DENY, Referrer-Policy no-referrer and nosniff; every cookie it sets is
HttpOnly, SameSite=Lax, and on https Secure with the ``__Host-`` prefix."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from postflow.chatops.billing_link import billing_url
from postflow.config import Settings
from postflow.organizations import Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_connect import connect_link
from tests.hub import conftest as hub_fixtures
from tests.hub.conftest import HubClient
from tests.hub.connect_page import on_hub
from tests.postflow.chatops import conftest as chatops_fixtures
from tests.postflow.chatops.conftest import Team
from tests.security.every_surface import every_surface_settings

team = chatops_fixtures.team
HEADERS = {"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff"}
INLINE = [re.compile(p, re.IGNORECASE) for p in (
    r"<script(?![^>]*\bsrc=)", r"<style", r"\sstyle=", r"\son[a-z]+=", r"javascript:")]

client, queue, broker = hub_fixtures.client, hub_fixtures.queue, hub_fixtures.broker


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return every_surface_settings(tmp_path / "var")


async def html_pages(client: HubClient, rt: Runtime, team: Team) -> list[aiohttp.ClientResponse]:
    """One answer of each HTML page the hub has, good and refused."""
    [owner] = [m for m in await rt.store.list_members(team.org.id) if m.role is Role.OWNER]
    link = await connect_link(rt, team.org.id, "x", actor="cli")
    answers = [
        await client.get(on_hub(link.url, ""), allow_redirects=False),
        await client.get("/oauth/x/start", params={"state": "forged.1.x"}),
        await client.post("/oauth/x/start", data={"state": "forged", "csrf": "x"}),
        await client.get("/oauth/x/callback", params={"state": "a.1.b", "code": "c"}),
        await client.get("/oauth/x/callback", params={"error": "access_denied"}),
        await client.post("/oauth/facebook/pages", data={"pick": "forged", "account": "1"}),
        await client.get(on_hub(billing_url(rt, team.org.id, owner.id), "")),
        await client.get("/billing", params={"token": "forged"}),
        await client.get("/slack/oauth_redirect", params={"error": "access_denied"}),
    ]
    for answer in answers:
        await answer.read()
    return answers


async def test_every_html_page_sends_the_security_headers(client: HubClient, rt: Runtime,
                                                          team: Team) -> None:
    for page in await html_pages(client, rt, team):
        assert page.content_type == "text/html", page.url
        for name, value in HEADERS.items():
            assert page.headers.get(name) == value, (page.url, name)
        policy = [d.strip() for d in page.headers["Content-Security-Policy"].split(";")]
        assert "default-src 'self'" in policy, page.url
        assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy


async def test_no_page_holds_inline_script_or_style(client: HubClient, rt: Runtime,
                                                    team: Team) -> None:
    for page in await html_pages(client, rt, team):
        html = await page.text()
        for pattern in INLINE:
            assert not pattern.search(html), (page.url, pattern.pattern)


def test_no_template_holds_inline_script_or_style() -> None:
    templates = sorted((Path(__file__).resolve().parents[2] / "templates").glob("*.html"))
    assert templates
    for template in templates:
        source = template.read_text()
        for pattern in INLINE:
            assert not pattern.search(source), (template.name, pattern.pattern)


async def test_the_stylesheet_pages_link_to_is_served_from_the_hub(
        client: HubClient, rt: Runtime, team: Team) -> None:
    sheets = set()
    for page in await html_pages(client, rt, team):
        sheets.update(re.findall(r'<link rel="stylesheet" href="([^"]+)"', await page.text()))
    assert sheets
    for sheet in sheets:
        answer = await client.get(sheet)
        assert answer.status == 200 and answer.content_type == "text/css"


async def test_json_answers_and_redirects_send_them_too(client: HubClient) -> None:
    for answer in (await client.get("/healthz"), await client.get("/nothing-here"),
                   await client.get("/slack/install", allow_redirects=False)):
        for name, value in HEADERS.items():
            assert answer.headers.get(name) == value, (answer.url, name)


async def test_every_cookie_is_a_secure_host_cookie_on_https(client: HubClient, rt: Runtime,
                                                             team: Team) -> None:
    link = await connect_link(rt, team.org.id, "x", actor="cli")
    page = await client.get(on_hub(link.url, ""), allow_redirects=False)
    install = await client.get("/slack/install", allow_redirects=False)
    cookies = [*page.headers.getall("Set-Cookie", []), *install.headers.getall("Set-Cookie", [])]

    assert len(cookies) == 2
    for cookie in cookies:
        attributes = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert cookie.startswith("__Host-"), cookie
        assert {"secure", "httponly", "samesite=lax", "path=/"} <= attributes, cookie
        assert not any(a.startswith("domain=") for a in attributes), cookie
