"""Disconnecting an account: tokens forgotten, posts and queue kept, and a reconnect of the same
account through the OAuth flow brings the same connection back."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from postflow.config import Settings
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import LimitReached
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus, TargetStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox, disconnect_connection, open_tokens
from postflow.usecases.dispatch import claim_post
from postflow.usecases.oauth_connect import (
    begin_consent,
    connect_link,
    finish_consent,
    link_csrf_token,
)
from postflow.usecases.oauth_states import new_browser_key
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.queues import queue_settings_for, set_queue_settings
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.x_api import FakeX, running_fake_x, x_settings_fields


@pytest.fixture
async def fake_x() -> AsyncIterator[FakeX]:
    async with running_fake_x() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, fake_x: FakeX) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    http_port=0, public_url="http://127.0.0.1:8080", **x_settings_fields(fake_x))


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


async def connect_x(rt: Runtime, org: Organization) -> Connection:
    """The whole OAuth flow as the hub runs it: link -> consent at the fake X -> callback."""
    link = await connect_link(rt, org.id, "x", actor="cli")
    link_state = parse_qs(urlsplit(link.url).query)["state"][0]
    browser = new_browser_key()
    redirect = await begin_consent(rt, "x", link_state, browser_key=browser,
                                   csrf_token=link_csrf_token(rt, link_state, browser))
    async with aiohttp.ClientSession() as session, session.get(
            redirect.url, allow_redirects=False) as answer:
        back = parse_qs(urlsplit(answer.headers["Location"]).query)
    outcome = await finish_consent(rt, "x", back["state"][0], back["code"][0],
                                   browser_key=browser)
    return outcome.connection


async def schedule(rt: Runtime, org: Organization, connection: Connection,
                   in_hours: float = 2, text: str = "Hello") -> Post:
    return await submit_post(rt, org.id, PostRequest(
        text=text, targets=[connection.id],
        schedule_at=rt.clock.now() + timedelta(hours=in_hours)),
        source=PostSource(kind="cli"), actor="cli", review_required=False)


async def test_disconnecting_forgets_the_tokens_and_marks_the_connection(
        rt: Runtime, org: Organization) -> None:
    conn = await connect_sandbox(rt, org.id, "demo", actor="cli")

    done = await disconnect_connection(rt, org.id, conn.id, actor="cli")

    stored = await rt.store.get_connection(org.id, conn.id)
    assert done.connection == stored and not done.already
    assert stored.status is ConnectionStatus.DISCONNECTED
    assert stored.sealed_tokens is None and stored.token_expires_at is None
    assert open_tokens(rt, stored).access_token.get_secret_value() == ""


async def test_a_disconnect_is_audited_once_with_who_did_it(rt: Runtime,
                                                           org: Organization) -> None:
    conn = await connect_sandbox(rt, org.id, "demo", actor="cli")

    await disconnect_connection(rt, org.id, conn.id, actor="slack:T1:U1")
    again = await disconnect_connection(rt, org.id, conn.id, actor="cli")

    assert again.already
    [event] = [e for e in await rt.store.list_audit(org.id)
               if e.action == "connection.disconnected"]
    assert (event.actor, event.subject_id) == ("slack:T1:U1", conn.id)


async def test_scheduled_posts_and_queue_settings_stay(rt: Runtime, org: Organization) -> None:
    conn = await connect_sandbox(rt, org.id, "demo", actor="cli")
    queue = await set_queue_settings(rt, org.id, conn.id, slots=[(0, "09:00"), (2, "13:00")],
                                     timezone="Europe/Paris", max_per_day=2, max_per_week=None,
                                     actor="cli")
    post = await schedule(rt, org, conn)

    done = await disconnect_connection(rt, org.id, conn.id, actor="cli")

    assert done.waiting_posts == 1
    kept = await rt.store.get_post(org.id, post.id)
    assert (kept.status, kept.version) == (PostStatus.SCHEDULED, post.version)
    assert await queue_settings_for(rt, org.id, conn.id) == queue


async def test_a_post_due_while_disconnected_fails_asking_for_a_reconnect_without_a_call(
        rt: Runtime, org: Organization) -> None:
    conn = await connect_sandbox(rt, org.id, "demo", actor="cli")
    post = await schedule(rt, org, conn, in_hours=0)
    await disconnect_connection(rt, org.id, conn.id, actor="cli")
    claimed = await claim_post(rt, await rt.store.get_post(org.id, post.id))
    assert claimed is not None

    await PostPublisher(rt, random.Random(7)).run(org.id, post.id,
                                                  expected_version=claimed.version,
                                                  trigger="scheduler")

    done = await rt.store.get_post(org.id, post.id)
    target = done.target(conn.id)
    assert done.status is PostStatus.FAILED and target.status is TargetStatus.FAILED
    assert target.error_message is not None and "reconnect" in target.error_message
    assert await rt.store.find_sandbox_posts(conn.id) == []


async def test_a_disconnected_account_no_longer_counts_against_the_plan(
        rt: Runtime, org: Organization) -> None:
    conn = await connect_sandbox(rt, org.id, "one", actor="cli")
    await disconnect_connection(rt, org.id, conn.id, actor="cli")

    assert await rt.store.count_connections(org.id) == 0


async def test_reconnecting_through_oauth_brings_back_the_same_connection_with_its_posts(
        rt: Runtime, org: Organization, fake_x: FakeX) -> None:
    first = await connect_x(rt, org)
    queue = await set_queue_settings(rt, org.id, first.id, slots=[(1, "10:00")],
                                     timezone="America/New_York", max_per_day=None,
                                     max_per_week=3, actor="cli")
    post = await schedule(rt, org, first)
    await disconnect_connection(rt, org.id, first.id, actor="cli")

    again = await connect_x(rt, org)

    assert again.id == first.id
    assert again.status is ConnectionStatus.ACTIVE
    assert open_tokens(rt, again).access_token.get_secret_value() in fake_x.access_tokens
    assert [c.id for c in await rt.store.list_connections(org.id)] == [first.id]
    kept = await rt.store.get_post(org.id, post.id)
    assert kept.status is PostStatus.SCHEDULED and kept.targets[0].connection_id == first.id
    assert await queue_settings_for(rt, org.id, first.id) == queue
    actions = [e.action for e in await rt.store.list_audit(org.id)
               if e.subject_id == first.id and e.action.startswith("connection.")]
    assert actions == ["connection.added", "connection.disconnected",
                       "connection.reconnected"]


async def test_a_reconnect_without_a_refresh_token_does_not_bring_back_an_erased_one(
        rt: Runtime, org: Organization, fake_x: FakeX) -> None:
    first = await connect_x(rt, org)
    assert open_tokens(rt, first).refresh_token is not None
    await disconnect_connection(rt, org.id, first.id, actor="cli")
    fake_x.omit_refresh_token = True

    again = await connect_x(rt, org)

    tokens = open_tokens(rt, again)
    assert tokens.refresh_token is None
    assert tokens.access_token.get_secret_value() in fake_x.access_tokens


async def test_reconnecting_a_disconnected_account_counts_against_the_plan_again(
        rt: Runtime, org: Organization) -> None:
    first = await connect_x(rt, org)
    await disconnect_connection(rt, org.id, first.id, actor="cli")
    for name in ("one", "two", "three"):
        await connect_sandbox(rt, org.id, name, actor="cli")

    with pytest.raises(LimitReached):
        await connect_x(rt, org)

    stored = await rt.store.get_connection(org.id, first.id)
    assert stored.status is ConnectionStatus.DISCONNECTED
