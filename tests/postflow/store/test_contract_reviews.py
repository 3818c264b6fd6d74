"""Store contract: approval policies and review requests — round trips, org scoping,
compare-and-swap writes, the latest review of a post, and the expiry query."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from postflow.approvals import ApprovalPolicy, ApprovalRules
from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.organizations import Role
from postflow.reviews import (
    ChatMessageRef,
    ReviewDecision,
    ReviewedContent,
    ReviewRequest,
    ReviewState,
    Verdict,
)
from postflow.store.port import Store
from tests.postflow.store.factories import T0, make_post


def make_review(org_id: str, post_id: str = "post_1", **fields: Any) -> ReviewRequest:
    content = ReviewedContent.of(make_post(org_id, scheduled_at=T0 + timedelta(days=1)))
    values: dict[str, Any] = {
        "id": new_id("rev"), "org_id": org_id, "post_id": post_id, "requested_by": "slack:U1",
        "requested_at": T0, "content": content, "fingerprint": content.fingerprint(),
        "rules": ApprovalRules(policies=(ApprovalPolicy(),)),
        "expires_at": T0 + timedelta(hours=72)}
    return ReviewRequest(**(values | fields))


async def test_approval_policies_round_trip_by_scope_and_can_be_removed(store: Store) -> None:
    named = ApprovalPolicy(quorum=2, approver_role=None, approvers=("mem_1",),
                           authors_may_approve=True, deadline_hours=None)
    await store.save_approval_policy("org_a", "", ApprovalPolicy(quorum=3))
    await store.save_approval_policy("org_a", "conn_1", named)
    await store.save_approval_policy("org_a", "", ApprovalPolicy(approver_role=Role.OWNER))

    assert await store.get_approval_policies("org_a") == {
        "": ApprovalPolicy(approver_role=Role.OWNER), "conn_1": named}
    assert await store.get_approval_policies("org_b") == {}
    await store.save_approval_policy("org_a", "conn_1", None)
    assert set(await store.get_approval_policies("org_a")) == {""}


async def test_a_review_round_trips_with_its_decisions_and_message(store: Store) -> None:
    review = make_review("org_a", decisions=[ReviewDecision(
        actor="slack:U2", member_id="mem_2", verdict=Verdict.APPROVE, at=T0, round=1,
        fingerprint="f" * 64)], message=ChatMessageRef(platform="slack", workspace_id="T1",
                                                       channel_id="C1", message_id="1.2"))
    await store.insert_review(review)

    assert await store.get_review("org_a", review.id) == review
    with pytest.raises(NotFound):
        await store.get_review("org_b", review.id)
    with pytest.raises(Conflict):
        await store.insert_review(review)


async def test_find_review_for_post_returns_the_latest(store: Store) -> None:
    old = make_review("org_a", requested_at=T0)
    new = make_review("org_a", requested_at=T0 + timedelta(minutes=1))
    await store.insert_review(new)
    await store.insert_review(old)

    found = await store.find_review_for_post("org_a", "post_1")
    assert found is not None and found.id == new.id
    assert await store.find_review_for_post("org_b", "post_1") is None


async def test_replace_review_is_compare_and_swap(store: Store) -> None:
    review = make_review("org_a")
    await store.insert_review(review)
    closed = review.model_copy(update={"state": ReviewState.APPROVED, "version": 2})
    await store.replace_review(closed, expected_version=1)

    with pytest.raises(Conflict):
        await store.replace_review(closed.model_copy(update={"version": 3}), expected_version=1)
    with pytest.raises(NotFound):
        await store.replace_review(make_review("org_a"), expected_version=1)
    assert (await store.get_review("org_a", review.id)).state is ReviewState.APPROVED


async def test_find_expired_reviews_lists_open_ones_past_their_deadline(store: Store) -> None:
    due = make_review("org_a", expires_at=T0 + timedelta(hours=1))
    later = make_review("org_b", expires_at=T0 + timedelta(hours=3))
    never = make_review("org_a", expires_at=None)
    closed = make_review("org_a", expires_at=T0, state=ReviewState.REJECTED)
    for review in (due, later, never, closed):
        await store.insert_review(review)

    found = await store.find_expired_reviews(T0 + timedelta(hours=2), 10)

    assert [r.id for r in found] == [due.id]
    assert [r.id for r in await store.find_expired_reviews(T0 + timedelta(hours=5), 10)] == [
        due.id, later.id]
