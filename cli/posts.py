"""``postflow posts list|show|reschedule|cancel|publish-now``: what is scheduled, what went out,
what happened on the way, and changing a post's course (``posts create`` is in post_create.py)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import excerpt, iso, table, to_json, when
from cli.post_create import register_create
from cli.post_views import post_view, when_in
from composition.publish_queues import worker_queue
from postflow.attempts import PublishAttempt
from postflow.audit import AuditEvent
from postflow.errors import BadInput
from postflow.local_time import resolve_local_time
from postflow.organizations import Organization
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.post_actions import cancel_post, publish_now, reschedule_post

UNCONFIRMED_HELP = ("also retry targets whose outcome is unconfirmed; only after checking the "
                    "account shows no such post, or it may go out twice")


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser(
        "posts", help="create, list, show, reschedule, cancel or publish posts")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    register_create(actions, common)

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

    rescheduling = actions.add_parser("reschedule", parents=[common],
                                      help="give a post a new time (retries a failed post)")
    rescheduling.add_argument("post_id", metavar="POST_ID")
    rescheduling.add_argument("--org", required=True, help="organization id or name")
    rescheduling.add_argument(
        "--at", required=True, metavar="ISO8601",
        help="the new time with its UTC offset, e.g. 2026-12-01T09:00:00+01:00, or a local "
             "time with --timezone")
    rescheduling.add_argument(
        "--timezone", metavar="TZ",
        help="IANA zone to read a local --at in, e.g. Europe/Paris (a time the clocks skip "
             "moves forward; one they repeat means the first)")
    rescheduling.add_argument("--include-unconfirmed", action="store_true",
                              help=UNCONFIRMED_HELP)
    rescheduling.set_defaults(handler=reschedule)

    canceling = actions.add_parser("cancel", parents=[common],
                                   help="cancel a post that has not started publishing")
    canceling.add_argument("post_id", metavar="POST_ID")
    canceling.add_argument("--org", required=True, help="organization id or name")
    canceling.set_defaults(handler=cancel)

    publishing = actions.add_parser("publish-now", parents=[common],
                                    help="publish a scheduled, late or failed post now")
    publishing.add_argument("post_id", metavar="POST_ID")
    publishing.add_argument("--org", required=True, help="organization id or name")
    publishing.add_argument("--include-unconfirmed", action="store_true", help=UNCONFIRMED_HELP)
    publishing.set_defaults(handler=publish_post_now)


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


def reschedule(args: argparse.Namespace, ctx: CommandContext) -> None:
    at, note = parse_at(args.at, args.timezone)
    post = ctx.run_in_org(args.org, lambda rt, org: reschedule_post(
        rt, org.id, args.post_id, at, actor=CLI_ACTOR,
        include_unconfirmed=args.include_unconfirmed))
    local = f" ({when_in(post.scheduled_at, args.timezone)})" if args.timezone else ""
    ctx.out.result({"post": post_view(post), "time_note": note or None},
                   [f"Post {post.id} is scheduled for {when(post.scheduled_at)}{local}.",
                    *([note] if note else [])])


def cancel(args: argparse.Namespace, ctx: CommandContext) -> None:
    post = ctx.run_in_org(args.org, lambda rt, org: cancel_post(rt, org.id, args.post_id,
                                                                actor=CLI_ACTOR))
    ctx.out.result({"post": post_view(post)}, [f"Post {post.id} is canceled."])


def publish_post_now(args: argparse.Namespace, ctx: CommandContext) -> None:
    """With Redis the post goes to a worker at once; embedded, the CLI has no worker of its
    own, so the post is only made due and the running ``postflow up`` scheduler takes it."""
    with worker_queue(ctx.settings) as queue:
        post = ctx.run_in_org(args.org, lambda rt, org: publish_now(
            rt, queue, org.id, args.post_id, actor=CLI_ACTOR,
            include_unconfirmed=args.include_unconfirmed))
    if queue is not None:
        line = f"Post {post.id} is {post.status.value}: a worker publishes it now."
    else:
        line = (f"Post {post.id} is due now: the running `postflow up` publishes it within a "
                "second or two (start `postflow up` if it is not running).")
    ctx.out.result({"post": post_view(post),
                    "handed_to": "worker" if queue is not None else "scheduler"}, [line])


def parse_at(text: str, timezone: str | None = None) -> tuple[datetime, str]:
    """``--at``: ISO 8601 with a UTC offset (``Z`` counts), or a local time read in
    ``timezone``; returns the instant and a note when the local time had to be adjusted."""
    example = "such as 2026-12-01T09:00:00+01:00 (or ...Z for UTC)"
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--at {text!r} is not an ISO 8601 time {example}.",
                       details={"at": text}) from None
    if at.tzinfo is not None:
        return at, ""
    if timezone is None:
        raise BadInput(f"--at {text!r} has no UTC offset; give one, {example}, or say "
                       "which zone it is in with --timezone.", details={"at": text})
    resolved = resolve_local_time(at, timezone)
    return resolved.utc, resolved.note


def _history_lines(history: PostHistory) -> list[str]:
    post = history.post
    lines = [
        f"Post {post.id}: {post.status.value}"
        + (f" ({post.status_reason})" if post.status_reason else ""),
        f"Created:   {when(post.created_at)} by {post.created_by or '-'} "
        f"(source: {post.source.kind}{':' + post.source.ref if post.source.ref else ''})",
        f"Scheduled: {when(post.scheduled_at) if post.scheduled_at else 'as soon as possible'}"
        f" ({when_in(post.scheduled_at, post.timezone) + ', ' if post.scheduled_at else ''}"
        f"zone {post.timezone}{', from the queue' if post.from_queue else ''})",
        *([f"           {post.time_note}"] if post.time_note else []),
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
