"""``postflow recurring create|list|show|pause|resume|cancel``: posts that repeat weekly or
monthly at a local time, each occurrence its own post."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import excerpt, iso, table, when
from cli.post_views import post_view, when_in
from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.posts import Post
from postflow.recurrence import (
    Frequency,
    Occurrence,
    RecurringSeries,
    SeriesStatus,
    parse_weekdays,
    upcoming,
)
from postflow.runtime import Runtime
from postflow.usecases.recurring_posts import (
    SeriesRequest,
    cancel_series,
    create_series,
    pause_series,
    resume_series,
    series_posts,
)

#: How many coming occurrences create and show print.
PREVIEW = 5


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("recurring", help="posts that repeat weekly or monthly")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser(
        "create", parents=[common], help="create a recurring series",
        description="Each occurrence becomes its own scheduled post, created up to 24 h ahead.")
    create.add_argument("--org", required=True, help="organization id or name")
    create.add_argument("--text", required=True, help="the text of every occurrence")
    create.add_argument("--target", action="append", default=[], metavar="CONN",
                        help="a connection id to post to; repeat for each")
    create.add_argument("--network", action="append", default=[], metavar="NETWORK",
                        help="post to every active connection on this network; repeatable")
    create.add_argument("--variant", action="append", default=[], metavar="NETWORK=TEXT",
                        help="replacement text for one network; repeatable")
    create.add_argument("--media", action="append", default=[], metavar="URL",
                        help="a media URL; repeatable")
    every = create.add_mutually_exclusive_group(required=True)
    every.add_argument("--weekly", metavar="DAYS",
                       help="weekdays, comma-separated: mon,wed (or 0-6 from Monday)")
    every.add_argument("--monthly", type=int, metavar="DAY",
                       help="day of the month, 1-31 (a shorter month uses its last day)")
    create.add_argument("--at", required=True, metavar="HH:MM", help="local time")
    create.add_argument("--timezone", metavar="TZ",
                        help="IANA zone of --at (default: the organization's); a time the "
                             "clocks skip moves forward, one they repeat means the first")
    create.add_argument("--starts", type=_date, metavar="DATE",
                        help="first local date, YYYY-MM-DD (default: today)")
    end = create.add_mutually_exclusive_group()
    end.add_argument("--until", type=_date, metavar="DATE",
                     help="last local date, YYYY-MM-DD, inclusive")
    end.add_argument("--count", type=int, metavar="N", help="end after N occurrences")
    create.set_defaults(handler=create_recurring)

    listing = actions.add_parser("list", parents=[common], help="list recurring series")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.add_argument("--status", action="extend", nargs="+", type=SeriesStatus,
                         choices=list(SeriesStatus), metavar="STATUS",
                         help=f"only these statuses: {', '.join(SeriesStatus)}")
    listing.set_defaults(handler=list_recurring)

    for name, handler, text in (
            ("show", show_recurring, "a series, its coming occurrences and its posts"),
            ("pause", pause_recurring, "stop creating posts (posts already created stay)"),
            ("resume", resume_recurring, "go on from the next occurrence after now"),
            ("cancel", cancel_recurring,
             "end a series and cancel its posts not yet publishing")):
        action = actions.add_parser(name, parents=[common], help=text)
        action.add_argument("series_id", metavar="SERIES_ID")
        action.add_argument("--org", required=True, help="organization id or name")
        action.set_defaults(handler=handler)


def create_recurring(args: argparse.Namespace, ctx: CommandContext) -> None:
    request = SeriesRequest(
        text=args.text, targets=args.target, networks=args.network,
        variants=_variants(args.variant), media_urls=args.media,
        frequency=Frequency.WEEKLY if args.weekly else Frequency.MONTHLY,
        weekdays=parse_weekdays(args.weekly) if args.weekly else [],
        day_of_month=args.monthly, at=args.at, timezone=args.timezone,
        starts_on=args.starts, until=args.until, count=args.count)
    series = ctx.run_in_org(args.org, lambda rt, org: create_series(rt, org.id, request,
                                                                    actor=CLI_ACTOR))
    coming = _coming(series)
    lines = [f"Created recurring series {series.id}: {series.rule.describe()}.",
             "Each occurrence becomes its own post up to 24 hours before its time.",
             "", "Next occurrences:", *_indent(_occurrence_table(series, coming))]
    lines += _shift_notes(coming)
    ctx.out.result({"series": series_view(series),
                    "upcoming": [occurrence_view(o) for o in coming]}, lines)


def list_recurring(args: argparse.Namespace, ctx: CommandContext) -> None:
    found = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_series(org.id, args.status))
    lines = table(["ID", "STATUS", "RULE", "NEXT (UTC)", "POSTS", "TEXT"],
                  [[s.id, s.status.value, s.rule.describe(), when(s.next_at), s.created_count,
                    excerpt(s.text, 40)] for s in found])
    ctx.out.result({"series": [series_view(s) for s in found]},
                   lines if found else ["No recurring series."])


@dataclass(frozen=True)
class SeriesDetails:
    series: RecurringSeries
    posts: list[Post]


def show_recurring(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def load(rt: Runtime, org: Organization) -> SeriesDetails:
        series = await rt.store.get_series(org.id, args.series_id)
        return SeriesDetails(series, await series_posts(rt, series))

    details = ctx.run_in_org(args.org, load)
    series, posts = details.series, details.posts
    coming = _coming(series)
    lines = _series_lines(series)
    lines += ["", "Next occurrences:",
              *_indent(_occurrence_table(series, coming) if coming else ["none"])]
    lines += _shift_notes(coming)
    lines += ["", "Posts created (latest first):",
              *_indent(table(["POST", "STATUS", "SCHEDULED (UTC)", "LOCAL"],
                             [[p.id, p.status.value, when(p.scheduled_at),
                               when_in(p.scheduled_at, p.timezone)] for p in posts])
                       if posts else ["none yet"])]
    ctx.out.result({"series": series_view(series),
                    "upcoming": [occurrence_view(o) for o in coming],
                    "posts": [post_view(p) for p in posts]}, lines)


def pause_recurring(args: argparse.Namespace, ctx: CommandContext) -> None:
    series = ctx.run_in_org(args.org, lambda rt, org: pause_series(
        rt, org.id, args.series_id, actor=CLI_ACTOR))
    ctx.out.result({"series": series_view(series)},
                   [f"Series {series.id} is paused. Posts already created stay scheduled: "
                    "cancel one with `postflow posts cancel`."])


def resume_recurring(args: argparse.Namespace, ctx: CommandContext) -> None:
    series = ctx.run_in_org(args.org, lambda rt, org: resume_series(
        rt, org.id, args.series_id, actor=CLI_ACTOR))
    line = (f"Series {series.id} is active again; next occurrence {when(series.next_at)}."
            if series.status is SeriesStatus.ACTIVE
            else f"Series {series.id} has ended: {series.status_reason}.")
    ctx.out.result({"series": series_view(series)}, [line])


def cancel_recurring(args: argparse.Namespace, ctx: CommandContext) -> None:
    done = ctx.run_in_org(args.org, lambda rt, org: cancel_series(
        rt, org.id, args.series_id, actor=CLI_ACTOR))
    lines = [f"Series {done.series.id} is canceled; {len(done.canceled)} of its posts "
             "not yet published were canceled."]
    if done.left:
        lines.append("Being published right now, so not canceled: "
                     + ", ".join(p.id for p in done.left) + ".")
    ctx.out.result({"series": series_view(done.series),
                    "canceled_posts": [p.id for p in done.canceled],
                    "not_canceled_posts": [p.id for p in done.left]}, lines)


# -- views --------------------------------------------------------------------------------------

def series_view(series: RecurringSeries) -> dict[str, object]:
    rule = series.rule
    return {"id": series.id, "org_id": series.org_id, "status": series.status.value,
            "status_reason": series.status_reason, "text": series.text,
            "variants": series.variants, "media": [m.url for m in series.media],
            "targets": series.targets,
            "rule": {"frequency": rule.frequency.value, "weekdays": list(rule.weekdays),
                     "day_of_month": rule.day_of_month, "at": rule.at,
                     "timezone": rule.timezone, "starts_on": rule.starts_on.isoformat(),
                     "until": rule.until.isoformat() if rule.until else None,
                     "count": rule.count, "description": rule.describe()},
            "next_number": series.next_number if series.next_at else None,
            "next_at": iso(series.next_at),
            "last_at": iso(series.last_at), "created_count": series.created_count,
            "skipped_count": series.skipped_count,
            "last_skip_reason": series.last_skip_reason or None,
            "created_by": series.created_by, "version": series.version,
            "created_at": iso(series.created_at), "updated_at": iso(series.updated_at)}


def occurrence_view(occurrence: Occurrence) -> dict[str, object]:
    return {"number": occurrence.number, "local_date": occurrence.local_date.isoformat(),
            "at": iso(occurrence.utc), "at_local": iso(occurrence.time.local),
            "shifted": occurrence.time.adjustment, "note": occurrence.time.note or None}


def _coming(series: RecurringSeries) -> list[Occurrence]:
    return upcoming(series.rule, series.next_occurrence(), PREVIEW)


def _occurrence_table(series: RecurringSeries, coming: list[Occurrence]) -> list[str]:
    return table(["#", f"LOCAL ({series.rule.timezone})", "UTC", "NOTE"],
                 [[o.number, o.time.local.strftime("%a %Y-%m-%d %H:%M %Z"), when(o.utc),
                   "shifted: the clocks jump forward" if o.time.adjustment == "nonexistent"
                   else "first of two (the clocks fall back)" if o.time.adjustment else ""]
                  for o in coming])


def _shift_notes(coming: list[Occurrence]) -> list[str]:
    notes = [o.time.note for o in coming if o.time.note]
    return ["", *notes] if notes else []


def _series_lines(series: RecurringSeries) -> list[str]:
    return [
        f"Series {series.id}: {series.status.value}"
        + (f" ({series.status_reason})" if series.status_reason else ""),
        f"Rule:      {series.rule.describe()}",
        f"Created:   {when(series.created_at)} by {series.created_by or '-'}",
        f"Targets:   {', '.join(series.targets)}",
        f"Text:      {excerpt(series.text, 200)}",
        f"Posts:     {series.created_count} created, {series.skipped_count} skipped"
        + (f" (last: {series.last_skip_reason})" if series.last_skip_reason else ""),
    ]


def _variants(pairs: list[str]) -> dict[str, str]:
    variants: dict[str, str] = {}
    for pair in pairs:
        network, sep, text = pair.partition("=")
        if not sep or not network.strip():
            raise BadInput(f"--variant {pair!r} is not NETWORK=TEXT.", details={"variant": pair})
        variants[network.strip()] = text
    return variants


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]
