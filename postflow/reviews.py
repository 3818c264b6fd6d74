"""A review request and its decisions, bound to the exact content that was reviewed.

A post has at most one review record at a time; it is reopened (``round`` + 1) when the post is
edited or review is asked for again, so chat adapters keep answering in the same thread. An
approval counts only for the content it was given on: the record keeps a fingerprint of the text,
variants, media, targets and time, and an edit invalidates the approvals given before it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from postflow.approvals import ApprovalRules
from postflow.clock import UtcDatetime
from postflow.posts import Post


class ReviewState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    #: A reviewer asked for changes: the post is a Draft again until the author edits it.
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    #: Nobody decided before the deadline: the post is a Draft again.
    EXPIRED = "expired"


class Verdict(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


class ReviewWhen(StrEnum):
    """When the author wants the post out once approved."""

    AT = "at"
    QUEUE = "queue"
    NOW = "now"


class ReviewedContent(BaseModel):
    """What reviewers see and approve: everything that changes what goes out, and when."""

    model_config = ConfigDict(frozen=True)

    text: str
    variants: dict[str, str] = Field(default_factory=dict)
    media: tuple[str, ...] = ()
    #: (connection id, network), sorted.
    targets: tuple[tuple[str, str], ...] = ()
    when: ReviewWhen
    #: The time asked for when ``when`` is AT. A queue slot is not part of the content: the
    #: queue may move it, the author chose "next slot".
    at: UtcDatetime | None = None

    @classmethod
    def of(cls, post: Post) -> ReviewedContent:
        if post.from_queue:
            when, at = ReviewWhen.QUEUE, None
        elif post.scheduled_at is None:
            when, at = ReviewWhen.NOW, None
        else:
            when, at = ReviewWhen.AT, post.scheduled_at
        return cls(text=post.text, variants=dict(sorted(post.variants.items())),
                   media=tuple(m.url for m in post.media),
                   targets=tuple(sorted((t.connection_id, t.network) for t in post.targets)),
                   when=when, at=at)

    def fingerprint(self) -> str:
        """A SHA-256 over the canonical JSON of the content."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True,
                               separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def changes_from(self, before: ReviewedContent) -> list[str]:
        """What differs from ``before``, one short line per kind of change."""
        changes = []
        if self.text != before.text:
            changes.append("the text changed")
        for network in sorted(set(self.variants) | set(before.variants)):
            if self.variants.get(network) != before.variants.get(network):
                changes.append(f"the {network} text changed")
        added = [m for m in self.media if m not in before.media]
        removed = [m for m in before.media if m not in self.media]
        if added or removed:
            changes.append(f"media: {len(added)} added, {len(removed)} removed")
        now_targets, old_targets = set(self.targets), set(before.targets)
        if now_targets != old_targets:
            plus = ", ".join(f"+{net}" for _, net in sorted(now_targets - old_targets))
            minus = ", ".join(f"-{net}" for _, net in sorted(old_targets - now_targets))
            changes.append("targets: " + ", ".join(p for p in (plus, minus) if p))
        if (self.when, self.at) != (before.when, before.at):
            changes.append("the time changed")
        return changes


class ReviewDecision(BaseModel):
    """One reviewer's decision in one round."""

    model_config = ConfigDict(frozen=True)

    actor: str
    member_id: str
    verdict: Verdict
    comment: str = ""
    at: UtcDatetime
    round: int
    #: The content fingerprint the decision was made on.
    fingerprint: str


class ChatMessageRef(BaseModel):
    """Where a chat adapter posted the review card, so it can update it and reply in its
    thread."""

    model_config = ConfigDict(frozen=True)

    platform: str
    workspace_id: str = ""
    channel_id: str
    message_id: str


class ReviewRequest(BaseModel):
    id: str
    org_id: str
    post_id: str
    state: ReviewState = ReviewState.OPEN
    #: The actor who asked (``slack:T1:U123``, ``hook:hk_...``); the post's author is on the post.
    requested_by: str
    requested_at: UtcDatetime
    #: Starts at 1; each edit or new request during the life of the post adds one.
    round: int = 1
    content: ReviewedContent
    fingerprint: str
    #: The policies in force when this round was requested.
    rules: ApprovalRules
    expires_at: UtcDatetime | None = None
    #: Every decision of every round, oldest first.
    decisions: list[ReviewDecision] = Field(default_factory=list)
    #: What the last edit changed, for the re-request message; empty in round 1.
    changes: list[str] = Field(default_factory=list)
    message: ChatMessageRef | None = None
    closed_at: UtcDatetime | None = None
    #: Bumped by every write; stores refuse a write based on an older version.
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.state is ReviewState.OPEN

    def approvals(self) -> list[ReviewDecision]:
        """The approvals that count: this round's, on the current content, one per member."""
        seen: dict[str, ReviewDecision] = {}
        for decision in self.decisions:
            if decision.round == self.round and decision.verdict is Verdict.APPROVE \
                    and decision.fingerprint == self.fingerprint:
                seen.setdefault(decision.member_id, decision)
        return list(seen.values())

    def progress(self) -> str:
        """``1 of 2 approvals``."""
        return f"{len(self.approvals())} of {self.rules.quorum} approvals"

    def expired_at(self, now: datetime) -> bool:
        return self.is_open and self.expires_at is not None and self.expires_at <= now
