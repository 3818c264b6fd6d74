"""The notices the core sends, one frozen dataclass per event.

A notice is sent once, after what it says is stored. A sink picks the kinds it handles
(``wants``); a new kind (a billing event) is one more class here and nothing else changes for
the sinks that do not want it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from postflow.connections import Connection
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.reviews import ReviewDecision, ReviewRequest


@dataclass(frozen=True)
class Notice:
    """Something people may want to hear about, in one organization."""

    #: A stable name for logs and sinks: ``post.published``.
    kind: ClassVar[str] = "notice"

    @property
    def org_id(self) -> str:
        raise NotImplementedError

    @property
    def subject(self) -> str:
        """The id of the record the notice is about, for the log."""
        raise NotImplementedError


# -- posts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PostNotice(Notice):
    post: Post

    @property
    def org_id(self) -> str:
        return self.post.org_id

    @property
    def subject(self) -> str:
        return self.post.id

    @property
    def unconfirmed(self) -> list[PostTarget]:
        """Targets whose outcome the network left unknown: a person says whether they went
        out (the notice's "mark as published" button)."""
        return [t for t in self.post.targets if t.status is TargetStatus.UNCONFIRMED]


@dataclass(frozen=True)
class PostScheduled(PostNotice):
    """The post is Scheduled to go out (``post.scheduled_at``; None: as soon as possible):
    created without review, or approved. Said for outbound webhooks; chat says nothing."""

    kind: ClassVar[str] = "post.scheduled"


@dataclass(frozen=True)
class PostPublished(PostNotice):
    """The post went out on every target (each target's ``url`` links to it)."""

    kind: ClassVar[str] = "post.published"


@dataclass(frozen=True)
class PostPartiallyPublished(PostNotice):
    """The post went out on some targets only; the others say why (or are unconfirmed)."""

    kind: ClassVar[str] = "post.partially_published"


@dataclass(frozen=True)
class PostFailed(PostNotice):
    """The post went out nowhere; each target's ``error_kind`` says why (or it is
    unconfirmed)."""

    kind: ClassVar[str] = "post.failed"


@dataclass(frozen=True)
class PostLate(PostNotice):
    """The post became Late and waits for a person (``post.status_reason`` says how late)."""

    kind: ClassVar[str] = "post.late"


#: The notice a finished publish sends, by the post's final status.
PUBLISH_OUTCOMES: dict[PostStatus, type[PostNotice]] = {
    PostStatus.PUBLISHED: PostPublished,
    PostStatus.PARTIAL: PostPartiallyPublished,
    PostStatus.FAILED: PostFailed,
}


# -- reviews -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewNotice(Notice):
    post: Post
    review: ReviewRequest

    @property
    def org_id(self) -> str:
        return self.post.org_id

    @property
    def subject(self) -> str:
        return self.review.id


@dataclass(frozen=True)
class ReviewRequested(ReviewNotice):
    """A review was asked for. ``card_posted``: its card was just posted (through the review
    card port, ``review.message`` says where); otherwise a later round of a review whose card
    exists (``review.message``), to update with ``review.changes`` said in its thread."""

    kind: ClassVar[str] = "review.requested"
    card_posted: bool = False


@dataclass(frozen=True)
class ReviewDecided(ReviewNotice):
    """``decision`` is stored, with its effect on ``post``."""

    kind: ClassVar[str] = "review.decided"
    decision: ReviewDecision


@dataclass(frozen=True)
class ReviewExpired(ReviewNotice):
    """Nobody decided in time; the post went back to its author as a Draft."""

    kind: ClassVar[str] = "review.expired"


# -- accounts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConnectionNotice(Notice):
    connection: Connection

    @property
    def org_id(self) -> str:
        return self.connection.org_id

    @property
    def subject(self) -> str:
        return self.connection.id


@dataclass(frozen=True)
class TokenExpiring(ConnectionNotice):
    """The connection stops working in ``days_left`` days (at ``connection.reconnect_by``)
    unless a person reconnects it; sent once per warning threshold (7, 3, 1 days)."""

    kind: ClassVar[str] = "connection.token_expiring"
    days_left: int


@dataclass(frozen=True)
class ConnectionBroken(ConnectionNotice):
    """PostFlow can no longer post to the connection until a person reconnects it; sent once,
    when the connection is marked."""

    kind: ClassVar[str] = "connection.needs_reconnect"
    reason: str


# -- outbound webhooks ----------------------------------------------------------------------

@dataclass(frozen=True)
class WebhookEndpointDisabled(Notice):
    """PostFlow disabled an outbound webhook endpoint that failed every delivery for a day;
    its Owners enable it again once it answers (``postflow webhook enable``)."""

    kind: ClassVar[str] = "webhook.endpoint_disabled"
    organization_id: str
    endpoint_id: str
    #: The endpoint's URL without its query string (which may hold a token).
    shown_url: str
    reason: str

    @property
    def org_id(self) -> str:
        return self.organization_id

    @property
    def subject(self) -> str:
        return self.endpoint_id


# -- plans ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlanLimitReached(Notice):
    """The organization met a limit of its plan (``limit``: ``posts_per_month``...);
    ``message`` is the refusal the person saw."""

    kind: ClassVar[str] = "plan.limit_reached"
    organization_id: str
    limit: str
    message: str

    @property
    def org_id(self) -> str:
        return self.organization_id

    @property
    def subject(self) -> str:
        return self.limit


# -- chat installations ----------------------------------------------------------------------

@dataclass(frozen=True)
class ChatAppRemoved(Notice):
    """PostFlow's app was removed from a chat workspace (a Discord server kicked the bot): the
    organization hears it elsewhere (its other workspaces, the Owner's direct messages, the
    log), since that workspace can no longer be told."""

    kind: ClassVar[str] = "chat.app_removed"
    organization_id: str
    platform: str
    workspace_id: str
    workspace_name: str
    #: The Owner who installed it, as ``platform:workspace:user`` (empty when unknown).
    owner_actor: str = ""

    @property
    def org_id(self) -> str:
        return self.organization_id

    @property
    def subject(self) -> str:
        return self.workspace_id


# -- billing -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BillingNotice(Notice):
    """About an organization's subscription; said to its Owners (``plan_name``: the plan it is
    on after the change)."""

    organization_id: str
    plan_name: str

    @property
    def org_id(self) -> str:
        return self.organization_id

    @property
    def subject(self) -> str:
        return self.organization_id


@dataclass(frozen=True)
class PaymentFailed(BillingNotice):
    """A payment failed: the subscription is past due; the paid plan holds until
    ``grace_until``."""

    kind: ClassVar[str] = "billing.payment_failed"
    grace_until: datetime


@dataclass(frozen=True)
class TrialEnding(BillingNotice):
    """The trial ends at ``trial_end`` (Stripe tells three days before)."""

    kind: ClassVar[str] = "billing.trial_ending"
    trial_end: datetime


@dataclass(frozen=True)
class PlanChanged(BillingNotice):
    """The organization moved from ``old_plan_name`` to ``plan_name``; ``paused`` names the
    accounts paused over the new limit, ``held_posts`` counts posts waiting for quota or for
    a paused account, ``resumed`` names accounts resumed."""

    kind: ClassVar[str] = "billing.plan_changed"
    old_plan_name: str
    reason: str
    paused: tuple[str, ...] = ()
    resumed: tuple[str, ...] = ()
    held_posts: int = 0


@dataclass(frozen=True)
class GraceEnding(BillingNotice):
    """The grace period of a past-due subscription ends at ``grace_until``; then the
    organization falls to the default plan (``plan_name`` is the paid plan until then)."""

    kind: ClassVar[str] = "billing.grace_ending"
    grace_until: datetime


#: The billing notices (a sink that says them all picks them from here).
BILLING_NOTICES: tuple[type[BillingNotice], ...] = (PaymentFailed, TrialEnding, PlanChanged,
                                                    GraceEnding)
