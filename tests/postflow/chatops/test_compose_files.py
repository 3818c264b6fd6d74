"""Files uploaded in the composer are checked against the picked networks' own media limits
(count and size by kind) before anything is downloaded."""

from __future__ import annotations

import pytest

from postflow.chatops import compose
from postflow.chatops.callers import resolve_member
from postflow.chatops.compose import (
    ComposerChoices,
    ComposerInvalid,
    ComposerState,
    UploadedFile,
    composer_choices,
    picked_networks,
    post_request,
)
from postflow.media import MediaKind, MediaLimits
from postflow.runtime import Runtime
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with
from tests.postflow.chatops.conftest import Team
from tests.postflow.store.factories import make_connection

MIB = 1024 * 1024


class UploadingProvider(ScriptedProvider):
    """A network that uploads media's bytes: two media a post, images up to 1 MiB, no video."""

    uploads_media = True

    @property
    def media_limits(self) -> MediaLimits:
        return MediaLimits(max_count=2, max_bytes={MediaKind.IMAGE: MIB})


@pytest.fixture
def rt_up(rt: Runtime) -> Runtime:
    return runtime_with(rt, UploadingProvider("uploads"))


async def form(rt: Runtime, team: Team,
               *files: UploadedFile) -> tuple[ComposerChoices, ComposerState]:
    account = make_connection(team.org.id, network="uploads", display_name="up")
    await rt.store.insert_connection(account)
    choices = await composer_choices(rt, await resolve_member(rt, team.admin), "UTC")
    return choices, ComposerState(text="Hello", targets=(account.id,), files=files)


def image(name: str, size: int, content_type: str = "image/png") -> UploadedFile:
    return UploadedFile(id=name, name=name, content_type=content_type, size=size)


async def test_an_upload_over_the_picked_networks_size_is_refused_before_download(
        rt_up: Runtime, team: Team) -> None:
    choices, state = await form(rt_up, team, image("big.png", 2 * MIB))

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt_up, choices, state)

    message = invalid.value.fields[compose.MEDIA_FILES]
    assert "big.png is larger than the 1048576 bytes allowed" in message


async def test_a_kind_the_picked_networks_do_not_take_is_refused(rt_up: Runtime,
                                                                 team: Team) -> None:
    choices, state = await form(rt_up, team, image("clip.mp4", 1000, "video/mp4"))

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt_up, choices, state)

    assert "do not take" in invalid.value.fields[compose.MEDIA_FILES]


async def test_more_files_than_the_picked_networks_take_are_refused(rt_up: Runtime,
                                                                    team: Team) -> None:
    choices, state = await form(rt_up, team, *(image(f"{n}.png", 10) for n in range(3)))

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt_up, choices, state)

    assert "at most 2" in invalid.value.fields[compose.MEDIA_FILES]


async def test_files_within_the_limits_pass_and_name_the_picked_networks(
        rt_up: Runtime, team: Team) -> None:
    choices, state = await form(rt_up, team, image("a.png", MIB))

    post_request(rt_up, choices, state)

    assert picked_networks(choices, state) == {"uploads"}
