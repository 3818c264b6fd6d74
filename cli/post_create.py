"""``postflow posts create``: a post straight from the shell, for operators and scripts.

It goes through ``submit_post``, the use case behind incoming hooks, so the same targets,
validation, plan limit, queue and time-zone rules apply; only the source (``cli``) differs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import when
from cli.post_views import post_view, when_in
from composition.publish_queues import worker_queue
from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime
from postflow.usecases.dispatch import dispatch_if_due
from postflow.usecases.submit_post import PostRequest, submit_post

TIME_HELP = ("when to publish: ISO 8601 with a UTC offset (2026-12-01T09:00:00+01:00, ...Z), or "
             "a local time (\"2026-12-01 09:00\") read in --timezone, else in the target "
             "accounts' own zone, else the organization's")


def register_create(actions: Subcommands, common: argparse.ArgumentParser) -> None:
    create = actions.add_parser("create", parents=[common],
                                help="create a post: now, at a time, or in the queue")
    create.add_argument("--org", required=True, help="organization id or name")
    create.add_argument("--text", required=True,
                        help="the post's text; - reads it from standard input")
    create.add_argument("--target", action="append", default=[], metavar="CONNECTION_ID",
                        help="an account to publish to; repeat for several")
    create.add_argument("--network", action="append", default=[], metavar="NETWORK",
                        help="every active account on this network; repeat for several")
    create.add_argument("--variant", action="append", default=[], metavar="NETWORK=TEXT",
                        help="replacement text for one network; repeat for several")
    create.add_argument("--media", action="append", default=[], metavar="URL",
                        help="a media URL; repeat for several")
    moment = create.add_mutually_exclusive_group()
    moment.add_argument("--at", "--schedule-at", dest="at", metavar="TIME", help=TIME_HELP)
    moment.add_argument("--queue", action="store_true",
                        help="take the next free slot of the targets' queues")
    moment.add_argument("--share-next", action="store_true",
                        help="take the first upcoming queue slot; queued posts move back one")
    moment.add_argument("--now", action="store_true",
                        help="publish as soon as possible (the default)")
    create.add_argument("--timezone", metavar="TZ",
                        help="IANA zone a local --at is read in, and the post's zone (default: "
                             "the targets' own zone, else the organization's)")
    create.set_defaults(handler=create_post)


def create_post(args: argparse.Namespace, ctx: CommandContext) -> None:
    """Submit the post; one due now goes to a worker at once with Redis, else the running
    ``postflow up`` scheduler takes it (as ``posts publish-now`` does)."""
    request = PostRequest(
        text=sys.stdin.read() if args.text == "-" else args.text, targets=args.target,
        networks=args.network, variants=parse_variants(args.variant), media_urls=args.media,
        schedule_at=parse_time(args.at) if args.at else None, queue=args.queue,
        share_next=args.share_next, timezone=args.timezone)
    with worker_queue(ctx.settings) as queue:
        post = ctx.run_in_org(args.org, lambda rt, org: _submit(rt, queue, org, request))
    handed_to = None
    if post.status is PostStatus.QUEUED:
        handed_to = "worker"
    elif post.status is PostStatus.SCHEDULED and post.due_at is not None \
            and post.due_at <= post.created_at:
        handed_to = "scheduler"
    ctx.out.result({"post": post_view(post), "handed_to": handed_to},
                   created_lines(post, handed_to))


async def _submit(rt: Runtime, queue: PublishQueue | None, org: Organization,
                  request: PostRequest) -> Post:
    post = await submit_post(rt, org.id, request, source=PostSource(kind="cli"), actor=CLI_ACTOR,
                             review_required=False)
    return post if queue is None else await dispatch_if_due(rt, queue, post)


def created_lines(post: Post, handed_to: str | None) -> list[str]:
    """What a person reads: the post, its UTC instant and its time in the zone it was read in."""
    lines = [f"Created post {post.id}: {post.status.value}."]
    if post.scheduled_at is not None:
        lines.append(f"Scheduled for {when(post.scheduled_at)} "
                     f"({when_in(post.scheduled_at, post.timezone)}, zone {post.timezone})"
                     + (", from the queue." if post.from_queue else "."))
    if post.time_note:
        lines.append(post.time_note)
    if handed_to == "worker":
        lines.append("A worker publishes it now.")
    elif handed_to == "scheduler":
        lines.append("Due now: the running `postflow up` publishes it within a second or two "
                     "(start `postflow up` if it is not running).")
    return lines


def parse_time(text: str) -> datetime:
    """``--at``: ISO 8601 with or without a UTC offset; ``submit_post`` reads a local one."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--at {text!r} is not an ISO 8601 time, such as 2026-12-01T09:00:00+01:00 "
                       "or a local \"2026-12-01 09:00\".", details={"at": text}) from None


def parse_variants(items: list[str]) -> dict[str, str]:
    """``--variant NETWORK=TEXT`` pairs as a dict; BadInput for one without ``=``."""
    variants: dict[str, str] = {}
    for item in items:
        network, sep, text = item.partition("=")
        if not sep or not network.strip():
            raise BadInput(f"--variant {item!r} is not NETWORK=TEXT, such as "
                           "\"sandbox=A shorter text\".", details={"variant": item})
        variants[network.strip()] = text
    return variants
