"""Store contract: publish attempts (opened once, closed once) and the audit log."""

from __future__ import annotations

import pytest

from postflow.attempts import AttemptOutcome, PublishAttempt
from postflow.errors import Conflict, NotFound
from postflow.store.port import Store
from tests.postflow.store.factories import at, make_attempt, make_audit_event


def closed(attempt: PublishAttempt, outcome: AttemptOutcome, **changes: object) -> PublishAttempt:
    return attempt.model_copy(update={"outcome": outcome, "finished_at": at(1), **changes})


async def test_attempt_round_trip_keeps_every_field(store: Store) -> None:
    attempt = make_attempt("org_a", "post_1")
    await store.insert_attempt(attempt)

    assert await store.list_attempts("org_a", "post_1") == [attempt]


async def test_inserting_an_attempt_id_twice_raises_conflict(store: Store) -> None:
    attempt = make_attempt("org_a", "post_1")
    await store.insert_attempt(attempt)

    with pytest.raises(Conflict):
        await store.insert_attempt(attempt)


async def test_finish_attempt_stores_the_outcome(store: Store) -> None:
    attempt = make_attempt("org_a", "post_1")
    await store.insert_attempt(attempt)
    published = closed(attempt, AttemptOutcome.PUBLISHED, platform_post_id="p1",
                       url="https://social.example/p1", raw_response='{"id": "p1"}')

    await store.finish_attempt(published)

    assert await store.list_attempts("org_a", "post_1") == [published]


async def test_finishing_an_attempt_twice_raises_conflict(store: Store) -> None:
    attempt = make_attempt("org_a", "post_1")
    await store.insert_attempt(attempt)
    failed = closed(attempt, AttemptOutcome.FAILED, error_kind="rejected", error_message="no")
    await store.finish_attempt(failed)

    with pytest.raises(Conflict):
        await store.finish_attempt(closed(attempt, AttemptOutcome.PUBLISHED))
    assert await store.list_attempts("org_a", "post_1") == [failed]


async def test_finishing_an_unknown_attempt_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.finish_attempt(closed(make_attempt("org_a", "post_1"),
                                          AttemptOutcome.PUBLISHED))


async def test_finishing_another_organizations_attempt_raises_not_found(store: Store) -> None:
    attempt = make_attempt("org_a", "post_1")
    await store.insert_attempt(attempt)

    with pytest.raises(NotFound):
        await store.finish_attempt(closed(attempt, AttemptOutcome.PUBLISHED, org_id="org_b"))
    assert await store.list_attempts("org_a", "post_1") == [attempt]


async def test_list_attempts_is_oldest_first_for_one_post_of_one_organization(
        store: Store) -> None:
    second = make_attempt("org_a", "post_1", started_at=at(5))
    first = make_attempt("org_a", "post_1", started_at=at(1))
    for attempt in (second, first, make_attempt("org_a", "post_2"),
                    make_attempt("org_b", "post_1")):
        await store.insert_attempt(attempt)

    assert await store.list_attempts("org_a", "post_1") == [first, second]


async def test_audit_event_round_trip_keeps_every_field(store: Store) -> None:
    event = make_audit_event("org_a", actor="slack:U1", action="post.status_changed",
                             data={"from": "draft", "to": "scheduled", "version": 3,
                                   "score": 0.5, "forced": False, "reason": None})
    await store.append_audit(event)

    assert await store.list_audit("org_a") == [event]


async def test_list_audit_is_oldest_first_and_scoped(store: Store) -> None:
    later = make_audit_event("org_a", at=at(5))
    earlier = make_audit_event("org_a", at=at(1))
    for event in (later, earlier, make_audit_event("org_b")):
        await store.append_audit(event)

    assert await store.list_audit("org_a") == [earlier, later]


async def test_list_audit_filters_by_subject(store: Store) -> None:
    about_post = make_audit_event("org_a", subject_id="post_1")
    await store.append_audit(about_post)
    await store.append_audit(make_audit_event("org_a", subject_id="post_2"))

    assert await store.list_audit("org_a", subject_id="post_1") == [about_post]


async def test_list_audit_returns_the_oldest_events_up_to_the_limit(store: Store) -> None:
    for minute in (3, 1, 2):
        await store.append_audit(make_audit_event("org_a", at=at(minute)))

    assert [e.at for e in await store.list_audit("org_a", limit=2)] == [at(1), at(2)]


async def test_list_recent_audit_pages_newest_first_within_the_organization(
        store: Store) -> None:
    events = [make_audit_event("org_a", at=at(minute)) for minute in (2, 4, 1, 3)]
    for event in (*events, make_audit_event("org_b", at=at(9))):
        await store.append_audit(event)

    first = await store.list_recent_audit("org_a", offset=0, limit=3)
    second = await store.list_recent_audit("org_a", offset=3, limit=3)

    assert [e.at for e in first] == [at(4), at(3), at(2)]
    assert [e.at for e in second] == [at(1)]
