"""Small factories for store records: valid defaults, override any field by keyword.

Times are whole milliseconds (what MongoDB keeps), so every backend reads them back equal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent
from postflow.connections import Connection
from postflow.hooks import IdempotencyRecord, IncomingHook
from postflow.ids import new_id
from postflow.organizations import ChatIdentity, Member, Organization, Role, Workspace
from postflow.posts import MediaRef, Post, PostSource, PostStatus, PostTarget
from postflow.sandbox_posts import SandboxPost

#: A fixed instant with a millisecond part, to catch stores that drop or round it.
T0 = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)


def at(minutes: float = 0) -> datetime:
    """``T0`` shifted by ``minutes`` (whole milliseconds only)."""
    return T0 + timedelta(milliseconds=round(minutes * 60_000))


def make_org(**fields: Any) -> Organization:
    values: dict[str, Any] = {"id": new_id("org"), "name": f"Org {new_id('n')}",
                              "plan": "pro", "timezone": "Europe/Paris", "created_at": T0}
    return Organization(**(values | fields))


def make_member(org_id: str, **fields: Any) -> Member:
    values: dict[str, Any] = {
        "id": new_id("mem"), "org_id": org_id,
        "identity": ChatIdentity(platform="slack", workspace_id="T1", user_id=new_id("U")),
        "display_name": "Ada", "role": Role.ADMIN, "created_at": T0}
    return Member(**(values | fields))


def make_workspace(org_id: str, **fields: Any) -> Workspace:
    values: dict[str, Any] = {"id": new_id("ws"), "org_id": org_id, "platform": "slack",
                              "external_id": new_id("T"), "name": "Acme", "created_at": T0}
    return Workspace(**(values | fields))


def make_connection(org_id: str, **fields: Any) -> Connection:
    values: dict[str, Any] = {
        "id": new_id("conn"), "org_id": org_id, "network": "mastodon",
        "account_id": new_id("acct"), "display_name": "@acme", "sealed_tokens": "sealed:abc",
        "token_expires_at": at(60), "created_at": T0, "updated_at": T0}
    return Connection(**(values | fields))


def make_hook(org_id: str, **fields: Any) -> IncomingHook:
    values: dict[str, Any] = {"id": new_id("hook"), "org_id": org_id, "name": "CI releases",
                              "sealed_secret": "sealed:secret", "created_at": T0}
    return IncomingHook(**(values | fields))


def make_idempotency_record(hook_id: str, key: str, **fields: Any) -> IdempotencyRecord:
    values: dict[str, Any] = {"hook_id": hook_id, "key": key, "request_hash": "sha256:1",
                              "created_at": T0, "expires_at": at(24 * 60)}
    return IdempotencyRecord(**(values | fields))


def make_post(org_id: str, connection_ids: tuple[str, ...] = ("conn_a",),
              **fields: Any) -> Post:
    values: dict[str, Any] = {
        "id": new_id("post"), "org_id": org_id, "text": "Hello, world",
        "targets": [PostTarget(connection_id=cid, network="mastodon") for cid in connection_ids],
        "status": PostStatus.DRAFT, "source": PostSource(kind="cli"),
        "created_at": T0, "updated_at": T0}
    return Post(**(values | fields))


def make_attempt(org_id: str, post_id: str, **fields: Any) -> PublishAttempt:
    values: dict[str, Any] = {"id": new_id("att"), "org_id": org_id, "post_id": post_id,
                              "connection_id": "conn_a", "network": "mastodon",
                              "trigger": "scheduler", "started_at": T0}
    return PublishAttempt(**(values | fields))


def make_audit_event(org_id: str, **fields: Any) -> AuditEvent:
    values: dict[str, Any] = {"id": new_id("aud"), "org_id": org_id, "at": T0, "actor": "cli",
                              "action": "post.created", "subject_id": "post_1"}
    return AuditEvent(**(values | fields))


def make_sandbox_post(connection_id: str, **fields: Any) -> SandboxPost:
    values: dict[str, Any] = {"id": new_id("sbx"), "connection_id": connection_id,
                              "idempotency_key": new_id("att"), "text": "Hello, sandbox",
                              "created_at": T0}
    return SandboxPost(**(values | fields))


def full_post(org_id: str, **fields: Any) -> Post:
    """A post with every optional field set, for round-trip tests."""
    values: dict[str, Any] = {
        "variants": {"bluesky": "Hi, sky"},
        "media": [MediaRef(url="https://cdn.example/a.png", content_type="image/png")],
        "targets": [
            PostTarget(connection_id="conn_a", network="mastodon"),
            PostTarget(connection_id="conn_b", network="bluesky", status="published",
                       attempt_count=2, current_attempt_id="att_1", platform_post_id="p1",
                       url="https://bsky.example/p1", error_kind="rate_limited",
                       error_message="slow down", published_at=at(5)),
        ],
        "timezone": "America/New_York", "scheduled_at": at(30), "due_at": at(31),
        "from_queue": True, "status": PostStatus.SCHEDULED, "version": 7,
        "source": PostSource(kind="hook", ref="hook_1"), "created_by": "slack:U1",
        "status_reason": "approved by Ada", "updated_at": at(2)}
    return make_post(org_id, **(values | fields))
