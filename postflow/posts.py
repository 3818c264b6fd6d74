"""Posts and their per-target progress. Status changes go through :mod:`postflow.post_status`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime


class PostStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    #: Its time passed by more than the grace period and it was never tried: a person decides
    #: (publish now, reschedule or cancel) rather than it going out late without a word.
    LATE = "late"
    QUEUED = "queued"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELED = "canceled"


class TargetStatus(StrEnum):
    PENDING = "pending"
    #: An attempt was recorded and the platform call may be in flight.
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    #: The platform may or may not have published it, and it could not be checked: a person decides.
    UNCONFIRMED = "unconfirmed"


class MediaRef(BaseModel):
    """One medium of a post: where it came from and, once stored, which stored object it is."""

    url: str
    content_type: str | None = None
    #: The stored medium (``postflow/media.py``: the SHA-256 of its bytes); None until stored.
    media_id: str | None = None
    size: int | None = None


class PostTarget(BaseModel):
    """One connection a post goes to, and how far it got there."""

    connection_id: str
    network: str
    status: TargetStatus = TargetStatus.PENDING
    attempt_count: int = 0
    current_attempt_id: str | None = None
    platform_post_id: str | None = None
    url: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    #: The network's own code for the last error (``403``, ``506``, ``duplicate``), for support;
    #: people see ``error_kind`` and ``error_message`` first.
    error_code: str | None = None
    published_at: UtcDatetime | None = None


class PostSource(BaseModel):
    """What created the post: ``hook`` (with the hook id), ``cli`` or a chat platform."""

    kind: str
    ref: str = ""


class Post(BaseModel):
    id: str
    org_id: str
    text: str
    #: Per-network replacement text, keyed by network name.
    variants: dict[str, str] = Field(default_factory=dict)
    media: list[MediaRef] = Field(default_factory=list)
    targets: list[PostTarget]
    #: The IANA zone the author chose the time in.
    timezone: str = "UTC"
    #: When the author wants it out (aware UTC); ``None`` means as soon as possible.
    scheduled_at: UtcDatetime | None = None
    #: Set when the local time asked for had to be adjusted (it did not exist, or existed
    #: twice, in ``timezone``): says how, for showing back to the author.
    time_note: str = ""
    #: When the scheduler should next pick it up: the scheduled time, or a retry's backoff.
    due_at: UtcDatetime | None = None
    #: True when the time came from the connection's queue slots rather than from the author.
    from_queue: bool = False
    status: PostStatus
    #: Bumped by every write; stores refuse a write based on an older version.
    version: int = 1
    source: PostSource
    created_by: str = ""
    status_reason: str = ""
    #: Why the plan holds this Scheduled post back (``due_at`` cleared until it is released,
    #: postflow/billing/plan_enforcement.py): ``quota`` or ``paused_account``; None: not held.
    plan_hold: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    def text_for(self, network: str) -> str:
        """The text to publish on ``network``: its variant if there is one."""
        return self.variants.get(network, self.text)

    def target(self, connection_id: str) -> PostTarget:
        for target in self.targets:
            if target.connection_id == connection_id:
                return target
        raise KeyError(connection_id)
