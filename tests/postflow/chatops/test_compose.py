"""The composer without any chat platform: state -> PostRequest, counts per network, the time
read in the author's zone, the role gate on scheduling directly, and submitting."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from postflow.chatops import compose
from postflow.chatops.callers import resolve_member
from postflow.chatops.compose import (
    ComposerChoices,
    ComposerInvalid,
    ComposerState,
    When,
    composer_choices,
    network_counts,
    post_request,
    submit_composer,
)
from postflow.connections import Connection
from postflow.errors import Forbidden
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from tests.fakes.clock import ManualClock
from tests.fakes.recording_queue import RecordingQueue
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with
from tests.postflow.chatops.conftest import Team
from tests.postflow.store.factories import make_connection


@pytest.fixture
def rt_x(rt: Runtime) -> Runtime:
    """The runtime with a second network, "short", that allows 10 characters."""
    return runtime_with(rt, ScriptedProvider("short", max_length=10))


async def accounts(rt: Runtime, team: Team) -> tuple[Connection, Connection]:
    sandbox = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    short = make_connection(team.org.id, network="short", display_name="tiny")
    await rt.store.insert_connection(short)
    return sandbox, short


async def choices_for(rt: Runtime, team: Team, who: str = "admin",
                      tz: str = "America/New_York") -> ComposerChoices:
    member = await resolve_member(rt, getattr(team, who))
    return await composer_choices(rt, member, tz)


async def test_counts_follow_each_providers_count_and_limit(rt_x: Runtime, team: Team) -> None:
    sandbox, short = await accounts(rt_x, team)
    choices = await choices_for(rt_x, team)
    state = ComposerState(text="Hello world!", targets=(sandbox.id, short.id),
                          variants={"short": "Hi"})

    counts = {c.network: c for c in network_counts(rt_x, choices, state)}

    assert (counts["sandbox"].length, counts["sandbox"].limit) == (12, 5000)
    assert (counts["short"].length, counts["short"].limit) == (2, 10)
    assert counts["short"].from_variant and not counts["sandbox"].problems


async def test_counts_show_a_network_over_its_limit(rt_x: Runtime, team: Team) -> None:
    _sandbox, short = await accounts(rt_x, team)
    choices = await choices_for(rt_x, team)

    [count] = network_counts(rt_x, choices, ComposerState(text="Hello world!",
                                                          targets=(short.id,)))

    assert count.network == "short" and count.length == 12
    assert count.problems == ("Scripted allows 10 characters; this is 12.",)


async def test_state_becomes_a_request_read_in_the_authors_zone(rt_x: Runtime,
                                                                team: Team) -> None:
    sandbox, short = await accounts(rt_x, team)
    choices = await choices_for(rt_x, team)
    state = ComposerState(text=" Launch ", variants={"short": "Go!"},
                          targets=(sandbox.id, short.id), media_urls=("https://cdn.test/a.png",),
                          when=When.AT, date=date(2026, 11, 26), time=time(9, 0))

    request = post_request(rt_x, choices, state)

    assert request.text == "Launch" and request.variants == {"short": "Go!"}
    assert request.targets == [sandbox.id, short.id]
    assert request.media_urls == ["https://cdn.test/a.png"]
    assert request.schedule_at == datetime.combine(date(2026, 11, 26), time(9, 0))
    assert request.timezone == "America/New_York" and not request.queue


async def test_queue_and_now(rt: Runtime, team: Team) -> None:
    sandbox = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    choices = await choices_for(rt, team)

    queued = post_request(rt, choices, ComposerState(text="a", targets=(sandbox.id,),
                                                     when=When.QUEUE))
    now = post_request(rt, choices, ComposerState(text="a", targets=(sandbox.id,)))

    assert queued.queue and queued.schedule_at is None
    assert not now.queue and now.schedule_at is None and now.timezone is None


async def test_every_problem_is_keyed_by_its_field(rt_x: Runtime, team: Team) -> None:
    _sandbox, short = await accounts(rt_x, team)
    choices = await choices_for(rt_x, team)
    state = ComposerState(text="Far too long for it", targets=(short.id,),
                          variants={"sandbox": "no sandbox account picked"},
                          media_urls=("ftp://x",), when=When.AT, date=date(2026, 11, 25),
                          time=time(6, 0))  # 11:00 UTC, an hour ago

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt_x, choices, state)

    fields = invalid.value.fields
    assert fields[compose.TEXT] == "Scripted allows 10 characters; this is 19."
    assert "No account on this network is picked" in fields["variant_sandbox"]
    assert fields[compose.MEDIA].startswith("Media must be http(s) URLs")
    assert fields[compose.TIME] == ("Wed 25 Nov 2026 06:00 America/New_York has passed: pick "
                                    "a later time, or choose Now.")


async def test_too_long_variant_is_shown_on_the_variant(rt_x: Runtime, team: Team) -> None:
    _sandbox, short = await accounts(rt_x, team)
    choices = await choices_for(rt_x, team)

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt_x, choices, ComposerState(text="ok", targets=(short.id,),
                                                  variants={"short": "still too long"}))

    assert set(invalid.value.fields) == {"variant_short"}


async def test_missing_targets_date_and_time(rt: Runtime, team: Team) -> None:
    choices = await choices_for(rt, team)

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt, choices, ComposerState(text="a", when=When.AT))

    assert set(invalid.value.fields) == {compose.TARGETS, compose.DATE, compose.TIME}


async def test_members_may_not_schedule_directly(rt: Runtime, team: Team) -> None:
    sandbox = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    choices = await choices_for(rt, team, "member")

    with pytest.raises(ComposerInvalid) as invalid:
        post_request(rt, choices, ComposerState(text="a", targets=(sandbox.id,), review=False))

    assert not choices.may_schedule
    assert invalid.value.fields == {compose.MODE: "Scheduling posts without a review needs the "
                                                  "Admin role or higher; you are a Member."}


async def test_viewers_may_not_compose(rt: Runtime, team: Team) -> None:
    with pytest.raises(Forbidden, match="Drafting posts needs the Member role"):
        await choices_for(rt, team, "viewer")


async def test_a_time_skipped_by_dst_is_moved_and_said(rt: Runtime, team: Team) -> None:
    sandbox = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    choices = await choices_for(rt, team, tz="Europe/Paris")
    state = ComposerState(text="spring", targets=(sandbox.id,), when=When.AT, review=False,
                          date=date(2027, 3, 28), time=time(2, 30))

    assert "02:30 does not exist on 2027-03-28" in compose.when_summary(state, choices)
    composed = await submit_composer(rt, None, choices, state)

    assert composed.post.scheduled_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert composed.confirmation == (
        f"Post `{composed.post.id}` is scheduled at Sun 28 Mar 2027 03:30 Europe/Paris. Note: "
        "02:30 does not exist on 2027-03-28 in Europe/Paris (the clocks jump forward); it was "
        "moved to 03:30 CEST.")


async def test_submit_for_review_creates_the_post_in_review(rt: Runtime, team: Team,
                                                            clock: ManualClock) -> None:
    sandbox = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    choices = await choices_for(rt, team, "member")

    composed = await submit_composer(rt, None, choices, ComposerState(
        text="Review me", targets=(sandbox.id,), when=When.AT, date=date(2026, 11, 26),
        time=time(9, 0)))

    post = await rt.store.get_post(team.org.id, composed.post.id)
    assert post.status is PostStatus.IN_REVIEW
    assert post.created_by == "slack:T0001:UMEMBER" and post.source.kind == "slack"
    assert post.scheduled_at == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert post.timezone == "America/New_York"
    assert await rt.store.find_review_for_post(team.org.id, post.id) is not None
    assert "waiting for review" in composed.confirmation
    assert "Thu 26 Nov 2026 09:00 America/New_York" in composed.confirmation


async def test_admin_publishing_now_hands_the_post_to_a_worker(rt: Runtime,
                                                               team: Team) -> None:
    sandbox = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    choices = await choices_for(rt, team, "admin")
    queue = RecordingQueue()

    composed = await submit_composer(rt, queue, choices, ComposerState(
        text="Now!", targets=(sandbox.id,), review=False))

    assert composed.post.status is PostStatus.QUEUED
    assert [job.post_id for job in queue.jobs] == [composed.post.id]
    assert composed.confirmation == f"Post `{composed.post.id}` is being published now."
