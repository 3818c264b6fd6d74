"""What the API answers: pydantic models (the OpenAPI schemas) and how records become them.

Times are ISO-8601 with an offset (UTC as ``Z``; ``scheduled_local`` in the post's zone).
Platform answers, sealed tokens and secrets never appear.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_json

from hub.api.pages import cursor_field
from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent, AuditValue
from postflow.connections import Connection, ConnectionStatus
from postflow.hooks import IncomingHook
from postflow.local_time import in_zone
from postflow.posts import Post
from postflow.queues import QueueSettings


class ErrorBody(BaseModel):
    code: str = Field(description="A stable machine-readable name, such as `not_found`.")
    message: str = Field(description="What went wrong and what to do, for a person.")
    details: dict[str, object] = Field(default_factory=dict)


class ErrorEnvelope(BaseModel):
    """Every refusal: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


class ProblemView(BaseModel):
    kind: str | None = Field(description="PostFlow's kind of failure, such as `rejected`.")
    message: str | None
    code: str | None = Field(description="The network's own code, for support.")


class TargetView(BaseModel):
    connection_id: str
    network: str
    status: str
    url: str | None
    published_at: datetime | None
    error: ProblemView | None


class PostView(BaseModel):
    id: str
    status: str
    status_reason: str
    text: str
    variants: dict[str, str]
    media_urls: list[str]
    targets: list[TargetView]
    timezone: str = Field(description="The IANA zone the time was chosen in.")
    scheduled_at: datetime | None = Field(description="null: as soon as possible.")
    scheduled_local: datetime | None = Field(description="`scheduled_at` in `timezone`.")
    time_note: str | None
    from_queue: bool
    source: str = Field(description="What created it: `api`, `hook`, `cli`, `slack`...")
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class AttemptView(BaseModel):
    id: str
    connection_id: str
    network: str
    trigger: str
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    url: str | None
    error: ProblemView | None


class AuditEventView(BaseModel):
    id: str
    at: datetime
    actor: str
    action: str
    subject_id: str
    data: dict[str, AuditValue]


class PostDetail(PostView):
    """A post with its publish attempts and its audit trail (oldest first)."""

    attempts: list[AttemptView]
    audit: list[AuditEventView]


class ConnectionView(BaseModel):
    id: str
    network: str
    display_name: str
    status: str
    timezone: str | None
    token_expires_at: datetime | None
    reconnect_by: datetime | None
    created_at: datetime


class ConnectionHealthView(BaseModel):
    connection_id: str
    status: str
    healthy: bool = Field(description="Active, and its grant has not ended.")
    token_expires_at: datetime | None
    reconnect_by: datetime | None
    last_refresh_at: datetime | None
    last_refresh_error: str | None
    last_refresh_error_at: datetime | None


class SlotView(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 Monday ... 6 Sunday.")
    time: str = Field(pattern=r"^\d{2}:\d{2}$", description="Local time, HH:MM.")


class QueuedPostView(BaseModel):
    post_id: str
    scheduled_at: datetime | None


class QueueView(BaseModel):
    connection_id: str
    timezone: str
    slots: list[SlotView]
    max_per_day: int | None
    max_per_week: int | None
    upcoming: list[QueuedPostView]


class HookView(BaseModel):
    id: str
    name: str
    url: str
    review_required: bool
    disabled: bool
    previous_secret_expires_at: datetime | None
    created_at: datetime


class UsageMetric(BaseModel):
    metric: str
    used: int
    limit: int | None = Field(description="null: unlimited on this plan.")


class UsageView(BaseModel):
    plan: str
    period: str = Field(description="The month monthly limits count in, UTC: `2026-12`.")
    metrics: list[UsageMetric]


class PostPage(BaseModel):
    data: list[PostView]
    next_cursor: str | None = cursor_field()


class ConnectionPage(BaseModel):
    data: list[ConnectionView]
    next_cursor: str | None = cursor_field()


class HookPage(BaseModel):
    data: list[HookView]
    next_cursor: str | None = cursor_field()


class AuditEventPage(BaseModel):
    data: list[AuditEventView]
    next_cursor: str | None = cursor_field()


def _problem(kind: str | None, message: str | None, code: str | None) -> ProblemView | None:
    if kind is None and message is None:
        return None
    return ProblemView(kind=kind, message=message, code=code)


#: Views of recently listed posts: the same Post object (a store hands out an unchanged post's
#: record again, see SqliteStore.list_posts_page) has the same view. Keyed by ``id(post)``,
#: holding the post itself, so an id is never reused while its entry lives.
_VIEWS: OrderedDict[int, tuple[Post, dict[str, Any], bytes]] = OrderedDict()
VIEWS_KEPT = 2048


def post_view(post: Post) -> dict[str, Any]:
    """``post`` as a :class:`PostView` reads in JSON, built as a plain dict: lists answer fifty
    of these per request, and a model per post (validated or constructed) costs more than the
    rest of the request. tests/hub/api/test_views.py holds the dict to the model. The dict
    may be shared: serialize it, do not change it."""
    return _cached_view(post)[1]


def post_json(post: Post) -> bytes:
    """:func:`post_view` serialized (once, kept with the view)."""
    return _cached_view(post)[2]


def post_page_json(posts: list[Post], next_cursor: str | None) -> bytes:
    """A :class:`PostPage` as JSON, from each post's JSON kept with its view: serializing
    fifty views was the largest part of a list's cost."""
    return b"".join((b'{"data":[', b",".join(_cached_view(p)[2] for p in posts),
                     b'],"next_cursor":', to_json(next_cursor), b"}"))


def _cached_view(post: Post) -> tuple[Post, dict[str, Any], bytes]:
    cached = _VIEWS.get(id(post))
    if cached is not None and cached[0] is post:
        _VIEWS.move_to_end(id(post))
        return cached
    view = _build_post_view(post)
    entry = _VIEWS[id(post)] = (post, view, to_json(view))
    if len(_VIEWS) > VIEWS_KEPT:
        _VIEWS.popitem(last=False)
    return entry


def _build_post_view(post: Post) -> dict[str, Any]:
    scheduled_at = post.scheduled_at
    return {
        "id": post.id, "status": post.status.value, "status_reason": post.status_reason,
        "text": post.text, "variants": post.variants, "media_urls": [m.url for m in post.media],
        "targets": [{"connection_id": t.connection_id, "network": t.network,
                     "status": t.status.value, "url": t.url, "published_at": t.published_at,
                     "error": _problem_dict(t.error_kind, t.error_message, t.error_code)}
                    for t in post.targets],
        "timezone": post.timezone, "scheduled_at": scheduled_at,
        "scheduled_local": None if scheduled_at is None else in_zone(scheduled_at,
                                                                     post.timezone),
        "time_note": post.time_note or None, "from_queue": post.from_queue,
        "source": post.source.kind, "created_by": post.created_by,
        "created_at": post.created_at, "updated_at": post.updated_at, "version": post.version}


def _problem_dict(kind: str | None, message: str | None,
                  code: str | None) -> dict[str, str | None] | None:
    if kind is None and message is None:
        return None
    return {"kind": kind, "message": message, "code": code}


def audit_view(event: AuditEvent) -> AuditEventView:
    return AuditEventView(id=event.id, at=event.at, actor=event.actor, action=event.action,
                          subject_id=event.subject_id, data=event.data)


def post_detail(post: Post, attempts: list[PublishAttempt],
                audit: list[AuditEvent]) -> PostDetail:
    return PostDetail(
        **post_view(post),
        attempts=[AttemptView(id=a.id, connection_id=a.connection_id, network=a.network,
                              trigger=a.trigger, outcome=a.outcome.value,
                              started_at=a.started_at, finished_at=a.finished_at, url=a.url,
                              error=_problem(a.error_kind, a.error_message, a.error_code))
                  for a in attempts],
        audit=[audit_view(e) for e in audit])


def connection_view(connection: Connection) -> ConnectionView:
    return ConnectionView(id=connection.id, network=connection.network,
                          display_name=connection.display_name,
                          status=connection.status.value, timezone=connection.timezone,
                          token_expires_at=connection.token_expires_at,
                          reconnect_by=connection.reconnect_by,
                          created_at=connection.created_at)


def connection_health(connection: Connection, now: datetime) -> ConnectionHealthView:
    ended = connection.reconnect_by is not None and connection.reconnect_by <= now
    return ConnectionHealthView(
        connection_id=connection.id, status=connection.status.value,
        healthy=connection.status is ConnectionStatus.ACTIVE and not ended,
        token_expires_at=connection.token_expires_at, reconnect_by=connection.reconnect_by,
        last_refresh_at=connection.last_refresh_at,
        last_refresh_error=connection.last_refresh_error,
        last_refresh_error_at=connection.last_refresh_error_at)


def queue_view(settings: QueueSettings, upcoming: list[Post]) -> QueueView:
    return QueueView(connection_id=settings.connection_id, timezone=settings.timezone,
                     slots=[SlotView(weekday=day, time=at) for day, at in settings.slots],
                     max_per_day=settings.max_per_day, max_per_week=settings.max_per_week,
                     upcoming=[QueuedPostView(post_id=p.id, scheduled_at=p.scheduled_at)
                               for p in upcoming])


def hook_view(base_url: str, hook: IncomingHook) -> HookView:
    return HookView(id=hook.id, name=hook.name, url=f"{base_url}/v1/hooks/{hook.id}",
                    review_required=hook.review_required, disabled=hook.disabled,
                    previous_secret_expires_at=hook.previous_secret_expires_at,
                    created_at=hook.created_at)
