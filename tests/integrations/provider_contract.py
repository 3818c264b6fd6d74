"""The provider contract kit: the same scenarios for every real network, each against its fake.

A network joins the kit with one :class:`NetworkKit` in :data:`KITS` below: how to run its fake
on loopback, build the provider against it, hand out an account the fake accepts, script one
answer on the fake (and what that answer must map to), and count the posts the fake holds.
The scenarios (plain functions taking a running kit) say what every provider owes the core
(``postflow/providers.py``, docs/networks.md *The contract kit*):

- a success is a :class:`PublishResult` with an id and a URL, and exactly one post on the network;
- every documented refusal maps onto the closed :class:`ErrorKind` set, with a plain message that
  never holds a token;
- a success answer without an id is never a publish;
- media that need processing are waited for (pending -> ready) before the post is created,
  and media the network fails to process map to the documented error with nothing posted;
- a crash between the platform call and the store write never makes a second post.

``tests/integrations/test_provider_contract.py`` runs each scenario for each kit.
"""

from __future__ import annotations

import json
import random
import secrets
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from integrations.facebook import FacebookConfig, FacebookProvider
from integrations.linkedin import LinkedInConfig, LinkedInProvider
from integrations.media.local import LocalMediaStore
from integrations.x import XConfig, XProvider
from integrations.x.media import XMediaSettings
from postflow.media import MediaAttachment
from postflow.posts import Post, PostSource, PostStatus, PostTarget, TargetStatus
from postflow.providers import (
    AccountContext,
    ConnectedAccount,
    ErrorKind,
    Provider,
    ProviderError,
    PublishContent,
    PublishResult,
    TokenSet,
)
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.dispatch import claim_post, requeue_stale_posts
from postflow.usecases.organizations import create_organization
from postflow.usecases.publish_post import PostPublisher
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.conftest import TEST_SECRET_KEY
from tests.fakes import facebook_api, linkedin_api, x_api
from tests.fakes.clock import ManualClock
from tests.fakes.recording_queue import RecordingQueue
from tests.fakes.scripted_provider import runtime_with
from tests.integrations.media.conftest import mp4

TEXT = "Contract kit: one post, once."


class Answer(StrEnum):
    """The answers every fake can be told to give to the next post."""

    RATE_LIMITED = "rate_limited"
    EXPIRED_TOKEN = "expired_token"
    DUPLICATE = "duplicate"
    PERMISSION_MISSING = "permission_missing"
    SERVER_ERROR_BEFORE_CREATE = "server_error_before_create"
    SERVER_ERROR_AFTER_CREATE = "server_error_after_create"
    SUCCESS_WITHOUT_ID = "success_without_id"


@dataclass(frozen=True)
class Expected:
    """What the provider must raise for a scripted answer."""

    kind: ErrorKind
    #: Seconds the provider must read from the answer's headers (rate limits only).
    retry_after: float | None = None
    #: The error's ``platform_code``, when the kit pins it (media processing failures).
    platform_code: str | None = None
    #: Words the message must hold (the network's own reason, when it gives one).
    mentions: str | None = None


@dataclass(frozen=True)
class Wait:
    """One wait of the provider while the network processed media: how long, what the fake
    reported then, and how many posts it held."""

    seconds: float
    state: str | None
    posts: int


class NetworkKit(ABC):
    """One network under the kit: its fake, its provider, and how to script answers."""

    network: ClassVar[str]
    #: Why "pending -> ready -> completed" does not apply to this network; None when it does.
    no_processing_flow: ClassVar[str | None] = None
    #: The processing states the fake reports while the provider must wait, then "ready".
    waiting_states: ClassVar[tuple[str, ...]] = ()
    ready_state: ClassVar[str] = ""

    def __init__(self, clock: ManualClock, tmp_path: Path) -> None:
        self.clock = clock
        self.tmp_path = tmp_path
        self.waits: list[Wait] = []
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> NetworkKit:
        await self.start(self._stack)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _sleep(self, seconds: float) -> None:
        """The provider's sleep: recorded with what the fake said at that moment, never slept."""
        self.waits.append(Wait(seconds, self.media_state(), self.posts()))

    @abstractmethod
    async def start(self, stack: AsyncExitStack) -> None:
        """Run the fake (closed by ``stack``) and build :attr:`provider` against it."""

    provider: Provider

    @abstractmethod
    def account(self) -> ConnectedAccount:
        """An account with tokens the fake accepts for posting."""

    @abstractmethod
    def script(self, answer: Answer) -> Expected:
        """Make the fake give ``answer`` to the next post; what the provider must raise.
        (:attr:`Answer.DUPLICATE` needs an earlier post of the same text: the scenario makes
        it.)"""

    @abstractmethod
    def posts(self) -> int:
        """How many posts the fake holds."""

    @abstractmethod
    def post_requests(self) -> int:
        """How many times the fake was asked to create a post (refused ones included)."""

    def media_state(self) -> str | None:
        """The processing state the fake reports for the newest medium, if it has any."""
        return None

    async def processing_content(self) -> PublishContent:
        """Content whose media the network processes before it can be posted."""
        raise NotImplementedError(self.no_processing_flow)

    def processed_media_posted(self) -> bool:
        """Whether the post the fake holds carries the processed medium."""
        raise NotImplementedError(self.no_processing_flow)

    def script_processing_failure(self) -> Expected:
        """Make the fake fail to process the next medium; what the provider must raise."""
        raise NotImplementedError(self.no_processing_flow)

    def context(self, account: ConnectedAccount) -> AccountContext:
        return AccountContext(connection_id="conn_contract", account_id=account.account_id,
                              tokens=account.tokens)


def _tokens(access: str, scopes: list[str]) -> TokenSet:
    return TokenSet.model_validate({"access_token": access, "scopes": scopes})


class XKit(NetworkKit):
    network = "x"
    waiting_states = ("pending", "in_progress")
    ready_state = "succeeded"

    async def start(self, stack: AsyncExitStack) -> None:
        self.fake = await stack.enter_async_context(x_api.running_fake_x())
        self.provider = XProvider(XConfig(
            client_id=self.fake.client_id, client_secret=SecretStr(self.fake.client_secret),
            api_url=self.fake.base_url, authorize_url=self.fake.authorize_url,
            media=XMediaSettings(chunk_bytes=1000)), self.clock, sleep=self._sleep)

    def account(self) -> ConnectedAccount:
        issued = self.fake.issue_tokens(["tweet.read", "tweet.write", "users.read",
                                         "media.write"])
        return ConnectedAccount(account_id=self.fake.user_id, display_name=self.fake.username,
                                tokens=_tokens(issued["access_token"], issued["scope"].split()))

    def script(self, answer: Answer) -> Expected:
        fake, now = self.fake, self.clock.now().timestamp()
        if answer is Answer.RATE_LIMITED:
            reset = int(now) + 900
            fake.tweet_script.append(x_api.Scripted(429, {"title": "Too Many Requests",
                                                          "status": 429, "detail": "Too Many "
                                                          "Requests", "type": "about:blank"},
                                                    {"x-rate-limit-reset": str(reset)}))
            return Expected(ErrorKind.RETRY_AFTER, retry_after=reset - now)
        if answer is Answer.EXPIRED_TOKEN:
            fake.expire_access_tokens()
            return Expected(ErrorKind.REFRESH_TOKEN)
        if answer is Answer.DUPLICATE:
            return Expected(ErrorKind.BAD_INPUT)
        if answer is Answer.PERMISSION_MISSING:
            fake.tweet_script.append(x_api.Scripted(403, {
                "title": "Forbidden", "status": 403, "type": "about:blank",
                "detail": "You are not permitted to perform this action."}))
            return Expected(ErrorKind.BAD_INPUT)
        if answer is Answer.SERVER_ERROR_BEFORE_CREATE:
            fake.tweet_script.append(x_api.Scripted(503, {"title": "Service Unavailable",
                                                          "status": 503}))
            return Expected(ErrorKind.RETRY_AFTER)
        if answer is Answer.SERVER_ERROR_AFTER_CREATE:
            fake.tweet_script.append(x_api.Scripted(502, {"title": "Bad Gateway",
                                                          "status": 502}))
            return Expected(ErrorKind.UNKNOWN)
        fake.tweet_script.append(x_api.Scripted(201, {"data": {"text": TEXT}}))
        return Expected(ErrorKind.UNKNOWN)

    def posts(self) -> int:
        return len(self.fake.tweets)

    def post_requests(self) -> int:
        return len(self.fake.tweet_requests)

    def media_state(self) -> str | None:
        if not self.fake.media:
            return None
        return str(self.fake.media[max(self.fake.media)]["state"].get("state"))

    async def processing_content(self) -> PublishContent:
        store = LocalMediaStore(self.tmp_path / "media", base_url="http://127.0.0.1:8080",
                                secret_key=TEST_SECRET_KEY, clock=self.clock)
        video = MediaAttachment(media=await store.put(mp4(2500), "video/mp4"), url=None,
                                store=store)
        return PublishContent("A video", media=(video,))

    def processed_media_posted(self) -> bool:
        [tweet] = self.fake.tweets
        return tweet["media_ids"] == [max(self.fake.media)]

    def script_processing_failure(self) -> Expected:
        self.fake.video_processing = [
            {"state": "pending", "check_after_secs": 3},
            {"state": "failed", "error": {"code": 1, "name": "InvalidMedia",
                                          "message": "Unsupported video format"}}]
        return Expected(ErrorKind.BAD_INPUT, platform_code="media_processing_failed",
                        mentions="Unsupported video format")


class LinkedInKit(NetworkKit):
    network = "linkedin"
    #: ``GET /rest/videos/{urn}`` reads PROCESSING this many times, then AVAILABLE.
    processing_polls = 2
    waiting_states = ("PROCESSING",) * processing_polls
    ready_state = "AVAILABLE"
    #: Small parts, so the video goes up in several ETag'd PUTs.
    part_bytes = 32 * 1024

    async def start(self, stack: AsyncExitStack) -> None:
        self.fake = await stack.enter_async_context(linkedin_api.running_fake_linkedin(
            linkedin_api.FakeLinkedIn(video_part_bytes=self.part_bytes,
                                      video_polls_until_available=self.processing_polls)))
        self.provider = LinkedInProvider(LinkedInConfig(
            client_id=self.fake.client_id, client_secret=SecretStr(self.fake.client_secret),
            api_url=self.fake.base_url, auth_url=self.fake.auth_url), self.clock,
            sleep=self._sleep)

    def account(self) -> ConnectedAccount:
        access = "AQV-" + secrets.token_urlsafe(12)
        self.fake.access_tokens.add(access)
        return ConnectedAccount(account_id=f"urn:li:person:{self.fake.member_sub}",
                                display_name=self.fake.member_name,
                                tokens=_tokens(access, ["openid", "profile",
                                                        "w_member_social"]))

    def script(self, answer: Answer) -> Expected:
        fake, scripted = self.fake, linkedin_api.Scripted
        if answer is Answer.RATE_LIMITED:
            fake.post_script.append(scripted(429, {"status": 429, "message": "Resource level "
                                                   "throttle limit reached"},
                                             {"Retry-After": "120"}))
            return Expected(ErrorKind.RETRY_AFTER, retry_after=120.0)
        if answer is Answer.EXPIRED_TOKEN:
            fake.expired.update(fake.access_tokens)
            return Expected(ErrorKind.REFRESH_TOKEN)
        if answer is Answer.DUPLICATE:
            return Expected(ErrorKind.BAD_INPUT)
        if answer is Answer.PERMISSION_MISSING:
            fake.post_script.append(scripted(403, {
                "status": 403, "serviceErrorCode": 100,
                "message": "Not enough permissions to access: partnerApiPostsExternal.CREATE"}))
            return Expected(ErrorKind.BAD_INPUT)
        if answer is Answer.SERVER_ERROR_BEFORE_CREATE:
            fake.post_script.append(scripted(503, {"status": 503, "message": "Unavailable"}))
            return Expected(ErrorKind.RETRY_AFTER)
        if answer is Answer.SERVER_ERROR_AFTER_CREATE:
            fake.post_script.append(scripted(504, {"status": 504, "message": "Gateway "
                                                   "Timeout"}))
            return Expected(ErrorKind.UNKNOWN)
        fake.post_script.append(scripted(201, ""))
        return Expected(ErrorKind.UNKNOWN)

    def posts(self) -> int:
        return len(self.fake.posts)

    def post_requests(self) -> int:
        return len(self.fake.post_requests)

    def media_state(self) -> str | None:
        if not self.fake.videos:
            return None
        return str(self.fake.videos[self._newest_video()]["status"])

    def _newest_video(self) -> str:
        return list(self.fake.videos)[-1]

    async def processing_content(self) -> PublishContent:
        store = LocalMediaStore(self.tmp_path / "media", base_url="http://127.0.0.1:8080",
                                secret_key=TEST_SECRET_KEY, clock=self.clock)
        # Over LinkedIn's 75 KB floor, in three parts of ``part_bytes``.
        stored = await store.put(mp4(80 * 1024), "video/mp4")
        return PublishContent("A video", media=(MediaAttachment(media=stored, url=None,
                                                                store=store),))

    def processed_media_posted(self) -> bool:
        [post] = self.fake.posts
        urn = self._newest_video()
        parts = len(self.fake.videos[urn]["parts"])
        return post["content"] == {"media": {"id": urn}} and parts > 1 and \
            self.fake.finalize_requests[-1]["uploadedPartIds"] == self.fake.videos[urn]["etags"]

    def script_processing_failure(self) -> Expected:
        self.fake.video_processing_fails = True
        return Expected(ErrorKind.BAD_INPUT, platform_code="video_processing_failed",
                        mentions="Video format is not supported")


class FacebookKit(NetworkKit):
    network = "facebook"
    no_processing_flow = (
        "Facebook has no client-side pending state: POST /{page-id}/videos with file_url "
        "publishes the video and answers its id at once; Facebook fetches and processes the "
        "video after the id is returned, so there is nothing for the provider to wait for "
        "before the post exists")
    page_id = "101"

    async def start(self, stack: AsyncExitStack) -> None:
        self.fake = await stack.enter_async_context(facebook_api.running_fake_facebook())
        self.provider = FacebookProvider(FacebookConfig(
            app_id=self.fake.app_id, app_secret=SecretStr(self.fake.app_secret),
            graph_url=self.fake.graph_url, dialog_url=self.fake.base_url,
            api_version=facebook_api.VERSION), self.clock)

    def account(self) -> ConnectedAccount:
        token = "fbpage-" + secrets.token_urlsafe(16)
        self.fake.page_tokens[token] = self.page_id
        return ConnectedAccount(account_id=self.page_id, display_name="Acme Bakery",
                                tokens=_tokens(token, ["pages_manage_posts"]))

    def script(self, answer: Answer) -> Expected:
        fake, scripted, error = self.fake, facebook_api.Scripted, facebook_api.graph_error
        if answer is Answer.RATE_LIMITED:
            usage = {self.page_id: [{"type": "pages", "call_count": 100, "total_time": 20,
                                     "total_cputime": 20,
                                     "estimated_time_to_regain_access": 7}]}
            fake.feed_script.append(scripted(400, error(32, "Page request limit reached"),
                                             {"X-Business-Use-Case-Usage": json.dumps(usage)}))
            return Expected(ErrorKind.RETRY_AFTER, retry_after=7 * 60.0)
        if answer is Answer.EXPIRED_TOKEN:
            # A Page token cannot be refreshed without the person: the answer is a reconnect.
            fake.feed_script.append(scripted(400, error(
                190, "Error validating access token: Session has expired.", subcode=463)))
            return Expected(ErrorKind.RECONNECT)
        if answer is Answer.DUPLICATE:
            return Expected(ErrorKind.BAD_INPUT)
        if answer is Answer.PERMISSION_MISSING:
            fake.feed_script.append(scripted(403, error(
                200, "(#200) The user hasn't authorized the application to perform this "
                "action")))
            return Expected(ErrorKind.RECONNECT)
        if answer is Answer.SERVER_ERROR_BEFORE_CREATE:
            fake.feed_script.append(scripted(503, "Service Unavailable"))
            return Expected(ErrorKind.RETRY_AFTER)
        if answer is Answer.SERVER_ERROR_AFTER_CREATE:
            fake.feed_script.append(scripted(500, "Internal Server Error"))
            return Expected(ErrorKind.UNKNOWN)
        fake.feed_script.append(scripted(200, {"success": True}))
        return Expected(ErrorKind.UNKNOWN)

    def posts(self) -> int:
        return len(self.fake.posts)

    def post_requests(self) -> int:
        return len(self.fake.post_requests)


#: Every real network under the kit. A new network adds its kit here.
KITS: tuple[type[NetworkKit], ...] = (XKit, LinkedInKit, FacebookKit)


# -- the scenarios -------------------------------------------------------------------------

async def publish_succeeds_once(kit: NetworkKit) -> PublishResult:
    """A success is a result with the platform's id and a URL, and one post on the network."""
    result = await kit.provider.publish(kit.context(kit.account()), PublishContent(TEXT),
                                        idempotency_key="att_contract_1")

    assert isinstance(result, PublishResult)
    assert result.platform_post_id
    assert result.url and result.url.startswith("https://")
    return result


async def answer_maps_to_its_kind(kit: NetworkKit,
                                  answer: Answer) -> tuple[ProviderError, Expected]:
    """A scripted refusal leaves the provider as ProviderError of the documented kind, with a
    plain-language message and no token anywhere in what it carries."""
    account = kit.account()
    context = kit.context(account)
    if answer is Answer.DUPLICATE:
        await kit.provider.publish(context, PublishContent(TEXT), idempotency_key="att_first")
    expected = kit.script(answer)

    with pytest.raises(ProviderError) as raised:
        await kit.provider.publish(context, PublishContent(TEXT), idempotency_key="att_contract")

    err = raised.value
    if expected.retry_after is not None:
        assert err.retry_after == pytest.approx(expected.retry_after, abs=1.0)
    assert err.message and err.message[0].isupper() and not err.message.startswith("{")
    token = account.tokens.access_token.get_secret_value()
    for carried in (err.message, str(err), err.raw or "", err.platform_code or ""):
        assert token not in carried
    return err, expected


async def success_without_id_is_never_a_publish(kit: NetworkKit) -> ProviderError:
    """A 2xx answer without the new post's id is an unknown outcome (or a failure), never a
    result: the core must reconcile it, not record a post it cannot point to."""
    kit.script(Answer.SUCCESS_WITHOUT_ID)

    with pytest.raises(ProviderError) as raised:
        await kit.provider.publish(kit.context(kit.account()), PublishContent(TEXT),
                                   idempotency_key="att_contract")

    return raised.value


async def media_processing_waits_then_posts(kit: NetworkKit) -> PublishResult:
    """pending -> ready -> completed: the provider waits while the network processes the
    media, and creates the post only once they are ready."""
    if kit.no_processing_flow is not None:
        pytest.skip(kit.no_processing_flow)
    content = await kit.processing_content()

    result = await kit.provider.publish(kit.context(kit.account()), content,
                                        idempotency_key="att_contract_video")

    assert [w.state for w in kit.waits] == list(kit.waiting_states)
    assert all(w.posts == 0 for w in kit.waits), "posted before the media were ready"
    assert all(w.seconds >= 1 for w in kit.waits)
    assert kit.media_state() == kit.ready_state
    return result


async def media_processing_failure_maps_to_its_kind(kit: NetworkKit) -> ProviderError:
    """pending -> failed: media the network could not process fail the post with the
    documented kind and the network's reason, and nothing is posted (nor asked to be)."""
    if kit.no_processing_flow is not None:
        pytest.skip(kit.no_processing_flow)
    expected = kit.script_processing_failure()
    content = await kit.processing_content()
    account = kit.account()

    with pytest.raises(ProviderError) as raised:
        await kit.provider.publish(kit.context(account), content,
                                   idempotency_key="att_contract_video")

    err = raised.value
    assert err.platform_code == expected.platform_code
    assert expected.mentions is None or expected.mentions in err.message
    assert err.message[0].isupper()
    token = account.tokens.access_token.get_secret_value()
    for carried in (err.message, str(err), err.raw or "", err.platform_code or ""):
        assert token not in carried
    assert all(w.posts == 0 for w in kit.waits)
    assert err.kind is expected.kind, err.message
    return err


# -- a crash between the platform call and the store write --------------------------------

StoreWrite = Callable[..., Awaitable[Any]]


def fail_once(target: object, method: str, when: Callable[..., bool],
              monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make ``target.method`` raise once, on the first call ``when`` accepts (a process that
    dies right there); returns a list that gets one entry when it did."""
    real: StoreWrite = getattr(target, method)
    crashed: list[str] = []

    async def crashing(*args: Any, **kwargs: Any) -> Any:
        if not crashed and when(*args, **kwargs):
            crashed.append(method)
            raise ConnectionError(f"the store went away during {method}")
        return await real(*args, **kwargs)

    monkeypatch.setattr(target, method, crashing)
    return crashed


def _records_the_publish(post: Post, **_: Any) -> bool:
    return any(t.status is TargetStatus.PUBLISHED for t in post.targets)


#: Which store write fails once after the network answered: the one recording the answer (for a
#: post with one target: the target Published, its attempt closed and the post's status, in one
#: write).
CRASH_POINTS: dict[str, tuple[str, Callable[..., bool]]] = {
    "answer_not_recorded": ("replace_post", _records_the_publish),
}


async def crash_between_publish_and_record(kit: NetworkKit, rt: Runtime, crash_point: str,
                                           monkeypatch: pytest.MonkeyPatch) -> PostTarget:
    """The publisher calls the real provider against its fake; the store write right after the
    platform's answer fails once (the worker dies there). The reconciler requeues the post and
    the publisher runs again: the network holds ONE post, and the target ends Published (the
    answer was recorded) or Unconfirmed (the network cannot say) — never published twice."""
    srt = runtime_with(rt, kit.provider)
    org = await create_organization(srt, "Acme", actor="test")
    connection = await add_connection(srt, org.id, kit.network, kit.account(), actor="test")
    post = await submit_post(srt, org.id, PostRequest(text=TEXT, targets=[connection.id]),
                             source=PostSource(kind="cli"), actor="test", review_required=False)
    claimed = await claim_post(srt, post)
    assert claimed is not None
    method, when = CRASH_POINTS[crash_point]
    crashed = fail_once(srt.store, method, when, monkeypatch)

    with pytest.raises(ConnectionError):
        await PostPublisher(srt, random.Random(7)).run(
            org.id, post.id, expected_version=claimed.version, trigger="scheduler")
    assert crashed == [method] and kit.posts() == 1

    assert isinstance(srt.clock, ManualClock)
    srt.clock.advance(srt.settings.reconcile_after_seconds + 1)
    queue = RecordingQueue()
    assert await requeue_stale_posts(srt, queue, older_than=timedelta(
        seconds=srt.settings.reconcile_after_seconds)) == 1
    [job] = queue.jobs
    await PostPublisher(srt, random.Random(7)).run(org.id, post.id, expected_version=job.version,
                                                   trigger=job.trigger)

    done = await srt.store.get_post(org.id, post.id)
    target = done.target(connection.id)
    assert target.status in (TargetStatus.PUBLISHED, TargetStatus.UNCONFIRMED), target
    assert done.status is not PostStatus.SCHEDULED
    if target.status is TargetStatus.PUBLISHED:
        assert target.platform_post_id
    return target
