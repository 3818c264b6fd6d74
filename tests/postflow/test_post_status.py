"""The post state machine: every move is either allowed (and bumps the version) or refused."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from postflow.errors import InvalidTransition
from postflow.post_status import (
    ALLOWED_TRANSITIONS,
    TERMINAL_STATUSES,
    can_transition,
    outcome_status,
    revise,
    transition,
)
from postflow.posts import Post, PostSource, PostStatus, PostTarget, TargetStatus

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)

ALL_PAIRS = list(itertools.product(PostStatus, PostStatus))
ALLOWED_PAIRS = [(a, b) for a, b in ALL_PAIRS if b in ALLOWED_TRANSITIONS[a]]
REFUSED_PAIRS = [(a, b) for a, b in ALL_PAIRS if b not in ALLOWED_TRANSITIONS[a]]


def make_post(status: PostStatus, version: int = 3) -> Post:
    return Post(id="post_1", org_id="org_1", text="Hello",
                targets=[PostTarget(connection_id="conn_1", network="sandbox")],
                status=status, version=version, source=PostSource(kind="cli"),
                created_at=T0, updated_at=T0)


def targets(*statuses: TargetStatus) -> list[PostTarget]:
    return [PostTarget(connection_id=f"conn_{i}", network="sandbox", status=s)
            for i, s in enumerate(statuses)]


def test_every_status_has_an_entry_in_the_transition_table() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(PostStatus)


@pytest.mark.parametrize(("current", "to"), REFUSED_PAIRS, ids=lambda s: s.value)
def test_a_move_outside_the_table_raises_invalid_transition(current: PostStatus,
                                                             to: PostStatus) -> None:
    post = make_post(current)

    with pytest.raises(InvalidTransition) as caught:
        transition(post, to, at=T1)

    assert caught.value.details["from"] == current.value
    assert caught.value.details["to"] == to.value
    assert not can_transition(current, to)


@pytest.mark.parametrize(("current", "to"), ALLOWED_PAIRS, ids=lambda s: s.value)
def test_an_allowed_move_changes_status_and_bumps_version(current: PostStatus,
                                                          to: PostStatus) -> None:
    post = make_post(current, version=3)

    moved = transition(post, to, at=T1, reason="because")

    assert (moved.status, moved.version, moved.updated_at, moved.status_reason) == (
        to, 4, T1, "because")


def test_a_transition_leaves_the_original_post_untouched() -> None:
    post = make_post(PostStatus.SCHEDULED)

    transition(post, PostStatus.QUEUED, at=T1)

    assert (post.status, post.version) == (PostStatus.SCHEDULED, 3)


def test_a_transition_applies_extra_changes() -> None:
    moved = transition(make_post(PostStatus.PUBLISHING), PostStatus.SCHEDULED, at=T1, due_at=T1)

    assert moved.due_at == T1


def test_a_refusal_lists_the_allowed_statuses() -> None:
    with pytest.raises(InvalidTransition) as caught:
        transition(make_post(PostStatus.QUEUED), PostStatus.DRAFT, at=T1)

    assert caught.value.details["allowed"] == ["canceled", "publishing", "scheduled"]


def test_published_and_canceled_are_the_terminal_statuses() -> None:
    assert frozenset({PostStatus.PUBLISHED, PostStatus.CANCELED}) == TERMINAL_STATUSES


def test_a_post_that_started_publishing_cannot_be_canceled() -> None:
    assert not can_transition(PostStatus.PUBLISHING, PostStatus.CANCELED)


def test_revise_bumps_version_and_keeps_status() -> None:
    revised = revise(make_post(PostStatus.QUEUED), at=T1, text="Edited")

    assert (revised.status, revised.version, revised.text) == (PostStatus.QUEUED, 4, "Edited")


def test_outcome_is_published_when_every_target_published() -> None:
    assert outcome_status(targets(TargetStatus.PUBLISHED, TargetStatus.PUBLISHED)) is \
        PostStatus.PUBLISHED


def test_outcome_is_partial_when_two_of_three_targets_published() -> None:
    assert outcome_status(targets(TargetStatus.PUBLISHED, TargetStatus.FAILED,
                                  TargetStatus.PUBLISHED)) is PostStatus.PARTIAL


def test_outcome_is_failed_when_no_target_published() -> None:
    assert outcome_status(targets(TargetStatus.FAILED, TargetStatus.FAILED)) is \
        PostStatus.FAILED


@pytest.mark.parametrize("open_status", [TargetStatus.PENDING, TargetStatus.PUBLISHING])
def test_outcome_is_undecided_while_a_target_is_still_open(open_status: TargetStatus) -> None:
    assert outcome_status(targets(TargetStatus.PUBLISHED, open_status)) is None


def test_an_unconfirmed_target_counts_as_not_published() -> None:
    assert outcome_status(targets(TargetStatus.PUBLISHED, TargetStatus.UNCONFIRMED)) is \
        PostStatus.PARTIAL


def test_only_unconfirmed_targets_add_up_to_failed() -> None:
    assert outcome_status(targets(TargetStatus.UNCONFIRMED)) is PostStatus.FAILED


@pytest.mark.parametrize(("current", "to"), [
    (PostStatus.SCHEDULED, PostStatus.LATE),
    (PostStatus.LATE, PostStatus.SCHEDULED),
    (PostStatus.LATE, PostStatus.CANCELED),
    (PostStatus.QUEUED, PostStatus.SCHEDULED),
    (PostStatus.FAILED, PostStatus.SCHEDULED),
    (PostStatus.PARTIAL, PostStatus.SCHEDULED),
], ids=lambda s: s.value)
def test_late_reschedule_and_retry_moves_are_allowed(current: PostStatus,
                                                     to: PostStatus) -> None:
    assert can_transition(current, to)


@pytest.mark.parametrize("to", [PostStatus.QUEUED, PostStatus.PUBLISHING, PostStatus.PUBLISHED],
                         ids=lambda s: s.value)
def test_a_late_post_never_goes_out_without_going_back_to_scheduled(to: PostStatus) -> None:
    assert not can_transition(PostStatus.LATE, to)


@pytest.mark.parametrize("current", [PostStatus.QUEUED, PostStatus.PUBLISHING, PostStatus.FAILED,
                                     PostStatus.PARTIAL], ids=lambda s: s.value)
def test_only_a_scheduled_post_can_become_late(current: PostStatus) -> None:
    assert not can_transition(current, PostStatus.LATE)
