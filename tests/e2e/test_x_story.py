"""Issue 5's story against the real hub on loopback with the embedded worker: ``/postflow connect
x`` in Slack -> the link -> OAuth on the fake X (with the browser's cookie) -> the account stored
-> a post composed with an image uploaded in the form -> approved -> published on the fake X with
the image uploaded and attached -> the "is live" notice with its link in the review card's
thread."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from postflow.config import Settings
from postflow.media import media_id_of
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.e2e.test_slack_story import (
    CHANNEL,
    SIGNING_SECRET,
    Slack,
    approval,
    fake_slack,  # noqa: F401  (the fixture)
    form_values,
    message_text,
)
from tests.fakes.media_files import png_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields
from tests.hub.connect_page import consent_location
from tests.workers.scenario import eventually, post_in_status

PUBLIC_URL = "http://127.0.0.1:8080"  # what links say; the hub listens elsewhere


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake_slack: FakeSlack,  # noqa: F811
             fake_x: FakeX) -> Settings:
    """Single-workspace Slack on the fake Web API and X on the fake X."""
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url=PUBLIC_URL, slack_signing_secret=SIGNING_SECRET,
                    slack_bot_token=fake_slack.bot_token, slack_api_url=fake_slack.api_url,
                    **x_settings_fields(fake_x))


def on_hub(url: str, hub_url: str) -> str:
    """``url`` (a public PostFlow URL) on the hub's real loopback address."""
    parts = urlsplit(url)
    return f"{hub_url}{parts.path}?{parts.query}"


async def connect_in_browser(link: str, hub_url: str) -> str:
    """What a browser does with the link: its page's Continue -> X's consent -> the callback,
    one cookie jar throughout (unsafe: the hub is an IP address). The final page's text."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as browser:
        consent = await consent_location(browser, hub_url, link)
        async with browser.get(consent, allow_redirects=False) as consented:
            assert consented.status == 302
            callback = consented.headers["Location"]
        async with browser.get(on_hub(callback, hub_url)) as page:
            body = await page.text()
            assert page.status == 200, body
            return body


async def test_an_x_account_connected_from_slack_publishes_an_uploaded_image(
        embedded: str, live_rt: Runtime, fake_slack: FakeSlack,  # noqa: F811
        fake_x: FakeX) -> None:
    slack = Slack(embedded, fake_slack)
    assert "Owner" in await slack.command("help", "UOWNER")
    found = await live_rt.store.find_workspace("slack", fake_slack.team_id)
    assert found is not None
    for user_id, role in (("UADA", "admin"), ("UMO", "member")):
        async def given(text: str = f"role <@{user_id}> {role}") -> bool:
            return "is now" in await slack.command(text, "UOWNER")

        await eventually(given, what=f"{user_id} becoming {role}")
    await slack.command("settings review-channel here", "UOWNER")

    # /postflow connect x -> the single-use link -> OAuth on the fake X.
    answer = await slack.command("connect x", "UOWNER")
    # The answer holds the link in its text and its blocks: one link.
    [link] = set(re.findall(r"https?://[\w.:]+/oauth/x/start\?state=[\w.\-~%]+", answer))
    page = await connect_in_browser(link, embedded)
    assert "@acme_dev is connected" in page
    [connection] = await live_rt.store.list_connections(found.org_id, "x")
    assert connection.account_id == fake_x.user_id

    # /postflow new -> the form with an image in the file field -> submitted for review.
    await slack.command("new", "UMO")
    opened = await eventually(lambda: fake_slack.calls_to("views.open") or None,
                              what="the modal")
    view = opened[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    image = png_of(800, 600)
    values: dict[str, Any] = form_values("Our launch, in pictures", connection.id)
    values["media_files"] = {"postflow-compose:media_files": {"type": "file_input", "files": [
        fake_slack.add_file("F0LAUNCH", "launch.png", "image/png", image)]}}
    await slack.interaction({"type": "view_submission", "view": {
        "id": "V0001", "type": "modal", "callback_id": "postflow-compose",
        "private_metadata": view["private_metadata"], "blocks": view["blocks"],
        "state": {"values": values}}}, "UMO")

    async def created() -> list[Post] | None:
        return await live_rt.store.list_posts(found.org_id) or None

    [post] = await eventually(created, what="the post")
    assert post.status is PostStatus.IN_REVIEW
    assert [m.media_id for m in post.media] == [media_id_of(image)]
    assert fake_slack.file_downloads == [fake_slack.bot_token]

    # Approved by an Admin -> published on the fake X with the image uploaded and attached.
    await eventually(lambda: [c for c in fake_slack.calls_to("chat.postMessage")
                              if c.params.get("channel") == CHANNEL
                              and "postflow-review:approve" in message_text(c.params)] or None,
                     what="the review card")
    review = await live_rt.store.find_review_for_post(found.org_id, post.id)
    assert review is not None
    press = approval(review.id, "UADA")
    press["response_url"] = fake_slack.response_url("approve-UADA")
    await slack.interaction(press, "UADA")
    done = await post_in_status(live_rt, post, PostStatus.PUBLISHED, PostStatus.FAILED,
                                timeout=20)
    assert done.status is PostStatus.PUBLISHED, done.targets
    [tweet] = fake_x.tweets
    assert tweet["text"] == "Our launch, in pictures"
    [media_id] = tweet["media_ids"]
    assert fake_x.media[media_id]["data"] == image

    # The "is live" notice, with the post's link, in the review card's thread.
    reviewed = await live_rt.store.find_review_for_post(found.org_id, post.id)
    assert reviewed is not None and reviewed.message is not None
    card_ts = reviewed.message.message_id

    def live_in_thread() -> list[str] | None:
        return [message_text(c.params) for c in fake_slack.calls_to("chat.postMessage")
                if c.params.get("channel") == CHANNEL and c.params.get("thread_ts") == card_ts
                and "is live" in message_text(c.params)] or None

    notices = await eventually(live_in_thread, timeout=20,
                               what="the is-live notice in the card's thread")
    assert any(tweet["id"] in text for text in notices), notices
