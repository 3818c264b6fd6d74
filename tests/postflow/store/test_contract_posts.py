"""Store contract: posts — round trips, org scoping, compare-and-swap writes and the
scheduler's queries."""

from __future__ import annotations

import asyncio

import pytest

from postflow.attempts import AttemptOutcome
from postflow.errors import Conflict, NotFound
from postflow.posts import Post, PostStatus
from postflow.store.port import Store
from tests.postflow.store.factories import (
    at,
    full_post,
    make_attempt,
    make_audit_event,
    make_post,
)


def bumped(post: Post, **changes: object) -> Post:
    """``post`` as the core writes it next: version + 1 and ``changes`` applied."""
    return post.model_copy(update={"version": post.version + 1, **changes})


async def test_post_round_trip_keeps_every_field(store: Store) -> None:
    post = full_post("org_a")
    await store.insert_post(post)

    assert await store.get_post("org_a", post.id) == post


async def test_post_with_only_required_fields_round_trips(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)

    assert await store.get_post("org_a", post.id) == post


async def test_inserting_a_post_id_twice_raises_conflict(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)

    with pytest.raises(Conflict):
        await store.insert_post(post)


async def test_get_post_of_another_organization_raises_not_found(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)

    with pytest.raises(NotFound):
        await store.get_post("org_b", post.id)


async def test_list_posts_is_newest_first_and_scoped(store: Store) -> None:
    posts = [make_post("org_a", created_at=at(i)) for i in (2, 0, 1)]
    for post in [*posts, make_post("org_b", created_at=at(3))]:
        await store.insert_post(post)

    listed = await store.list_posts("org_a")

    assert [p.created_at for p in listed] == [at(2), at(1), at(0)]


async def test_list_posts_breaks_created_at_ties_by_id_descending(store: Store) -> None:
    posts = [make_post("org_a", id=f"post_{name}") for name in ("b", "c", "a")]
    for post in posts:
        await store.insert_post(post)

    assert [p.id for p in await store.list_posts("org_a")] == ["post_c", "post_b", "post_a"]


async def test_list_posts_filters_by_statuses(store: Store) -> None:
    for status in (PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.FAILED):
        await store.insert_post(make_post("org_a", status=status))

    listed = await store.list_posts("org_a", statuses=[PostStatus.DRAFT, PostStatus.FAILED])

    assert sorted(p.status for p in listed) == [PostStatus.DRAFT, PostStatus.FAILED]


async def test_count_posts_counts_the_statuses_asked_for_in_one_organization(
        store: Store) -> None:
    for status in (PostStatus.DRAFT, PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.FAILED):
        await store.insert_post(make_post("org_a", status=status))
    await store.insert_post(make_post("org_b", status=PostStatus.DRAFT))

    assert await store.count_posts("org_a", [PostStatus.DRAFT]) == 2
    assert await store.count_posts("org_a", [PostStatus.DRAFT, PostStatus.FAILED]) == 3
    assert await store.count_posts("org_a", [PostStatus.PUBLISHED]) == 0
    assert await store.count_posts("org_c", [PostStatus.DRAFT]) == 0


async def test_list_posts_soonest_first_orders_by_due_time_and_pages(store: Store) -> None:
    due_later = make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(30),
                          created_at=at(1))
    due_first = make_post("org_a", status=PostStatus.QUEUED, due_at=at(10), created_at=at(2))
    # no due time yet: its scheduled time counts
    scheduled = make_post("org_a", status=PostStatus.APPROVED, scheduled_at=at(20),
                          created_at=at(3))
    timeless_old = make_post("org_a", status=PostStatus.APPROVED, created_at=at(4))
    timeless_new = make_post("org_a", status=PostStatus.APPROVED, created_at=at(5))
    other_status = make_post("org_a", status=PostStatus.DRAFT, due_at=at(0))
    other_org = make_post("org_b", status=PostStatus.SCHEDULED, due_at=at(0))
    for post in (timeless_new, due_later, other_status, scheduled, timeless_old, due_first,
                 other_org):
        await store.insert_post(post)
    upcoming = [PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.QUEUED]

    async def page(offset: int, limit: int) -> list[str]:
        return [p.id for p in await store.list_posts_soonest_first(
            "org_a", upcoming, offset=offset, limit=limit)]

    expected = [due_first.id, scheduled.id, due_later.id, timeless_old.id, timeless_new.id]
    assert await page(0, 10) == expected
    assert await page(0, 2) + await page(2, 2) + await page(4, 2) == expected
    assert await page(5, 2) == []


async def test_list_posts_stops_at_the_limit(store: Store) -> None:
    for i in range(5):
        await store.insert_post(make_post("org_a", created_at=at(i)))

    listed = await store.list_posts("org_a", limit=2)

    assert [p.created_at for p in listed] == [at(4), at(3)]


async def test_replace_post_with_the_stored_version_writes_it(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)
    changed = bumped(post, text="Edited", status=PostStatus.SCHEDULED, due_at=at(5))

    await store.replace_post(changed, expected_version=post.version)

    assert await store.get_post("org_a", post.id) == changed


async def test_replace_post_with_a_stale_version_raises_conflict(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)
    await store.replace_post(bumped(post, text="First"), expected_version=post.version)

    with pytest.raises(Conflict):
        await store.replace_post(bumped(post, text="Second"), expected_version=post.version)
    assert (await store.get_post("org_a", post.id)).text == "First"


async def test_replace_post_of_another_organization_raises_not_found(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)

    with pytest.raises(NotFound):
        await store.replace_post(bumped(post, org_id="org_b"), expected_version=post.version)
    assert await store.get_post("org_a", post.id) == post


async def test_replace_unknown_post_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.replace_post(make_post("org_a"), expected_version=1)


async def test_concurrent_replaces_of_one_version_let_exactly_one_win(store: Store) -> None:
    post = make_post("org_a", status=PostStatus.SCHEDULED)
    await store.insert_post(post)
    claims = [bumped(post, status=PostStatus.PUBLISHING, created_by=f"worker{i}")
              for i in range(20)]

    results = await asyncio.gather(
        *(store.replace_post(claim, expected_version=post.version) for claim in claims),
        return_exceptions=True)

    winners = [claim for claim, result in zip(claims, results, strict=True) if result is None]
    assert len(winners) == 1
    assert all(isinstance(result, Conflict) for result in results if result is not None)
    assert await store.get_post("org_a", post.id) == winners[0]


async def test_find_due_posts_returns_scheduled_posts_due_by_now_earliest_first(
        store: Store) -> None:
    later = make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(10))
    earlier = make_post("org_b", status=PostStatus.SCHEDULED, due_at=at(5))
    exactly_now = make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(20))
    for post in (later, earlier, exactly_now):
        await store.insert_post(post)

    assert [p.id for p in await store.find_due_posts(at(20), limit=10)] == [
        earlier.id, later.id, exactly_now.id]


async def test_find_due_posts_leaves_out_future_and_unscheduled_posts(store: Store) -> None:
    due = make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(1))
    for post in (due,
                 make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(11)),
                 make_post("org_a", status=PostStatus.PUBLISHING, due_at=at(1)),
                 make_post("org_a", status=PostStatus.CANCELED, due_at=at(1)),
                 make_post("org_a", status=PostStatus.DRAFT, due_at=None)):
        await store.insert_post(post)

    assert [p.id for p in await store.find_due_posts(at(10), limit=10)] == [due.id]


async def test_next_due_at_is_the_earliest_due_time_of_a_scheduled_post(store: Store) -> None:
    assert await store.next_due_at() is None
    for post in (make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(30)),
                 make_post("org_b", status=PostStatus.SCHEDULED, due_at=at(12)),
                 make_post("org_a", status=PostStatus.QUEUED, due_at=at(1)),
                 make_post("org_a", status=PostStatus.DRAFT, due_at=None)):
        await store.insert_post(post)

    assert await store.next_due_at() == at(12)


async def test_find_due_posts_stops_at_the_limit(store: Store) -> None:
    for minute in (3, 1, 2):
        await store.insert_post(make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(minute)))

    due = await store.find_due_posts(at(10), limit=2)

    assert [p.due_at for p in due] == [at(1), at(2)]


async def test_find_due_posts_sees_a_due_time_moved_by_replace(store: Store) -> None:
    post = make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(1))
    await store.insert_post(post)
    await store.replace_post(bumped(post, due_at=at(30)), expected_version=post.version)

    assert await store.find_due_posts(at(10), limit=10) == []


async def test_find_stale_posts_returns_posts_in_statuses_untouched_since_oldest_first(
        store: Store) -> None:
    newer = make_post("org_a", status=PostStatus.PUBLISHING, updated_at=at(5))
    older = make_post("org_b", status=PostStatus.QUEUED, updated_at=at(1))
    for post in (newer, older,
                 make_post("org_a", status=PostStatus.PUBLISHING, updated_at=at(10)),
                 make_post("org_a", status=PostStatus.PUBLISHED, updated_at=at(1))):
        await store.insert_post(post)

    stale = await store.find_stale_posts([PostStatus.PUBLISHING, PostStatus.QUEUED],
                                         updated_before=at(10), limit=10)

    assert [p.id for p in stale] == [older.id, newer.id]


async def test_find_stale_posts_stops_at_the_limit(store: Store) -> None:
    for minute in (3, 1, 2):
        await store.insert_post(
            make_post("org_a", status=PostStatus.PUBLISHING, updated_at=at(minute)))

    stale = await store.find_stale_posts([PostStatus.PUBLISHING], updated_before=at(10),
                                         limit=2)

    assert [p.updated_at for p in stale] == [at(1), at(2)]


async def test_list_queue_times_returns_queue_slots_of_the_connection_ascending(
        store: Store) -> None:
    for minute in (30, 10, 20):
        await store.insert_post(make_post("org_a", ("conn_a", "conn_b"), from_queue=True,
                                          status=PostStatus.SCHEDULED, scheduled_at=at(minute)))

    assert await store.list_queue_times("org_a", "conn_b", after=at(0)) == [
        at(10), at(20), at(30)]


async def test_list_queue_times_leaves_out_what_does_not_hold_a_queue_slot(
        store: Store) -> None:
    kept = make_post("org_a", ("conn_a",), from_queue=True, status=PostStatus.SCHEDULED,
                     scheduled_at=at(10))
    left_out = [
        make_post("org_a", ("conn_a",), from_queue=False, status=PostStatus.SCHEDULED,
                  scheduled_at=at(11)),
        make_post("org_a", ("conn_a",), from_queue=True, status=PostStatus.CANCELED,
                  scheduled_at=at(12)),
        make_post("org_a", ("conn_a",), from_queue=True, status=PostStatus.SCHEDULED,
                  scheduled_at=at(5)),
        make_post("org_a", ("conn_z",), from_queue=True, status=PostStatus.SCHEDULED,
                  scheduled_at=at(13)),
        make_post("org_b", ("conn_a",), from_queue=True, status=PostStatus.SCHEDULED,
                  scheduled_at=at(14)),
    ]
    for post in [kept, *left_out]:
        await store.insert_post(post)

    assert await store.list_queue_times("org_a", "conn_a", after=at(5)) == [at(10)]


async def test_list_queue_times_includes_published_posts(store: Store) -> None:
    await store.insert_post(make_post("org_a", ("conn_a",), from_queue=True,
                                      status=PostStatus.PUBLISHED, scheduled_at=at(10)))

    assert await store.list_queue_times("org_a", "conn_a", after=at(0)) == [at(10)]


async def test_replace_post_writes_its_audit_events_and_attempt_with_it(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)
    attempt = make_attempt("org_a", post.id)
    event = make_audit_event("org_a", action="post.status_changed", subject_id=post.id)

    await store.replace_post(bumped(post, text="Publishing"), expected_version=post.version,
                             audit=[event], attempt=attempt)

    assert await store.list_attempts("org_a", post.id) == [attempt]
    assert await store.list_audit("org_a", post.id) == [event]


async def test_replace_post_with_a_finished_attempt_closes_the_pending_one(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)
    attempt = make_attempt("org_a", post.id)
    await store.insert_attempt(attempt)
    published = attempt.model_copy(update={"outcome": AttemptOutcome.PUBLISHED,
                                           "finished_at": at(1), "platform_post_id": "p1"})

    await store.replace_post(bumped(post, text="Published"), expected_version=post.version,
                             attempt=published)

    assert await store.list_attempts("org_a", post.id) == [published]


async def test_a_stale_replace_post_writes_neither_audit_events_nor_attempt(
        store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)
    await store.replace_post(bumped(post, text="First"), expected_version=post.version)

    with pytest.raises(Conflict):
        await store.replace_post(
            bumped(post, text="Second"), expected_version=post.version,
            audit=[make_audit_event("org_a", subject_id=post.id)],
            attempt=make_attempt("org_a", post.id))

    assert await store.list_attempts("org_a", post.id) == []
    assert await store.list_audit("org_a", post.id) == []


async def test_find_due_posts_leaves_out_the_excluded_organizations(store: Store) -> None:
    kept = make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(2))
    for post in (kept, make_post("org_b", status=PostStatus.SCHEDULED, due_at=at(1)),
                 make_post("org_c", status=PostStatus.SCHEDULED, due_at=at(1))):
        await store.insert_post(post)

    due = await store.find_due_posts(at(10), limit=10, excluding_orgs=["org_b", "org_c"])

    assert [p.id for p in due] == [kept.id]


async def test_next_due_at_leaves_out_the_excluded_organizations(store: Store) -> None:
    for post in (make_post("org_a", status=PostStatus.SCHEDULED, due_at=at(30)),
                 make_post("org_b", status=PostStatus.SCHEDULED, due_at=at(12))):
        await store.insert_post(post)

    assert await store.next_due_at(excluding_orgs=["org_b"]) == at(30)
    assert await store.next_due_at(excluding_orgs=["org_a", "org_b"]) is None
