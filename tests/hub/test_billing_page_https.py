"""On an https public URL the billing session's cookie is Secure and ``__Host-`` prefixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from postflow.chatops.billing_link import billing_url
from postflow.config import Settings
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.stripe_setup import BillingKit
from tests.hub.billing_page import (
    CSRF,
    TOKEN,
    Browser,
    Team,
    acme,
    browser,
    kit,
    new_browser,
    server,
)

__all__ = ["acme", "browser", "kit", "new_browser", "server"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="https://postflow.example")


async def test_on_https_the_cookie_is_secure_and_host_prefixed(
        browser: Browser, kit: BillingKit, acme: Team) -> None:
    link_page = await browser.get(billing_url(kit.rt, acme.org.id, acme.owner.id))
    key = link_page.cookies["__Host-postflow_browser"].value
    html = await link_page.text()
    token, csrf = TOKEN.search(html), CSRF.search(html)
    assert token is not None and csrf is not None

    # The client keeps Secure cookies for https only; send the browser key as a browser would.
    answer = await browser.session.post(
        browser.url("/billing/open"), data={"token": token.group(1), "csrf": csrf.group(1)},
        headers={"Cookie": f"__Host-postflow_browser={key}"}, allow_redirects=False)

    assert answer.status == 303
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("__Host-postflow_billing=") and "Secure" in cookie
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Domain" not in cookie and "Path=/" in cookie
