"""``postflow audit --org ORG``: an organization's audit log, newest first, a page at a time."""

from __future__ import annotations

import argparse

from cli.context import CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.audit import AuditEvent
from postflow.organizations import Organization
from postflow.runtime import Runtime


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    audit = commands.add_parser("audit", parents=[common],
                                help="an organization's audit log, newest first")
    audit.add_argument("--org", required=True, metavar="ORG", help="organization id or name")
    audit.add_argument("--limit", type=int, default=50, metavar="N",
                       help="events per page (1 to 500, default 50)")
    audit.add_argument("--page", type=int, default=1, metavar="N", help="page, from 1")
    audit.set_defaults(handler=show_audit)


def show_audit(args: argparse.Namespace, ctx: CommandContext) -> None:
    limit = min(max(args.limit, 1), 500)
    page = max(args.page, 1)

    async def work(rt: Runtime, org: Organization) -> list[AuditEvent]:
        return await rt.store.list_recent_audit(org.id, offset=(page - 1) * limit, limit=limit)

    events = ctx.run_in_org(args.org, work)
    lines = table(["AT", "ACTOR", "ACTION", "SUBJECT", "DATA"],
                  [[when(e.at), e.actor, e.action, e.subject_id,
                    ", ".join(f"{k}={v}" for k, v in e.data.items())] for e in events])
    ctx.out.result({"events": [event_view(e) for e in events], "page": page, "limit": limit},
                   lines if events else ["No events on this page."])


def event_view(event: AuditEvent) -> dict[str, object]:
    return {"id": event.id, "at": iso(event.at), "actor": event.actor, "action": event.action,
            "subject_id": event.subject_id, "data": event.data}
