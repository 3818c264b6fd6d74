"""Publish outcomes told in Slack: the publish use case driven with a scripted provider, the
fake Slack Web API recording the notification-channel message and the author's DM."""

from __future__ import annotations

import random

import pytest

from bot.slack.notice_sink import SlackNoticeSink
from composition.worker import install_worker_runtime
from postflow.config import Settings
from postflow.connections import Connection, ConnectionStatus
from postflow.notices.router import NoticeRouter
from postflow.organizations import ChatChannel, Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.providers import ErrorKind, ProviderError
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.dispatch import claim_post
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with
from tests.fakes.slack_api import FakeSlack, SlackCall
from workers import worker_runtime

NOTIFY = "CNOTIFY"


@pytest.fixture
async def notified_org(rt: Runtime, org: Organization, fake_slack: FakeSlack) -> Organization:
    """The org with a Slack notification channel."""
    updated = org.model_copy(update={"notification_channel": ChatChannel(
        platform="slack", workspace_id=fake_slack.team_id, channel_id=NOTIFY)})
    await rt.store.update_organization(updated)
    return updated


async def published_by_member(rt: Runtime, org: Organization, provider: ScriptedProvider,
                              accounts: int = 1) -> tuple[Post, list[Connection]]:
    srt = runtime_with(rt, provider)
    connections = []
    for n in range(accounts):
        account = await provider.exchange_code(code=f"acme-{n}", redirect_uri="",
                                               code_verifier="")
        connections.append(await add_connection(srt, org.id, "scripted", account, actor="cli"))
    post = await submit_post(srt, org.id, PostRequest(text="Launch day!",
                                                      targets=[c.id for c in connections]),
                             source=PostSource(kind="slack"), actor="slack:T0001:UMEMBER",
                             review_required=False)
    claimed = await claim_post(srt, post)
    assert claimed is not None
    await PostPublisher(srt, random.Random(7)).run(org.id, post.id,
                                                   expected_version=claimed.version,
                                                   trigger="scheduler")
    return await rt.store.get_post(org.id, post.id), connections


def messages(fake: FakeSlack, channel: str) -> list[SlackCall]:
    return [c for c in fake.calls_to("chat.postMessage") if c.params["channel"] == channel]


async def test_a_published_post_is_told_in_the_channel_and_to_its_author_with_its_link(
        rt: Runtime, notified_org: Organization, fake_slack: FakeSlack) -> None:
    post, _ = await published_by_member(rt, notified_org, ScriptedProvider())

    assert post.status is PostStatus.PUBLISHED
    [notice] = messages(fake_slack, NOTIFY)
    assert notice.token == fake_slack.bot_token
    text = notice.params["text"]
    assert text.startswith(f":white_check_mark: Post `{post.id}` by <@UMEMBER> is live")
    assert "acme-0 (scripted): https://scripted.test/p1" in text
    [opened] = fake_slack.calls_to("conversations.open")
    assert opened.params["users"] == "UMEMBER"
    [dm] = messages(fake_slack, "DUMEMBER")
    assert dm.params["text"] == text


async def test_a_failed_post_says_the_cause_in_plain_words_not_the_platforms_answer(
        rt: Runtime, notified_org: Organization, fake_slack: FakeSlack) -> None:
    refusal = ProviderError(ErrorKind.BAD_INPUT, "The text repeats an earlier post.",
                            platform_code="187", raw='{"errors":[{"code":187}]}')
    post, _ = await published_by_member(rt, notified_org,
                                        ScriptedProvider(publish_answers=[refusal]))

    assert post.status is PostStatus.FAILED
    [notice] = messages(fake_slack, NOTIFY)
    text = notice.params["text"]
    assert text.startswith(f":x: Post `{post.id}` by <@UMEMBER> was not published")
    assert ("not published, the network refused the content: The text repeats an earlier "
            "post.") in text
    assert "`/postflow list failed`" in text
    assert "errors" not in text and "187" not in text
    # The network's own code is folded away under the notice, small, for support.
    [context] = [b for b in notice.params["blocks"] if b["type"] == "context"]
    assert context["elements"][0]["text"] == "Network codes, for support: acme-0 (scripted): 187"
    assert len(messages(fake_slack, "DUMEMBER")) == 1


async def test_a_partly_published_post_lists_each_account(
        rt: Runtime, notified_org: Organization, fake_slack: FakeSlack) -> None:
    provider = ScriptedProvider(publish_answers=[
        "publish", ProviderError(ErrorKind.RECONNECT, "Token revoked.")])
    post, connections = await published_by_member(rt, notified_org, provider, accounts=2)

    assert post.status is PostStatus.PARTIAL
    [notice] = [m for m in messages(fake_slack, NOTIFY) if "Post `" in m.params["text"]]
    text = notice.params["text"]
    assert text.startswith(f":warning: Post `{post.id}` by <@UMEMBER> went out on 1 of 2")
    assert "acme-0 (scripted): https://scripted.test/p1" in text
    assert "acme-1 (scripted): not published, PostFlow's access to the account was revoked" in text
    # The revoked account is also said once, in the channel only.
    [reconnect] = [m for m in messages(fake_slack, NOTIFY) if ":electric_plug:" in m.params["text"]]
    assert "The scripted account acme-1 needs reconnecting" in reconnect.params["text"]
    stored = await rt.store.get_connection(notified_org.id, connections[1].id)
    assert stored.status is ConnectionStatus.NEEDS_RECONNECT


async def test_without_a_channel_only_the_author_is_told(
        rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await published_by_member(rt, org, ScriptedProvider())

    sent = fake_slack.calls_to("chat.postMessage")
    assert [c.params["channel"] for c in sent] == ["DUMEMBER"]


async def test_the_worker_runtime_notifies_through_slack(
        settings: Settings, clock: ManualClock, fake_slack: FakeSlack) -> None:
    install_worker_runtime(settings, clock=clock)
    try:
        wrt = await worker_runtime.get_runtime()
        assert isinstance(wrt.notices, NoticeRouter)
        assert any(isinstance(sink, SlackNoticeSink) for sink in wrt.notices.sinks)
    finally:
        await worker_runtime.close_runtime()
        worker_runtime.uninstall()
