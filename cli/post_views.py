"""How a post reads at the shell: its JSON view and its times on a wall clock."""

from __future__ import annotations

from datetime import datetime

from cli.output import iso
from postflow.local_time import in_zone
from postflow.posts import Post, PostTarget


def when_in(moment: datetime | None, timezone: str) -> str:
    """``moment`` on the wall clock of ``timezone``: ``2026-12-01 09:00 CET``."""
    return in_zone(moment, timezone).strftime("%Y-%m-%d %H:%M %Z") if moment else "-"


def post_view(post: Post) -> dict[str, object]:
    return {"id": post.id, "org_id": post.org_id, "status": post.status.value,
            "status_reason": post.status_reason, "text": post.text, "variants": post.variants,
            "media": [m.url for m in post.media], "timezone": post.timezone,
            "scheduled_at": iso(post.scheduled_at),
            "scheduled_local": iso(in_zone(post.scheduled_at, post.timezone)
                                   if post.scheduled_at else None),
            "time_note": post.time_note or None, "due_at": iso(post.due_at),
            "from_queue": post.from_queue, "source": {"kind": post.source.kind,
                                                      "ref": post.source.ref},
            "created_by": post.created_by, "version": post.version,
            "targets": [target_view(t) for t in post.targets],
            "created_at": iso(post.created_at), "updated_at": iso(post.updated_at)}


def target_view(target: PostTarget) -> dict[str, object]:
    return {"connection_id": target.connection_id, "network": target.network,
            "status": target.status.value, "attempt_count": target.attempt_count,
            "platform_post_id": target.platform_post_id, "url": target.url,
            "error_kind": target.error_kind, "error_message": target.error_message,
            "published_at": iso(target.published_at)}
