"""``postflow posts list|show``: what is scheduled, what went out, and what happened on the way."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent
from postflow.cli.context import CommandContext, Subcommands
from postflow.cli.output import excerpt, iso, table, to_json, when
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus, PostTarget
from postflow.runtime import Runtime


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("posts", help="list posts and show one in detail")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[common], help="list posts, newest first")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.add_argument("--status", action="extend", nargs="+", type=PostStatus,
                         choices=list(PostStatus), metavar="STATUS",
                         help=f"only these statuses: {', '.join(PostStatus)}")
    listing.add_argument("--limit", type=_positive_int, default=50, metavar="N",
                         help="at most N posts (default: 50)")
    listing.set_defaults(handler=list_posts)

    show = actions.add_parser("show", parents=[common],
                              help="a post, its targets, publish attempts and audit trail")
    show.add_argument("post_id", metavar="POST_ID")
    show.add_argument("--org", required=True, help="organization id or name")
    show.set_defaults(handler=show_post)


def list_posts(args: argparse.Namespace, ctx: CommandContext) -> None:
    posts = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_posts(
        org.id, statuses=args.status, limit=args.limit))
    lines = table(["ID", "STATUS", "SCHEDULED", "TARGETS", "TEXT"],
                  [[p.id, p.status.value, when(p.scheduled_at) if p.scheduled_at else "asap",
                    ",".join(t.network for t in p.targets), excerpt(p.text)] for p in posts])
    ctx.out.result({"posts": [post_view(p) for p in posts]},
                   lines if posts else ["No posts match."])


@dataclass(frozen=True)
class PostHistory:
    post: Post
    attempts: list[PublishAttempt]
    audit: list[AuditEvent]


def show_post(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def load(rt: Runtime, org: Organization) -> PostHistory:
        post = await rt.store.get_post(org.id, args.post_id)
        return PostHistory(post, await rt.store.list_attempts(org.id, post.id),
                           await rt.store.list_audit(org.id, subject_id=post.id))

    history = ctx.run_in_org(args.org, load)
    ctx.out.result({"post": post_view(history.post),
                    "attempts": [attempt_view(a) for a in history.attempts],
                    "audit": [audit_view(e) for e in history.audit]},
                   _history_lines(history))


def _history_lines(history: PostHistory) -> list[str]:
    post = history.post
    lines = [
        f"Post {post.id}: {post.status.value}"
        + (f" ({post.status_reason})" if post.status_reason else ""),
        f"Created:   {when(post.created_at)} by {post.created_by or '-'} "
        f"(source: {post.source.kind}{':' + post.source.ref if post.source.ref else ''})",
        f"Scheduled: {when(post.scheduled_at) if post.scheduled_at else 'as soon as possible'}"
        f" (zone {post.timezone}{', from the queue' if post.from_queue else ''})",
        f"Text:      {excerpt(post.text, 200)}",
        "",
        "Targets:",
        *_indent(table(["CONNECTION", "NETWORK", "STATUS", "ATTEMPTS", "URL", "ERROR"],
                       [[t.connection_id, t.network, t.status.value, t.attempt_count, t.url,
                         _error(t.error_kind, t.error_message)] for t in post.targets])),
        "",
        "Attempts:",
        *_indent(table(["ID", "CONNECTION", "TRIGGER", "STARTED", "OUTCOME", "URL", "ERROR"],
                       [[a.id, a.connection_id, a.trigger, when(a.started_at), a.outcome.value,
                         a.url, _error(a.error_kind, a.error_message)]
                        for a in history.attempts])
                 if history.attempts else ["none yet"]),
        "",
        "Audit trail:",
        *_indent(table(["AT", "ACTOR", "ACTION", "DATA"],
                       [[when(e.at), e.actor, e.action, to_json(e.data) if e.data else ""]
                        for e in history.audit])),
    ]
    return lines


def post_view(post: Post) -> dict[str, object]:
    return {"id": post.id, "org_id": post.org_id, "status": post.status.value,
            "status_reason": post.status_reason, "text": post.text, "variants": post.variants,
            "media": [m.url for m in post.media], "timezone": post.timezone,
            "scheduled_at": iso(post.scheduled_at), "due_at": iso(post.due_at),
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


def attempt_view(attempt: PublishAttempt) -> dict[str, object]:
    return {"id": attempt.id, "connection_id": attempt.connection_id,
            "network": attempt.network, "trigger": attempt.trigger,
            "started_at": iso(attempt.started_at), "finished_at": iso(attempt.finished_at),
            "outcome": attempt.outcome.value, "platform_post_id": attempt.platform_post_id,
            "url": attempt.url, "error_kind": attempt.error_kind,
            "error_message": attempt.error_message}


def audit_view(event: AuditEvent) -> dict[str, object]:
    return {"id": event.id, "at": iso(event.at), "actor": event.actor, "action": event.action,
            "subject_id": event.subject_id, "data": event.data}


def _error(kind: str | None, message: str | None) -> str:
    if kind is None and message is None:
        return ""
    return f"{kind or 'error'}: {message or ''}".strip()


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value
