"""Facebook Page video: validation from the stored video's facts, and ``POST /{page}/videos``
with the store's short-lived URL as ``file_url``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
from pydantic import SecretStr

from integrations.facebook import FacebookConfig, FacebookProvider
from integrations.media.local import LocalMediaStore
from postflow.media import MediaAttachment, MediaObject, MediaStore
from postflow.providers import ErrorKind, ProviderError, PublishContent
from tests.fakes.clock import ManualClock
from tests.fakes.facebook_api import FakeFacebook, Scripted, graph_error
from tests.fakes.media_files import movie
from tests.integrations.facebook.test_provider import page_account

SIGNED = "https://media.postflow.example/media/abc?exp=1&sig=2"


async def video_post(store: LocalMediaStore, url: str | None = SIGNED) -> PublishContent:
    media = await store.put(movie(1280, 720, seconds=45.0), "video/mp4")
    return PublishContent(text="Our launch, in 45 seconds",
                          media_urls=("https://cdn.example/launch.mp4",),
                          media=(MediaAttachment(media=media, url=url, store=store),))


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media", base_url="http://127.0.0.1:8080",
                           secret_key="test-secret-key-0123456789abcdef", clock=clock)


def test_facebook_has_its_media_stored_at_submit(provider: FacebookProvider) -> None:
    assert provider.uploads_media is True


async def test_a_video_is_posted_by_its_store_url_with_the_text_as_description(
        provider: FacebookProvider, fake_facebook: FakeFacebook, store: LocalMediaStore) -> None:
    account = await page_account(provider)

    result = await provider.publish(account, await video_post(store), idempotency_key="att_1")

    [video] = fake_facebook.videos
    assert (video["page"], video["file_url"], video["description"]) == (
        account.account_id, SIGNED, "Our launch, in 45 seconds")
    assert result.platform_post_id == video["id"]
    assert result.url == f"https://www.facebook.com/{video['id']}"
    assert fake_facebook.photos == [] and fake_facebook.posts == []


async def test_videos_go_to_graph_video_on_facebooks_own_host(clock: ManualClock) -> None:
    real = FacebookProvider(FacebookConfig(app_id="1", app_secret=SecretStr("s")), clock)

    assert real._video_graph == "https://graph-video.facebook.com/v26.0"


async def test_a_video_facebook_cannot_fetch_names_the_public_url_setting(
        provider: FacebookProvider, fake_facebook: FakeFacebook, store: LocalMediaStore) -> None:
    account = await page_account(provider)
    fake_facebook.videos_script.append(Scripted(400, graph_error(
        389, "Unable to fetch video file from URL.", type_="OAuthException")))

    with pytest.raises(ProviderError) as refused:
        await provider.publish(account, await video_post(store), idempotency_key="att_1")

    assert (refused.value.kind, refused.value.platform_code) == (ErrorKind.BAD_INPUT, "389")
    assert "POSTFLOW_PUBLIC_URL" in refused.value.message


async def test_a_server_error_after_sending_a_video_is_an_unknown_outcome(
        provider: FacebookProvider, fake_facebook: FakeFacebook, store: LocalMediaStore) -> None:
    account = await page_account(provider)
    fake_facebook.videos_script.append(Scripted(500, graph_error(1, "An unknown error")))

    with pytest.raises(ProviderError) as unknown:
        await provider.publish(account, await video_post(store), idempotency_key="att_1")

    assert unknown.value.kind is ErrorKind.UNKNOWN


async def test_a_video_without_a_store_url_is_refused_before_any_call(
        provider: FacebookProvider, fake_facebook: FakeFacebook, store: LocalMediaStore) -> None:
    account = await page_account(provider)

    with pytest.raises(ProviderError) as refused:
        await provider.publish(account, await video_post(store, url=None),
                               idempotency_key="att_1")

    assert refused.value.platform_code == "media_not_stored" and fake_facebook.videos == []


def stored_video(**facts: object) -> MediaAttachment:
    media = MediaObject(id="a" * 64, content_type="video/mp4", size=50 * 1024 * 1024,
                        sha256="a" * 64, width=1920, height=1080, duration_seconds=90.0)
    return MediaAttachment(media=replace(media, **facts), url=None,
                           store=cast(MediaStore, None))


@pytest.mark.parametrize(("facts", "code", "words"), [
    ({"duration_seconds": 25 * 60.0}, "video_too_long", "lasts 25.0 min"),
    ({"size": 2 * 1024 ** 3}, "video_too_large", "up to 1 GB"),
    ({"width": 1080, "height": 2400}, "video_aspect_ratio", "1080x2400"),
    ({"content_type": "image/webp"}, "unsupported_media_type", "image/webp"),
])
def test_a_video_outside_facebooks_limits_is_refused_before_scheduling(
        provider: FacebookProvider, facts: dict[str, object], code: str, words: str) -> None:
    [problem] = provider.validate(PublishContent(text="Clip",
                                                 media=(stored_video(**facts),))).problems

    assert problem.code == code and words in problem.message


def test_a_video_with_photos_is_refused(provider: FacebookProvider) -> None:
    report = provider.validate(PublishContent(text="Both", media=(
        stored_video(), stored_video(content_type="image/jpeg", size=300 * 1024))))

    assert [p.code for p in report.problems] == ["media_mix"]


def test_a_photo_over_the_photo_limit_is_refused(provider: FacebookProvider) -> None:
    report = provider.validate(PublishContent(text="Big", media=(
        stored_video(content_type="image/jpeg", size=11 * 1024 * 1024),)))

    assert [p.code for p in report.problems] == ["photo_too_large"]


def test_a_vertical_video_within_the_limits_passes(provider: FacebookProvider) -> None:
    report = provider.validate(PublishContent(text="Clip", media=(
        stored_video(width=1080, height=1920, duration_seconds=20 * 60.0),)))

    assert report.valid
