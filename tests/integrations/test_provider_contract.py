"""Every real network through the same contract kit (tests/integrations/provider_contract.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from postflow.media import (
    DeclaresMediaLimits,
    MediaAttachment,
    MediaKind,
    MediaObject,
    MediaStore,
)
from postflow.posts import TargetStatus
from postflow.providers import ErrorKind, PublishContent
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.integrations import provider_contract as contract
from tests.integrations.provider_contract import KITS, Answer, NetworkKit

ERROR_ANSWERS = [a for a in Answer if a is not Answer.SUCCESS_WITHOUT_ID]
#: A content type of each kind that every network takes.
TYPE_OF_KIND = {MediaKind.IMAGE: "image/jpeg", MediaKind.GIF: "image/gif",
                MediaKind.VIDEO: "video/mp4"}


@pytest.fixture(params=KITS, ids=[k.network for k in KITS])
async def kit(request: pytest.FixtureRequest, clock: ManualClock,
              tmp_path: Path) -> AsyncIterator[NetworkKit]:
    async with request.param(clock, tmp_path) as running:
        yield running


async def test_a_success_is_a_result_with_id_and_url_and_one_post(kit: NetworkKit) -> None:
    result = await contract.publish_succeeds_once(kit)

    assert result.platform_post_id
    assert kit.posts() == 1


@pytest.mark.parametrize("answer", ERROR_ANSWERS, ids=[a.value for a in ERROR_ANSWERS])
async def test_each_documented_refusal_maps_to_its_kind_without_a_token(
        kit: NetworkKit, answer: Answer) -> None:
    err, expected = await contract.answer_maps_to_its_kind(kit, answer)

    assert err.kind is expected.kind, err.message


async def test_a_success_answer_without_an_id_is_never_a_publish(kit: NetworkKit) -> None:
    err = await contract.success_without_id_is_never_a_publish(kit)

    assert err.kind in (ErrorKind.UNKNOWN, ErrorKind.BAD_INPUT, ErrorKind.RETRY_AFTER)


async def test_media_still_processing_are_waited_for_before_posting(kit: NetworkKit) -> None:
    result = await contract.media_processing_waits_then_posts(kit)

    assert result.platform_post_id
    assert kit.posts() == 1 and kit.processed_media_posted()


async def test_media_the_network_fails_to_process_map_to_their_kind_unposted(
        kit: NetworkKit) -> None:
    err = await contract.media_processing_failure_maps_to_its_kind(kit)

    assert err.kind is not ErrorKind.RETRY_AFTER  # never tried blindly again
    assert kit.posts() == 0 and kit.post_requests() == 0


@pytest.mark.parametrize("crash_point", sorted(contract.CRASH_POINTS))
async def test_a_crash_between_publish_and_record_never_posts_twice(
        kit: NetworkKit, rt: Runtime, crash_point: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    target = await contract.crash_between_publish_and_record(kit, rt, crash_point, monkeypatch)

    assert kit.posts() == 1, "published twice after a crash"
    assert kit.post_requests() == 1, "asked the network to publish again after a crash"
    assert target.status in (TargetStatus.PUBLISHED, TargetStatus.UNCONFIRMED)


def _stored(content_type: str, size: int) -> MediaAttachment:
    media = MediaObject(id="a" * 64, content_type=content_type, size=size, sha256="a" * 64)
    return MediaAttachment(media=media, url=None, store=cast(MediaStore, None))


def test_it_declares_how_its_accounts_connect_for_the_lists_of_networks(kit: NetworkKit) -> None:
    """The CLI, the chat help and the consent routes list networks from these declarations."""
    assert kit.provider.connects_by_oauth is True  # every real network has a consent screen
    assert kit.provider.account_noun.strip() and kit.provider.display_name in (
        kit.provider.account_noun)


def test_the_declared_media_limits_are_the_ones_validate_applies(kit: NetworkKit) -> None:
    """What a provider declares (media are counted and fetched under it) and what its validate
    refuses come from the same place."""
    assert isinstance(kit.provider, DeclaresMediaLimits)
    limits = kit.provider.media_limits

    def problems(*media: MediaAttachment) -> list[str]:
        report = kit.provider.validate(PublishContent(text="Hi", media=media))
        return [p.code for p in report.problems]

    image = _stored("image/jpeg", 1000)
    assert problems(*[image] * limits.max_count) == []
    assert problems(*[image] * (limits.max_count + 1)) != []
    assert set(limits.max_bytes) == set(MediaKind)
    for kind, max_bytes in limits.max_bytes.items():
        assert problems(_stored(TYPE_OF_KIND[kind], max_bytes)) == [], kind
        assert problems(_stored(TYPE_OF_KIND[kind], max_bytes + 1)) != [], kind
