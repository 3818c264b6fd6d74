"""Submitting a post: where it goes, whether it is valid, when it goes out, the monthly limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, LimitReached
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import (
    add_connection,
    connect_sandbox,
    set_connection_timezone,
)
from postflow.usecases.organizations import create_organization
from postflow.usecases.submit_post import PostRequest, submit_post, usage_period
from tests.fakes.clock import ManualClock
from tests.fakes.scripted_provider import ScriptedProvider, runtime_with

METRIC = "scheduled_posts_per_month"
#: A wall-clock time without an offset, read in whichever zone the request resolves to.
NINE_LOCAL = datetime.fromisoformat("2026-12-01T09:00:00")


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


@pytest.fixture
async def sandbox(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "main", actor="cli")


async def submit(rt: Runtime, org: Organization, *, review_required: bool = False,
                 **fields: Any) -> Post:
    return await submit_post(rt, org.id, PostRequest(**({"text": "Hello"} | fields)),
                             source=PostSource(kind="cli"), actor="cli",
                             review_required=review_required)


async def usage(rt: Runtime, org: Organization) -> int:
    return await rt.store.get_usage(org.id, METRIC, usage_period(rt.clock.now()))


# -- where it goes --------------------------------------------------------------------------------

async def test_targets_are_the_named_connections(rt: Runtime, org: Organization,
                                                 sandbox: Connection) -> None:
    await connect_sandbox(rt, org.id, "other", actor="cli")

    post = await submit(rt, org, targets=[sandbox.id])

    assert [(t.connection_id, t.network) for t in post.targets] == [(sandbox.id, "sandbox")]


async def test_a_network_targets_every_active_connection_on_it(rt: Runtime, org: Organization,
                                                               sandbox: Connection) -> None:
    other = await connect_sandbox(rt, org.id, "other", actor="cli")
    revoked = await connect_sandbox(rt, org.id, "revoked", actor="cli")
    await rt.store.update_connection(revoked.model_copy(
        update={"status": ConnectionStatus.NEEDS_RECONNECT}))

    post = await submit(rt, org, networks=["sandbox"])

    assert {t.connection_id for t in post.targets} == {sandbox.id, other.id}


async def test_a_connection_named_twice_is_targeted_once(rt: Runtime, org: Organization,
                                                         sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id, sandbox.id], networks=["sandbox"])

    assert [t.connection_id for t in post.targets] == [sandbox.id]


async def test_an_unknown_target_is_bad_input(rt: Runtime, org: Organization,
                                              sandbox: Connection) -> None:
    with pytest.raises(BadInput) as caught:
        await submit(rt, org, targets=["conn_nope"])

    assert caught.value.details == {"target": "conn_nope"}


async def test_another_organizations_connection_is_an_unknown_target(
        rt: Runtime, org: Organization) -> None:
    other = await create_organization(rt, "Other", actor="cli")
    foreign = await connect_sandbox(rt, other.id, "theirs", actor="cli")

    with pytest.raises(BadInput, match="Unknown target"):
        await submit(rt, org, targets=[foreign.id])


async def test_no_targets_and_no_networks_is_bad_input(rt: Runtime, org: Organization,
                                                       sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="where to publish"):
        await submit(rt, org)


async def test_an_unknown_network_is_bad_input(rt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput, match="myspace"):
        await submit(rt, org, networks=["myspace"])


async def test_a_network_without_a_connection_is_bad_input(rt: Runtime,
                                                           org: Organization) -> None:
    with pytest.raises(BadInput, match="no connected sandbox account"):
        await submit(rt, org, networks=["sandbox"])


async def test_a_target_that_needs_reconnecting_is_bad_input(rt: Runtime, org: Organization,
                                                             sandbox: Connection) -> None:
    await rt.store.update_connection(sandbox.model_copy(
        update={"status": ConnectionStatus.NEEDS_RECONNECT}))

    with pytest.raises(BadInput, match="Reconnect") as caught:
        await submit(rt, org, targets=[sandbox.id])

    assert caught.value.details == {"targets": [sandbox.id]}


# -- what it says ---------------------------------------------------------------------------------

async def test_a_post_without_text_or_media_is_bad_input(rt: Runtime, org: Organization,
                                                         sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="text or media"):
        await submit(rt, org, text="   ", targets=[sandbox.id])


async def test_validation_problems_are_bad_input_with_the_problems(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    with pytest.raises(BadInput) as caught:
        await submit(rt, org, text="x" * 5001, targets=[sandbox.id])

    problems = caught.value.details["problems"]
    assert list(problems) == ["sandbox"]
    assert [p["code"] for p in problems["sandbox"]] == ["too_long"]
    assert "5000 characters" in caught.value.message


async def test_a_variant_is_validated_instead_of_the_main_text(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    with pytest.raises(BadInput) as caught:
        await submit(rt, org, variants={"sandbox": "x" * 5001}, targets=[sandbox.id])

    assert "sandbox" in caught.value.details["problems"]


async def test_problems_are_reported_per_network(rt: Runtime, org: Organization,
                                                 sandbox: Connection) -> None:
    provider = ScriptedProvider(max_length=10)
    scripted_rt = runtime_with(rt, provider)
    await add_connection(scripted_rt, org.id, "scripted", await provider.exchange_code(
        code="Acme", redirect_uri="", code_verifier=""), actor="cli")

    with pytest.raises(BadInput) as caught:
        await submit(scripted_rt, org, text="A little too long", networks=["sandbox", "scripted"])

    assert list(caught.value.details["problems"]) == ["scripted"]


async def test_a_variant_for_an_untargeted_network_is_bad_input(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    with pytest.raises(BadInput) as caught:
        await submit(rt, org, variants={"mastodon": "Toot"}, targets=[sandbox.id])

    assert caught.value.details == {"variants": ["mastodon"]}


async def test_a_variant_is_kept_on_the_post(rt: Runtime, org: Organization,
                                             sandbox: Connection) -> None:
    post = await submit(rt, org, variants={"sandbox": "Sandbox text"}, targets=[sandbox.id])

    assert post.text_for("sandbox") == "Sandbox text"


# -- when it goes out -----------------------------------------------------------------------------

async def test_a_post_without_a_time_is_scheduled_due_now(rt: Runtime, org: Organization,
                                                          sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id])

    assert (post.status, post.scheduled_at, post.due_at) == (
        PostStatus.SCHEDULED, None, rt.clock.now())


async def test_a_scheduled_post_is_due_at_its_time(rt: Runtime, org: Organization,
                                                   sandbox: Connection) -> None:
    at = rt.clock.now() + timedelta(days=2)

    post = await submit(rt, org, targets=[sandbox.id], schedule_at=at)

    assert (post.status, post.scheduled_at, post.due_at) == (PostStatus.SCHEDULED, at, at)


async def test_a_time_with_an_offset_is_stored_in_utc(rt: Runtime, org: Organization,
                                                      sandbox: Connection) -> None:
    at = datetime.fromisoformat("2026-12-01T09:00:00+01:00")

    post = await submit(rt, org, targets=[sandbox.id], schedule_at=at)

    assert post.scheduled_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


async def test_a_time_in_the_past_is_bad_input(rt: Runtime, org: Organization,
                                               sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="in the past"):
        await submit(rt, org, targets=[sandbox.id],
                     schedule_at=rt.clock.now() - timedelta(minutes=6))


async def test_a_time_just_past_goes_out_now(rt: Runtime, org: Organization,
                                             sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id],
                        schedule_at=rt.clock.now() - timedelta(minutes=4))

    assert post.due_at == rt.clock.now()


async def test_a_time_without_an_offset_or_zone_is_read_in_the_organizations_zone(
        rt: Runtime) -> None:
    org = await create_organization(rt, "Kolkata", actor="cli", timezone="Asia/Kolkata")
    conn = await connect_sandbox(rt, org.id, "main", actor="cli")

    post = await submit(rt, org, targets=[conn.id], schedule_at=NINE_LOCAL)

    assert (post.scheduled_at, post.timezone) == (
        datetime(2026, 12, 1, 3, 30, tzinfo=UTC), "Asia/Kolkata")


# -- local times and per-connection time zones ------------------------------------------------

async def with_zone(rt: Runtime, connection: Connection, timezone: str | None) -> Connection:
    return await set_connection_timezone(rt, connection.org_id, connection.id, timezone,
                                         actor="cli")


async def test_a_local_time_is_read_in_the_targets_own_zone(rt: Runtime, org: Organization,
                                                            sandbox: Connection) -> None:
    await with_zone(rt, sandbox, "Europe/Paris")

    post = await submit(rt, org, targets=[sandbox.id], schedule_at=NINE_LOCAL)

    assert (post.scheduled_at, post.timezone) == (
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "Europe/Paris")


async def test_a_named_timezone_wins_over_the_targets_own_zone(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    await with_zone(rt, sandbox, "Europe/Paris")

    post = await submit(rt, org, targets=[sandbox.id], schedule_at=NINE_LOCAL,
                        timezone="America/New_York")

    assert (post.scheduled_at, post.timezone) == (
        datetime(2026, 12, 1, 14, 0, tzinfo=UTC), "America/New_York")


async def test_targets_sharing_a_zone_read_the_local_time_in_it(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    other = await connect_sandbox(rt, org.id, "other", actor="cli")
    for connection in (sandbox, other):
        await with_zone(rt, connection, "Europe/Paris")

    post = await submit(rt, org, targets=[sandbox.id, other.id],
                        schedule_at=NINE_LOCAL)

    assert (post.scheduled_at, post.timezone) == (
        datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "Europe/Paris")


async def test_a_local_time_for_targets_in_different_zones_is_bad_input(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    other = await connect_sandbox(rt, org.id, "other", actor="cli")
    await with_zone(rt, sandbox, "Europe/Paris")  # other reads times in the org's UTC

    with pytest.raises(BadInput, match="different time zones") as caught:
        await submit(rt, org, targets=[sandbox.id, other.id],
                     schedule_at=NINE_LOCAL)

    assert caught.value.details == {"timezones": {sandbox.id: "Europe/Paris", other.id: "UTC"}}
    assert await usage(rt, org) == 0


async def test_targets_in_different_zones_take_a_time_with_an_offset(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    other = await connect_sandbox(rt, org.id, "other", actor="cli")
    await with_zone(rt, sandbox, "Europe/Paris")
    await with_zone(rt, other, "Asia/Tokyo")

    post = await submit(rt, org, targets=[sandbox.id, other.id],
                        schedule_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    assert (post.scheduled_at, post.timezone) == (datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                                                  "UTC")


async def test_a_cleared_zone_reads_local_times_in_the_organizations_again(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    await with_zone(rt, sandbox, "Europe/Paris")
    await with_zone(rt, sandbox, None)

    post = await submit(rt, org, targets=[sandbox.id], schedule_at=NINE_LOCAL)

    assert (post.scheduled_at, post.timezone) == (datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                                                  "UTC")


async def test_a_time_more_than_two_years_ahead_is_bad_input(rt: Runtime, org: Organization,
                                                             sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="two years"):
        await submit(rt, org, targets=[sandbox.id],
                     schedule_at=rt.clock.now() + timedelta(days=731))


async def test_a_time_and_the_queue_together_are_bad_input(rt: Runtime, org: Organization,
                                                           sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="not both"):
        await submit(rt, org, targets=[sandbox.id], queue=True,
                     schedule_at=rt.clock.now() + timedelta(hours=1))


async def test_a_queued_post_takes_the_next_slot(rt: Runtime, org: Organization,
                                                 sandbox: Connection) -> None:
    # The clock reads Wednesday 12:00 UTC; the next default slot is 13:00.
    post = await submit(rt, org, targets=[sandbox.id], queue=True)

    assert (post.scheduled_at, post.due_at, post.from_queue) == (
        datetime(2026, 11, 25, 13, 0, tzinfo=UTC), datetime(2026, 11, 25, 13, 0, tzinfo=UTC),
        True)


async def test_a_second_queued_post_takes_the_slot_after(rt: Runtime, org: Organization,
                                                         sandbox: Connection) -> None:
    await submit(rt, org, targets=[sandbox.id], queue=True)

    post = await submit(rt, org, targets=[sandbox.id], queue=True)

    assert post.scheduled_at == datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


async def test_queue_slots_follow_the_requested_time_zone(rt: Runtime, org: Organization,
                                                          sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id], queue=True, timezone="America/New_York")

    assert (post.scheduled_at, post.timezone) == (
        datetime(2026, 11, 25, 14, 0, tzinfo=UTC), "America/New_York")


async def test_an_unknown_time_zone_is_bad_input(rt: Runtime, org: Organization,
                                                 sandbox: Connection) -> None:
    with pytest.raises(BadInput, match="Mars/Olympus"):
        await submit(rt, org, targets=[sandbox.id], timezone="Mars/Olympus")


async def test_a_post_needing_review_waits_in_review(rt: Runtime, org: Organization,
                                                     sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id], review_required=True)

    assert (post.status, post.due_at) == (PostStatus.IN_REVIEW, None)


async def test_the_submitted_post_is_stored(rt: Runtime, org: Organization,
                                            sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id], media_urls=["https://cdn.test/a.png"])

    assert await rt.store.get_post(org.id, post.id) == post
    assert [m.url for m in post.media] == ["https://cdn.test/a.png"]


async def test_submitting_records_one_creation_event_with_the_statuses_passed(
        rt: Runtime, org: Organization, sandbox: Connection) -> None:
    post = await submit(rt, org, targets=[sandbox.id])

    events = await rt.store.list_audit(org.id, subject_id=post.id)
    assert [(e.action, e.data["status"], e.data["path"], e.data["reason"]) for e in events] == [
        ("post.created", "scheduled", "draft > approved > scheduled", "no review required")]


# -- the monthly limit ----------------------------------------------------------------------------

async def test_each_accepted_post_counts_once(rt: Runtime, org: Organization,
                                              sandbox: Connection) -> None:
    await submit(rt, org, targets=[sandbox.id])
    await submit(rt, org, targets=[sandbox.id], review_required=True)

    assert await usage(rt, org) == 2


async def test_the_31st_post_on_free_is_refused(rt: Runtime, org: Organization,
                                                sandbox: Connection) -> None:
    for _ in range(30):
        await submit(rt, org, targets=[sandbox.id])

    with pytest.raises(LimitReached) as caught:
        await submit(rt, org, targets=[sandbox.id])

    assert caught.value.message == (
        "Your Free plan allows 30 scheduled posts a month and you have used 30. "
        "The Pro plan allows 1000 scheduled posts a month.")
    assert len(await rt.store.list_posts(org.id, limit=100)) == 30


async def test_a_refused_post_does_not_use_up_the_limit(rt: Runtime, org: Organization,
                                                        sandbox: Connection) -> None:
    for _ in range(30):
        await submit(rt, org, targets=[sandbox.id])
    with pytest.raises(LimitReached):
        await submit(rt, org, targets=[sandbox.id])

    assert await usage(rt, org) == 30


async def test_a_bad_input_post_does_not_count(rt: Runtime, org: Organization,
                                               sandbox: Connection) -> None:
    with pytest.raises(BadInput):
        await submit(rt, org, text="x" * 5001, targets=[sandbox.id])
    with pytest.raises(BadInput):
        await submit(rt, org, targets=[sandbox.id],
                     schedule_at=rt.clock.now() - timedelta(days=1))

    assert await usage(rt, org) == 0


async def test_the_limit_starts_again_the_next_month(rt: Runtime, org: Organization,
                                                     sandbox: Connection,
                                                     clock: ManualClock) -> None:
    for _ in range(30):
        await submit(rt, org, targets=[sandbox.id])
    clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))

    post = await submit(rt, org, targets=[sandbox.id])

    assert post.status is PostStatus.SCHEDULED
