"""``postflow queue show|set|share-next``: a connection's queue slots, caps and the posts
holding them, and moving a queued post to the front."""

from __future__ import annotations

import argparse
from datetime import datetime

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import excerpt, iso, table, when
from cli.post_views import post_view
from postflow.organizations import Organization
from postflow.posts import Post
from postflow.queues import QueueSettings, parse_slot, slot_label
from postflow.runtime import Runtime
from postflow.timezones import zone
from postflow.usecases.post_actions import SharedNext, share_next
from postflow.usecases.queues import queue_settings_for, set_queue_settings, upcoming_queue


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("queue", help="show or change a connection's queue")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    show = actions.add_parser("show", parents=[common],
                              help="a connection's slots, caps and upcoming queued posts")
    show.add_argument("--org", required=True, help="organization id or name")
    show.add_argument("--connection", required=True, help="connection id")
    show.set_defaults(handler=show_queue)

    setting = actions.add_parser("set", parents=[common],
                                 help="replace a connection's slots and caps")
    setting.add_argument("--org", required=True, help="organization id or name")
    setting.add_argument("--connection", required=True, help="connection id")
    setting.add_argument("--slot", action="append", required=True, metavar='"DAY HH:MM"',
                         help='a weekly slot, e.g. "mon 09:00"; repeat for each slot')
    setting.add_argument("--timezone", metavar="TZ",
                         help="IANA zone the slots are in (default: the queue's current zone)")
    setting.add_argument("--max-per-day", type=int, metavar="N",
                         help="at most N queued posts per local day")
    setting.add_argument("--max-per-week", type=int, metavar="N",
                         help="at most N queued posts per ISO week")
    setting.set_defaults(handler=set_queue)

    sharing = actions.add_parser(
        "share-next", parents=[common],
        help="move a queued post to the first upcoming slot; the posts before its old slot "
             "move back one")
    sharing.add_argument("post_id", metavar="POST_ID")
    sharing.add_argument("--org", required=True, help="organization id or name")
    sharing.set_defaults(handler=share_post_next)


def show_queue(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[QueueSettings, list[Post]]:
        posts = await upcoming_queue(rt, org.id, args.connection)  # NotFound first
        return await queue_settings_for(rt, org.id, args.connection), posts

    settings, posts = ctx.run_in_org(args.org, work)
    tz = zone(settings.timezone)
    rows = [[p.id, p.scheduled_at.astimezone(tz).strftime("%a %Y-%m-%d %H:%M") if p.scheduled_at
             else None, iso(p.scheduled_at), p.status.value, excerpt(p.text, 40)]
            for p in posts]
    lines = settings_lines(settings)
    lines += [""] + (table(["POST", f"LOCAL ({settings.timezone})", "UTC", "STATUS", "TEXT"],
                           rows) if posts else ["No queued posts."])
    ctx.out.result({"queue": settings_view(settings),
                    "posts": [{"id": p.id, "status": p.status.value,
                               "scheduled_at": iso(p.scheduled_at),
                               "scheduled_at_local": iso(p.scheduled_at.astimezone(tz)
                                                         if p.scheduled_at else None),
                               "text": p.text} for p in posts]}, lines)


def set_queue(args: argparse.Namespace, ctx: CommandContext) -> None:
    slots = [parse_slot(text) for text in args.slot]
    settings = ctx.run_in_org(args.org, lambda rt, org: set_queue_settings(
        rt, org.id, args.connection, slots=slots, timezone=args.timezone,
        max_per_day=args.max_per_day, max_per_week=args.max_per_week, actor=CLI_ACTOR))
    ctx.out.result({"queue": settings_view(settings)},
                   ["Queue saved. Posts already queued keep their times.",
                    *settings_lines(settings)])


def share_post_next(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[SharedNext, QueueSettings]:
        shared = await share_next(rt, org.id, args.post_id, actor=CLI_ACTOR)
        first_target = shared.post.targets[0].connection_id
        return shared, await queue_settings_for(rt, org.id, first_target)

    shared, settings = ctx.run_in_org(args.org, work)
    post, tz = shared.post, zone(settings.timezone)

    def local(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z") if moment else "-"

    moved = post.scheduled_at != shared.previous_scheduled_at
    lines = [(f"Post {post.id} is next in the queue" if moved else
              f"Post {post.id} is already next in the queue")
             + f": {when(post.scheduled_at)} ({local(post.scheduled_at)}, {settings.timezone})."]
    if shared.shifted:
        lines += ["", "Moved back one slot to make room:",
                  *table(["POST", "FROM", f"TO ({settings.timezone})"],
                         [[p.id, local(p.scheduled_at), local(at)]
                          for p, at in sorted(shared.shifted, key=lambda m: m[1])])]
    ctx.out.result({"post": post_view(post), "moved": moved,
                    "previous_scheduled_at": iso(shared.previous_scheduled_at),
                    "shifted": [{"id": p.id, "previous_scheduled_at": iso(p.scheduled_at),
                                 "scheduled_at": iso(at)}
                                for p, at in sorted(shared.shifted, key=lambda m: m[1])]},
                   lines)


def settings_lines(settings: QueueSettings) -> list[str]:
    return [f"Connection: {settings.connection_id}",
            f"Time zone:  {settings.timezone}"
            + ("" if settings.updated_at else " (default slots)"),
            f"Slots:      {', '.join(slot_label(s) for s in settings.slots)}",
            f"Per day:    {settings.max_per_day or 'no cap'}",
            f"Per week:   {settings.max_per_week or 'no cap'}"]


def settings_view(settings: QueueSettings) -> dict[str, object]:
    return {"connection_id": settings.connection_id, "org_id": settings.org_id,
            "timezone": settings.timezone, "default": settings.updated_at is None,
            "slots": [{"weekday": day, "day": slot_label((day, at)).split()[0], "time": at}
                      for day, at in settings.slots],
            "max_per_day": settings.max_per_day, "max_per_week": settings.max_per_week,
            "updated_at": iso(settings.updated_at)}
