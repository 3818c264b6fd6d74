"""The object each outbound event carries, built from the notice that reports it.

Plain JSON values only, never a token or a sealed secret; times are ISO-8601 with their offset.
A notice kind that maps to no event type sends nothing.
"""

from __future__ import annotations

from datetime import datetime

from postflow.connections import Connection
from postflow.notices.events import (
    ConnectionBroken,
    Notice,
    PostFailed,
    PostNotice,
    PostPartiallyPublished,
    PostPublished,
    PostScheduled,
    ReviewDecided,
    ReviewNotice,
    ReviewRequested,
    TokenExpiring,
)
from postflow.posts import Post
from postflow.reviews import ReviewRequest
from postflow.webhooks.event_types import WebhookEventType

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]
JsonObject = dict[str, JsonValue]

#: The event type each notice kind is sent as: the one mapping between the two lists.
EVENT_OF_NOTICE: dict[type[Notice], WebhookEventType] = {
    PostScheduled: WebhookEventType.POST_SCHEDULED,
    PostPublished: WebhookEventType.POST_PUBLISHED,
    PostFailed: WebhookEventType.POST_FAILED,
    PostPartiallyPublished: WebhookEventType.POST_PARTIAL,
    ReviewRequested: WebhookEventType.REVIEW_REQUESTED,
    ReviewDecided: WebhookEventType.REVIEW_DECIDED,
    TokenExpiring: WebhookEventType.CONNECTION_EXPIRING,
    ConnectionBroken: WebhookEventType.CONNECTION_BROKEN,
}


def event_type_of(notice: Notice) -> WebhookEventType | None:
    return EVENT_OF_NOTICE.get(type(notice))


def event_object(notice: Notice) -> JsonObject:
    """The ``data.object`` of the event ``notice`` is sent as."""
    match notice:
        case ReviewDecided(post=post, review=review, decision=decision):
            return {**review_object(review, post),
                    "decision": {"verdict": decision.verdict.value, "by": decision.actor,
                                 "comment": decision.comment, "at": _iso(decision.at),
                                 "round": decision.round}}
        case ReviewNotice(post=post, review=review):
            return review_object(review, post)
        case PostNotice(post=post):
            return post_object(post)
        case TokenExpiring(connection=connection, days_left=days_left):
            return {**connection_object(connection), "days_left": days_left}
        case ConnectionBroken(connection=connection, reason=reason):
            return {**connection_object(connection), "reason": reason}
    raise ValueError(f"no webhook event for {notice.kind}")


def post_object(post: Post) -> JsonObject:
    return {
        "object": "post", "id": post.id, "status": post.status.value,
        "status_reason": post.status_reason, "text": post.text,
        "variants": dict(post.variants), "timezone": post.timezone,
        "scheduled_at": _iso(post.scheduled_at), "source": post.source.kind,
        "created_at": _iso(post.created_at), "updated_at": _iso(post.updated_at),
        "targets": [{"connection_id": t.connection_id, "network": t.network,
                     "status": t.status.value, "url": t.url,
                     "published_at": _iso(t.published_at),
                     "error": ({"kind": t.error_kind, "message": t.error_message,
                                "code": t.error_code} if t.error_kind or t.error_message
                               else None)}
                    for t in post.targets],
    }


def review_object(review: ReviewRequest, post: Post) -> JsonObject:
    return {"object": "review", "id": review.id, "post_id": post.id,
            "state": review.state.value, "round": review.round,
            "requested_by": review.requested_by, "requested_at": _iso(review.requested_at),
            "expires_at": _iso(review.expires_at), "post": post_object(post)}


def connection_object(connection: Connection) -> JsonObject:
    return {"object": "connection", "id": connection.id, "network": connection.network,
            "display_name": connection.display_name, "status": connection.status.value,
            "reconnect_by": _iso(connection.reconnect_by)}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
