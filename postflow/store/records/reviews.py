"""Approval policies and the review requests they open."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from postflow.approvals import ApprovalPolicy
from postflow.reviews import ReviewRequest


class ReviewRecords(Protocol):
    async def get_approval_policies(self, org_id: str) -> dict[str, ApprovalPolicy]:
        """The organization's stored policies by scope: ``""`` for the organization itself, a
        connection id for that connection's override. Empty when none was ever set."""
        ...

    async def save_approval_policy(self, org_id: str, scope: str,
                                   policy: ApprovalPolicy | None) -> None:
        """Insert or replace the policy of ``scope``; ``None`` removes it."""
        ...

    async def insert_review(self, review: ReviewRequest) -> None:
        """Raises Conflict when the review id exists."""
        ...

    async def get_review(self, org_id: str, review_id: str) -> ReviewRequest:
        """Raises NotFound."""
        ...

    async def find_review_for_post(self, org_id: str, post_id: str) -> ReviewRequest | None:
        """The post's latest review record (by ``requested_at``, then id), or None."""
        ...

    async def replace_review(self, review: ReviewRequest, expected_version: int) -> None:
        """Write ``review`` only if the stored version is ``expected_version``; else Conflict.

        Raises NotFound when the review does not exist in that organization.
        """
        ...

    async def list_open_reviews(self, org_id: str, limit: int) -> list[ReviewRequest]:
        """The organization's open review requests, oldest requested first."""
        ...

    async def find_expired_reviews(self, now: datetime, limit: int) -> list[ReviewRequest]:
        """Open reviews whose ``expires_at`` is at or before ``now``, earliest first, across
        organizations (the scheduler serves them all)."""
        ...
