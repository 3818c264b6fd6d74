"""The closed list of outbound webhook event types: the one place they are named."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from postflow.errors import BadInput


class WebhookEventType(StrEnum):
    POST_SCHEDULED = "post.scheduled"
    POST_PUBLISHED = "post.published"
    POST_FAILED = "post.failed"
    POST_PARTIAL = "post.partial"
    REVIEW_REQUESTED = "review.requested"
    REVIEW_DECIDED = "review.decided"
    CONNECTION_EXPIRING = "connection.expiring"
    CONNECTION_BROKEN = "connection.broken"


#: Every event type, in the order the docs and the CLI list them.
EVENT_TYPES: tuple[WebhookEventType, ...] = tuple(WebhookEventType)


def parse_event_types(names: Iterable[str]) -> list[WebhookEventType]:
    """The event types ``names`` spell (deduplicated, in list order); BadInput naming the
    unknown ones and the known list."""
    wanted = [name.strip() for name in names if name.strip()]
    unknown = [name for name in wanted if name not in WebhookEventType.__members__.values()]
    if unknown:
        raise BadInput(f"Unknown webhook event {', '.join(unknown)}; the events are "
                       f"{', '.join(EVENT_TYPES)}.",
                       details={"unknown": unknown, "events": list(EVENT_TYPES)})
    if not wanted:
        raise BadInput(f"Name at least one event: {', '.join(EVENT_TYPES)}.",
                       details={"events": list(EVENT_TYPES)})
    chosen = {WebhookEventType(name) for name in wanted}
    return [event for event in EVENT_TYPES if event in chosen]
