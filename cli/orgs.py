"""``postflow org create|list|show``: the organizations this PostFlow serves."""

from __future__ import annotations

import argparse

from cli.billing import billing_view, usage_lines, usage_view
from cli.context import CLI_ACTOR, CommandContext, Subcommands, org_for
from cli.output import iso, table, when
from postflow.billing.lifecycle import LIFECYCLE
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.billing.plan_usage import LimitUsage, usage_against_limits
from postflow.usecases.organizations import create_organization


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("org", help="create and list organizations")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common], help="create an organization")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--timezone", default="UTC", metavar="TZ",
                        help="IANA zone posts are scheduled in by default (default: UTC)")
    create.set_defaults(handler=create_org)

    listing = actions.add_parser("list", parents=[common], help="list organizations")
    listing.set_defaults(handler=list_orgs)

    show = actions.add_parser("show", parents=[common],
                              help="an organization's plan, billing and usage of each limit")
    show.add_argument("org", metavar="ORG", help="organization id or name")
    show.set_defaults(handler=show_org)


def create_org(args: argparse.Namespace, ctx: CommandContext) -> None:
    org = ctx.run(lambda rt: create_organization(rt, args.name, actor=CLI_ACTOR,
                                                 timezone=args.timezone))
    ctx.out.result({"organization": org_view(org)}, [
        f"Created organization {org.name!r}: id {org.id}, plan {org.plan}, "
        f"timezone {org.timezone}.",
        f"Next: postflow connect sandbox --org {org.id} --name demo",
    ])


def list_orgs(args: argparse.Namespace, ctx: CommandContext) -> None:
    orgs = ctx.run(lambda rt: rt.store.list_organizations())
    lines = table(["ID", "NAME", "PLAN", "TIMEZONE", "CREATED"],
                  [[o.id, o.name, o.plan, o.timezone, when(o.created_at)] for o in orgs])
    empty = ["No organizations yet. Create one: postflow org create NAME"]
    ctx.out.result({"organizations": [org_view(o) for o in orgs]}, lines if orgs else empty)


def show_org(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def show(rt: Runtime) -> tuple[Organization, list[LimitUsage]]:
        org = await org_for(rt, args.org)
        return org, await usage_against_limits(rt, org)

    org, usage = ctx.run(show)
    state = org.billing
    lines = [f"{org.name} ({org.id}): plan {org.plan}",
             f"Billing: {state.status.value.replace('_', ' ')}. {LIFECYCLE[state.status].says}",
             f"Trial ends: {when(state.trial_end)}",
             f"Current period ends: {when(state.current_period_end)}"
             f"{' (cancels then)' if state.cancel_at_period_end else ''}",
             *([f"Grace period ends: {when(state.grace_until)}"] if state.grace_until else []),
             "", *usage_lines(usage)]
    ctx.out.result({"organization": org_view(org) | {"billing": billing_view(state),
                                                     "usage": usage_view(usage)}}, lines)


def org_view(org: Organization) -> dict[str, object]:
    return {"id": org.id, "name": org.name, "plan": org.plan, "timezone": org.timezone,
            "created_at": iso(org.created_at)}
