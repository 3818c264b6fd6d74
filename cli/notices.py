"""``postflow notices list|read``: members' notification centers from the shell (what
``/postflow inbox`` shows in chat). A member is named by id (``mem_…``) or by chat identity as
records name people (``slack:T123:U456``, ``discord:<server>:<user>``)."""

from __future__ import annotations

import argparse

from cli.context import CommandContext, Subcommands
from cli.output import excerpt, iso, table, when
from postflow.inbox import InboxEntry
from postflow.organizations import Member, Organization
from postflow.runtime import Runtime
from postflow.usecases.inbox import (
    MAX_SHOWN,
    latest_notices,
    mark_all_read,
    member_named,
    organization_notices,
)

MEMBER_HELP = "member id (mem_…) or chat identity (slack:T123:U456)"


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("notices", help="members' notification centers: list, mark read")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[common],
                                 help="the latest notices, newest first (a member's: unread "
                                      "first)")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.add_argument("--member", help=f"only this member's notices: {MEMBER_HELP}")
    listing.add_argument("--unread", action="store_true", help="only unread notices")
    listing.add_argument("--limit", type=int, default=50, metavar="N",
                         help=f"at most N notices (default 50, at most {MAX_SHOWN})")
    listing.set_defaults(handler=list_notices)

    read = actions.add_parser("read", parents=[common], help="mark a member's notices all read")
    read.add_argument("--org", required=True, help="organization id or name")
    read.add_argument("--member", required=True, help=MEMBER_HELP)
    read.set_defaults(handler=read_notices)


def list_notices(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> list[tuple[Member, InboxEntry]]:
        if args.member is None:
            return await organization_notices(rt, org.id, limit=args.limit,
                                              unread_only=args.unread)
        member = await member_named(rt, org.id, args.member)
        view = await latest_notices(rt, org.id, member.id, limit=args.limit,
                                    unread_only=args.unread)
        return [(member, e) for e in view.entries]

    found = ctx.run_in_org(args.org, work)
    lines = table(["ID", "MEMBER", "KIND", "CREATED", "READ", "TEXT"],
                  [[e.id, member_label(m), e.kind, when(e.created_at),
                    when(e.read_at) if e.read_at else "unread", excerpt(e.text, 60)]
                   for m, e in found])
    ctx.out.result({"notices": [notice_view(m, e) for m, e in found]},
                   lines if found else ["No notices."])


def read_notices(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[Member, int]:
        member = await member_named(rt, org.id, args.member)
        return member, await mark_all_read(rt, org.id, member.id)

    member, marked = ctx.run_in_org(args.org, work)
    ctx.out.result({"member_id": member.id, "marked_read": marked},
                   [f"Marked {marked} notice{'s' if marked != 1 else ''} of "
                    f"{member_label(member)} read."])


def member_label(member: Member) -> str:
    return member.display_name or member.id


def notice_view(member: Member, entry: InboxEntry) -> dict[str, object]:
    i = member.identity
    return {"id": entry.id, "member_id": member.id,
            "member": {"display_name": member.display_name, "role": member.role.value,
                       "identity": f"{i.platform}:{i.workspace_id}:{i.user_id}"},
            "kind": entry.kind, "subject_id": entry.subject_id, "post_id": entry.post_id,
            "text": entry.text, "link": entry.link, "created_at": iso(entry.created_at),
            "read_at": iso(entry.read_at), "unread": entry.unread}
