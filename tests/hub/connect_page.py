"""What a browser does with a connect link: open its page, press Continue, follow the network.

The page names the organization, the network and who asked; its Continue form (a POST with a
CSRF token) sends the browser on to the network's consent screen.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import aiohttp

FORM = re.compile(r'<form method="post" action="([^"]*)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def on_hub(url: str, hub_url: str) -> str:
    """``url`` (a public PostFlow URL) on the hub's real loopback address."""
    parts = urlsplit(url)
    return f"{hub_url.rstrip('/')}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def continue_form(html: str) -> tuple[str, dict[str, str]]:
    """The Continue form of a connect page: its action and its hidden fields."""
    action = FORM.search(html)
    assert action is not None, html
    return unescape(action.group(1)), {name: unescape(value)
                                       for name, value in HIDDEN.findall(html)}


async def open_link(browser: aiohttp.ClientSession, hub_url: str, link: str) -> str:
    """GET the link: the connect page's HTML (asserting it is one)."""
    async with browser.get(on_hub(link, hub_url), allow_redirects=False) as page:
        html = await page.text()
        assert page.status == 200, html
        return html


async def press_continue(browser: aiohttp.ClientSession, hub_url: str,
                         html: str) -> aiohttp.ClientResponse:
    """POST the page's Continue form (not following the redirect); the caller reads it."""
    action, fields = continue_form(html)
    response = await browser.post(on_hub(action, hub_url), data=fields, allow_redirects=False)
    await response.read()
    return response


async def consent_location(browser: aiohttp.ClientSession, hub_url: str, link: str) -> str:
    """Open ``link``, press Continue: where the hub sends the browser (the network's consent)."""
    answer = await press_continue(browser, hub_url, await open_link(browser, hub_url, link))
    assert answer.status == 303, await answer.text()
    return answer.headers["Location"]
