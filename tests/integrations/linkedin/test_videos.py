"""LinkedIn video: validation from the stored video's facts, and the Videos API upload flow
(initializeUpload, a PUT per part, finalizeUpload with the ETags, waiting for AVAILABLE)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import cast

import pytest
from pydantic import SecretStr

from integrations.linkedin import LinkedInConfig, LinkedInProvider
from integrations.linkedin.videos import LinkedInVideoSettings
from integrations.media.local import LocalMediaStore
from postflow.media import MediaAttachment, MediaObject, MediaStore
from postflow.providers import AccountContext, ErrorKind, ProviderError, PublishContent
from tests.fakes.clock import ManualClock
from tests.fakes.linkedin_api import FakeLinkedIn
from tests.fakes.media_files import movie, png_of
from tests.integrations.linkedin.conftest import PAGE_SCOPES
from tests.integrations.linkedin.test_provider import accounts, context

#: About 200 KB: above LinkedIn's 75 KB floor, four parts of 64 KB in the fake.
VIDEO = movie(1280, 720, seconds=20.0, media_bytes=200_000)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def provider(fake_linkedin: FakeLinkedIn, clock: ManualClock,
             sleeps: list[float]) -> LinkedInProvider:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    fake_linkedin.video_part_bytes = 64 * 1024
    return LinkedInProvider(LinkedInConfig(
        client_id=fake_linkedin.client_id, client_secret=SecretStr(fake_linkedin.client_secret),
        api_url=fake_linkedin.base_url, auth_url=fake_linkedin.auth_url, scopes=PAGE_SCOPES,
        video=LinkedInVideoSettings(processing_timeout_seconds=30.0, poll_seconds=5.0)),
        clock, sleep=sleep)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media", base_url="http://127.0.0.1:8080",
                           secret_key="test-secret-key-0123456789abcdef", clock=clock)


async def video_post(store: LocalMediaStore, data: bytes = VIDEO) -> PublishContent:
    attachment = MediaAttachment(media=await store.put(data, "video/mp4"), url=None,
                                 store=store)
    return PublishContent(text="Our launch video", media_urls=("https://cdn.example.com/v.mp4",),
                          media=(attachment,))


async def page(provider: LinkedInProvider) -> AccountContext:
    [_, organization] = await accounts(provider)
    return context(organization)


async def test_a_video_is_uploaded_in_parts_finalized_with_the_etags_then_posted(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, store: LocalMediaStore,
        sleeps: list[float]) -> None:
    account = await page(provider)

    result = await provider.publish(account, await video_post(store), idempotency_key="att_1")

    [(urn, video)] = fake_linkedin.videos.items()
    assert video["owner"] == "urn:li:organization:2414183" and video["size"] == len(VIDEO)
    assert b"".join(video["parts"][i] for i in sorted(video["parts"])) == VIDEO
    assert len(video["parts"]) == 4
    [final] = fake_linkedin.finalize_requests
    assert final["uploadedPartIds"] == video["etags"]  # without the header's quotes
    assert video["status"] == "AVAILABLE" and sleeps == [5.0]
    [post] = fake_linkedin.posts
    assert post["content"] == {"media": {"id": urn}}
    assert result.platform_post_id == post["urn"]


async def test_the_token_goes_only_to_linkedins_own_upload_hosts(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, store: LocalMediaStore) -> None:
    await provider.publish(await page(provider), await video_post(store),
                           idempotency_key="att_1")

    # The fake's loopback host is the API host, so it is trusted like linkedin.com.
    assert all(auth.startswith("Bearer ") for auth in fake_linkedin.upload_auth)


async def test_a_video_linkedin_cannot_process_is_refused_and_nothing_is_posted(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, store: LocalMediaStore) -> None:
    fake_linkedin.video_processing_fails = True

    with pytest.raises(ProviderError) as refused:
        await provider.publish(await page(provider), await video_post(store),
                               idempotency_key="att_1")

    assert (refused.value.kind, refused.value.platform_code) == (
        ErrorKind.BAD_INPUT, "video_processing_failed")
    assert "Video format is not supported" in refused.value.message
    assert fake_linkedin.posts == []


async def test_a_video_still_processing_after_the_timeout_is_retried_later(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, store: LocalMediaStore,
        sleeps: list[float]) -> None:
    fake_linkedin.video_polls_until_available = 100

    with pytest.raises(ProviderError) as waiting:
        await provider.publish(await page(provider), await video_post(store),
                               idempotency_key="att_1")

    assert (waiting.value.kind, waiting.value.platform_code) == (
        ErrorKind.RETRY_AFTER, "video_processing_timeout")
    assert sum(sleeps) <= 30.0 and fake_linkedin.posts == []


async def test_an_expired_token_on_initialize_asks_for_a_refresh(
        provider: LinkedInProvider, fake_linkedin: FakeLinkedIn, store: LocalMediaStore) -> None:
    account = await page(provider)
    fake_linkedin.expired.add(account.tokens.access_token.get_secret_value())

    with pytest.raises(ProviderError) as refused:
        await provider.publish(account, await video_post(store), idempotency_key="att_1")

    assert refused.value.kind is ErrorKind.REFRESH_TOKEN and fake_linkedin.videos == {}


def stored_video(**facts: object) -> MediaAttachment:
    media = MediaObject(id="a" * 64, content_type="video/mp4", size=5 * 1024 * 1024,
                        sha256="a" * 64, width=1280, height=720, duration_seconds=60.0)
    return MediaAttachment(media=replace(media, **facts), url=None,
                           store=cast(MediaStore, None))


@pytest.mark.parametrize(("facts", "code", "words"), [
    ({"duration_seconds": 31 * 60.0}, "video_too_long", "lasts 31 min; LinkedIn takes videos "
     "of 3 s to 30 min"),
    ({"duration_seconds": 1.5}, "video_too_short", "lasts 1.5 s"),
    ({"size": 600 * 1024 * 1024}, "video_too_large", "is 600.0 MB"),
    ({"size": 10 * 1024}, "video_too_small", "is 10 KB"),
    ({"width": 300, "height": 1000}, "video_aspect_ratio", "300x1000"),
    ({"content_type": "video/quicktime"}, "unsupported_media_type", "MP4"),
])
def test_a_video_outside_linkedins_limits_is_refused_before_scheduling(
        provider: LinkedInProvider, facts: dict[str, object], code: str, words: str) -> None:
    report = provider.validate(PublishContent(text="Clip", media=(stored_video(**facts),)))

    [problem] = report.problems
    assert problem.code == code and words in problem.message


def test_a_video_within_the_limits_and_one_of_unknown_facts_pass(
        provider: LinkedInProvider) -> None:
    unknown = stored_video(width=None, height=None, duration_seconds=None)

    assert provider.validate(PublishContent(text="Clip", media=(stored_video(),))).valid
    assert provider.validate(PublishContent(text="Clip", media=(unknown,))).valid


async def test_a_video_with_an_image_is_refused(provider: LinkedInProvider,
                                                store: LocalMediaStore) -> None:
    image = MediaAttachment(media=await store.put(png_of(100, 100), "image/png"), url=None,
                            store=store)
    report = provider.validate(PublishContent(text="Both", media=(stored_video(), image)))

    assert [p.code for p in report.problems] == ["media_mix"]


async def test_an_image_over_linkedins_pixel_limit_is_refused_from_its_stored_size(
        provider: LinkedInProvider, store: LocalMediaStore) -> None:
    image = MediaAttachment(media=await store.put(png_of(7000, 6000), "image/png"), url=None,
                            store=store)

    [problem] = provider.validate(PublishContent(text="Big", media=(image,))).problems

    assert problem.code == "image_too_large" and "7000x6000" in problem.message
