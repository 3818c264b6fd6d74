"""Media uploaded in the composer (``file_input``): downloaded from Slack with the bot token, only
from Slack's file host, checked, stored once and attached to the post by media id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from postflow.config import Settings
from postflow.connections import Connection
from postflow.media import media_id_of
from postflow.organizations import Organization
from postflow.posts import Post
from postflow.providers import ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection, connect_sandbox
from postflow.usecases.media_ledger import stored_media_bytes
from tests.bot.slack.conftest import SlackSender
from tests.bot.slack.test_composer import opened_view, submission, values
from tests.fakes.media_files import png_of
from tests.fakes.slack_api import FakeSlack
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, fake_x: FakeX) -> Settings:
    """The Slack settings of tests/bot/slack, with X (which uploads media) on the fake."""
    return settings.model_copy(update=x_settings_fields(fake_x))


async def connect_x(rt: Runtime, org: Organization) -> Connection:
    tokens = TokenSet(access_token="x-access", scopes=["tweet.write", "media.write"])
    return await add_connection(rt, org.id, "x", ConnectedAccount(
        account_id="2244994945", display_name="acme_dev", tokens=tokens), actor="test")


async def open_composer(slack: SlackSender, rt: Runtime, org: Organization,
                        connection: Connection) -> dict[str, Any]:
    response = await slack.post(slack.command_body("new", user_id="UMEMBER"))
    assert response.status == 200
    return opened_view(slack.fake)


def with_files(state: dict[str, Any], *files: dict[str, Any]) -> dict[str, Any]:
    state["media_files"] = {"postflow-compose:media_files": {"type": "file_input",
                                                             "files": list(files)}}
    return state


async def submit(slack: SlackSender, opened: dict[str, Any], state: dict[str, Any]) -> Any:
    response = await slack.post(submission(slack, opened, state, "UMEMBER"))
    assert response.status == 200
    text = await response.text()
    return json.loads(text) if text else None


async def only_post(rt: Runtime, org: Organization) -> Post | None:
    posts = await rt.store.list_posts(org.id)
    assert len(posts) <= 1
    return posts[0] if posts else None


async def test_the_modal_offers_a_file_field_for_images_and_video(
        slack: SlackSender, rt: Runtime, org: Organization) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)

    [block] = [b for b in opened["blocks"] if b.get("block_id") == "media_files"]
    element = block["element"]
    assert block["type"] == "input" and block["optional"] is True
    assert element["type"] == "file_input"
    assert element["max_files"] == 4
    assert {"png", "jpg", "gif", "mp4"} <= set(element["filetypes"])


async def test_an_uploaded_image_is_downloaded_with_the_bot_token_stored_and_attached(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    image = png_of(640, 480)
    uploaded = fake_slack.add_file("F0001", "launch.png", "image/png", image)

    answer = await submit(slack, opened, with_files(values("Launch!", (conn.id,)), uploaded))

    assert answer is None or "errors" not in answer, answer
    post = await only_post(rt, org)
    assert post is not None
    [ref] = post.media
    assert ref.media_id == media_id_of(image)
    assert (ref.content_type, ref.size) == ("image/png", len(image))
    assert await rt.media_store.read(ref.media_id) == image  # type: ignore[union-attr]
    assert fake_slack.file_downloads == [fake_slack.bot_token]


async def test_the_same_file_twice_is_stored_once(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    image = png_of(32, 32)
    first = fake_slack.add_file("F0001", "a.png", "image/png", image)
    second = fake_slack.add_file("F0002", "b.png", "image/png", image)

    await submit(slack, opened, with_files(values("Twice", (conn.id,)), first, second))

    post = await only_post(rt, org)
    assert post is not None
    assert [m.media_id for m in post.media] == [media_id_of(image)] * 2
    assert await stored_media_bytes(rt, org.id) == len(image)  # held, and counted, once


async def test_a_file_url_off_slacks_host_is_refused_and_gets_no_token(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploaded = fake_slack.add_file("F0001", "launch.png", "image/png", png_of(8, 8))
    uploaded["url_private_download"] = "http://localhost:9/steal/launch.png"

    answer = await submit(slack, opened, with_files(values("Hi", (conn.id,)), uploaded))

    assert answer["response_action"] == "errors"
    assert "not served by Slack" in answer["errors"]["media_files"]
    assert await only_post(rt, org) is None
    assert fake_slack.file_downloads == []


async def test_a_redirect_off_slacks_host_is_not_followed(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploaded = fake_slack.add_file("F0001", "launch.png", "image/png", png_of(8, 8))
    fake_slack.file_redirects["F0001"] = "http://localhost:9/elsewhere.png"

    answer = await submit(slack, opened, with_files(values("Hi", (conn.id,)), uploaded))

    assert "not served by Slack" in answer["errors"]["media_files"]
    assert len(fake_slack.file_downloads) == 1  # the first hop only
    assert await only_post(rt, org) is None


async def test_a_login_page_instead_of_the_file_is_an_error_under_the_field(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploaded = fake_slack.add_file("F0001", "launch.png", "image/png", png_of(8, 8))
    fake_slack.bot_token = "xoxb-rotated"  # the token PostFlow holds no longer opens files

    answer = await submit(slack, opened, with_files(values("Hi", (conn.id,)), uploaded))

    message = answer["errors"]["media_files"]
    assert "files:read" in message and "xoxb" not in message
    assert await only_post(rt, org) is None


async def test_bytes_that_are_not_the_declared_image_are_refused(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploaded = fake_slack.add_file("F0001", "launch.png", "image/png", b"not a png at all")

    answer = await submit(slack, opened, with_files(values("Hi", (conn.id,)), uploaded))

    assert "launch.png" in answer["errors"]["media_files"]
    assert await only_post(rt, org) is None


async def test_a_file_larger_than_the_limit_is_refused_before_downloading(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploaded = fake_slack.add_file("F0001", "huge.mp4", "video/mp4", b"x")
    uploaded["size"] = rt.settings.media_max_bytes + 1

    answer = await submit(slack, opened, with_files(values("Hi", (conn.id,)), uploaded))

    assert "larger than" in answer["errors"]["media_files"]
    assert fake_slack.file_downloads == []


async def test_a_document_is_refused_before_downloading(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploaded = fake_slack.add_file("F0001", "plan.pdf", "application/pdf", b"%PDF-1.4")

    answer = await submit(slack, opened, with_files(values("Hi", (conn.id,)), uploaded))

    assert "plan.pdf is application/pdf" in answer["errors"]["media_files"]
    assert fake_slack.file_downloads == []


async def test_an_upload_for_a_network_that_takes_urls_only_is_refused(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    sandbox = await connect_sandbox(rt, org.id, "acme", actor="test")
    opened = await open_composer(slack, rt, org, sandbox)
    uploaded = fake_slack.add_file("F0001", "a.png", "image/png", png_of(8, 8))

    answer = await submit(slack, opened, with_files(values("Hi", (sandbox.id,)), uploaded))

    assert "by public URL only" in answer["errors"]["media_files"]
    assert fake_slack.file_downloads == []


async def test_more_files_than_the_networks_take_are_refused_before_downloading(
        slack: SlackSender, rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    conn = await connect_x(rt, org)
    opened = await open_composer(slack, rt, org, conn)
    uploads = [fake_slack.add_file(f"F000{i}", f"{i}.png", "image/png", png_of(8 + i, 8))
               for i in range(5)]

    answer = await submit(slack, opened, with_files(values("Five", (conn.id,)), *uploads))

    assert "at most 4" in answer["errors"]["media_files"]
    assert fake_slack.file_downloads == []
