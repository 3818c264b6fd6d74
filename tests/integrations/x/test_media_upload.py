"""X media: simple image upload, chunked GIF/video upload with processing, X's media rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from integrations.media.local import LocalMediaStore
from integrations.x import XConfig, XProvider
from integrations.x.media import XMediaSettings
from postflow.media import MediaAttachment
from postflow.providers import AccountContext, ErrorKind, ProviderError, PublishContent, TokenSet
from tests.fakes.clock import ManualClock
from tests.fakes.x_api import FakeX
from tests.integrations.media.conftest import gif, mp4, png


class Sleeps:
    def __init__(self) -> None:
        self.waited: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waited.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def media_provider(fake_x: FakeX, clock: ManualClock, sleeps: Sleeps) -> XProvider:
    return XProvider(XConfig(client_id=fake_x.client_id,
                             client_secret=SecretStr(fake_x.client_secret),
                             api_url=fake_x.base_url, authorize_url=fake_x.authorize_url,
                             media=XMediaSettings(chunk_bytes=1000, image_max_bytes=10_000)),
                     clock, sleep=sleeps)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media", base_url="http://127.0.0.1:8080",
                           secret_key="test-secret-key-0123456789abcdef", clock=clock)


@pytest.fixture
def account(fake_x: FakeX) -> AccountContext:
    issued = fake_x.issue_tokens(["tweet.read", "tweet.write", "users.read", "media.write"])
    return AccountContext(connection_id="conn_1", account_id=fake_x.user_id,
                          tokens=TokenSet.model_validate({
                              "access_token": issued["access_token"]}))


async def attached(store: LocalMediaStore, data: bytes, content_type: str) -> MediaAttachment:
    return MediaAttachment(media=await store.put(data, content_type), url=None, store=store)


async def test_an_image_goes_up_in_one_request_and_rides_on_the_post(
        media_provider: XProvider, fake_x: FakeX, store: LocalMediaStore,
        account: AccountContext) -> None:
    image = await attached(store, png(), "image/png")

    result = await media_provider.publish(account, PublishContent("With a picture",
                                                                  media=(image,)),
                                          idempotency_key="att_1")

    [(step, media_id)] = fake_x.media_calls
    assert step == "upload"
    assert fake_x.media[media_id]["data"] == png()
    assert fake_x.tweets[0]["media_ids"] == [media_id]
    assert result.platform_post_id == fake_x.tweets[0]["id"]


async def test_a_video_goes_up_in_chunks_and_waits_for_processing(
        media_provider: XProvider, fake_x: FakeX, store: LocalMediaStore,
        account: AccountContext, sleeps: Sleeps) -> None:
    video = await attached(store, mp4(2500), "video/mp4")

    await media_provider.publish(account, PublishContent("A video", media=(video,)),
                                 idempotency_key="att_1")

    media_id = fake_x.media_calls[0][1]
    assert [step for step, _ in fake_x.media_calls] == [
        "initialize", "append", "append", "append", "finalize", "status", "status"]
    item = fake_x.media[media_id]
    assert (item["category"], item["media_type"], item["data"]) == (
        "tweet_video", "video/mp4", mp4(2500))
    assert sleeps.waited == [3, 2]  # X's check_after_secs, honored
    assert fake_x.tweets[0]["media_ids"] == [media_id]


async def test_a_gif_goes_up_in_chunks_as_tweet_gif(
        media_provider: XProvider, fake_x: FakeX, store: LocalMediaStore,
        account: AccountContext) -> None:
    animation = await attached(store, gif(1500), "image/gif")

    await media_provider.publish(account, PublishContent("A GIF", media=(animation,)),
                                 idempotency_key="att_1")

    assert fake_x.media[fake_x.media_calls[0][1]]["category"] == "tweet_gif"


async def test_failed_processing_is_refused_with_xs_reason_and_posts_nothing(
        media_provider: XProvider, fake_x: FakeX, store: LocalMediaStore,
        account: AccountContext) -> None:
    fake_x.video_processing = [
        {"state": "in_progress", "check_after_secs": 1},
        {"state": "failed", "error": {"code": 1, "name": "InvalidMedia",
                                      "message": "Unsupported video format"}}]
    video = await attached(store, mp4(1200), "video/mp4")

    with pytest.raises(ProviderError) as refused:
        await media_provider.publish(account, PublishContent("A video", media=(video,)),
                                     idempotency_key="att_1")

    assert refused.value.kind is ErrorKind.BAD_INPUT
    assert "Unsupported video format" in refused.value.message
    assert fake_x.tweets == []


async def test_processing_longer_than_the_limit_is_tried_again_later(
        fake_x: FakeX, clock: ManualClock, store: LocalMediaStore, account: AccountContext,
        sleeps: Sleeps) -> None:
    fake_x.video_processing = [{"state": "in_progress", "check_after_secs": 5}] * 10
    provider = XProvider(XConfig(client_id=fake_x.client_id,
                                 client_secret=SecretStr(fake_x.client_secret),
                                 api_url=fake_x.base_url,
                                 media=XMediaSettings(processing_timeout_seconds=12)),
                         clock, sleep=sleeps)
    video = await attached(store, mp4(1200), "video/mp4")

    with pytest.raises(ProviderError) as waiting:
        await provider.publish(account, PublishContent("A video", media=(video,)),
                               idempotency_key="att_1")

    assert waiting.value.kind is ErrorKind.RETRY_AFTER
    assert sleeps.waited == [5, 5]
    assert fake_x.tweets == []


async def test_validate_applies_xs_media_rules(media_provider: XProvider,
                                               store: LocalMediaStore) -> None:
    images = [await attached(store, png(200, bytes([65 + i])), "image/png") for i in range(5)]
    video = await attached(store, mp4(), "video/mp4")
    huge = await attached(store, png(10_001), "image/png")

    def codes(*media: MediaAttachment) -> list[str]:
        report = media_provider.validate(PublishContent("Hi", media=media))
        return [p.code for p in report.problems]

    assert codes(*images[:4]) == []
    assert codes(*images) == ["too_many_media"]
    assert codes(images[0], video) == ["media_mix"]
    assert codes(huge) == ["media_too_large"]
    assert codes(video) == []
