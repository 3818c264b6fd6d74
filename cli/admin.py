"""``postflow admin ...``: the operators' tools, for people with access to the deployment.

tenants (list, show), feature flags per organization over the plan, suspend and resume, and
the read-only support view (only while the organization's Owner has turned support on). Each
change, and each look through the support view, goes to the organization's audit log as
``operator``.
"""

from __future__ import annotations

import argparse

from cli.context import CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.admin import (
    Tenant,
    list_tenants,
    parse_feature,
    resume_organization,
    set_feature_flag,
    suspend_organization,
    tenant,
)
from postflow.usecases.admin_support import SupportView, open_support_view

FLAG_VALUES = {"on": True, "off": False, "plan": None}


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("admin", help="operators' tools: tenants, flags, suspension, "
                                "support view")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    tenants = actions.add_parser("tenants", help="organizations with plan, usage and status")
    tenant_actions = tenants.add_subparsers(dest="tenant_action", required=True,
                                            metavar="ACTION")
    listing = tenant_actions.add_parser("list", parents=[common], help="every organization")
    listing.set_defaults(handler=list_all)
    show = tenant_actions.add_parser("show", parents=[common], help="one organization")
    show.add_argument("org", metavar="ORG", help="organization id or name")
    show.set_defaults(handler=show_one)

    flags = actions.add_parser("flags", help="feature flags per organization, over its plan")
    flag_actions = flags.add_subparsers(dest="flag_action", required=True, metavar="ACTION")
    set_flag = flag_actions.add_parser("set", parents=[common],
                                       help="turn a feature on or off (plan: as the plan says)")
    set_flag.add_argument("org", metavar="ORG")
    set_flag.add_argument("feature", metavar="FEATURE")
    set_flag.add_argument("value", choices=sorted(FLAG_VALUES), metavar="on|off|plan")
    set_flag.set_defaults(handler=set_flag_value)

    suspend = actions.add_parser("suspend", parents=[common],
                                 help="suspend: hooks and API answer 403, posts wait")
    suspend.add_argument("org", metavar="ORG")
    suspend.add_argument("--reason", required=True, metavar="TEXT",
                         help="why (kept in the audit log)")
    suspend.set_defaults(handler=suspend_org)

    resume = actions.add_parser("resume", parents=[common],
                                help="lift a suspension; the posts that waited go out")
    resume.add_argument("org", metavar="ORG")
    resume.set_defaults(handler=resume_org)

    support = actions.add_parser("support", parents=[common],
                                 help="read-only view of connections and recent posts, while "
                                 "the Owner allows it (audited)")
    support.add_argument("org", metavar="ORG")
    support.add_argument("--reason", default="", metavar="TEXT",
                         help="why you look (kept in the audit log)")
    support.set_defaults(handler=support_view)


def list_all(args: argparse.Namespace, ctx: CommandContext) -> None:
    tenants = ctx.run(list_tenants)
    lines = table(["ID", "NAME", "PLAN", "STATUS", "POSTS THIS MONTH", "ACCOUNTS", "MEMBERS"],
                  [[t.org.id, t.org.name, t.org.plan, t.status,
                    _of(t.usage.posts_this_month, t.usage.posts_allowed),
                    _of(t.usage.connections, t.usage.connections_allowed),
                    _of(t.usage.members, t.usage.members_allowed)] for t in tenants])
    ctx.out.result({"tenants": [tenant_view(t) for t in tenants]},
                   lines if tenants else ["No organizations yet."])


def show_one(args: argparse.Namespace, ctx: CommandContext) -> None:
    found = ctx.run_in_org(args.org, tenant)
    org, usage = found.org, found.usage
    lines = [f"{org.name} ({org.id})", f"Plan: {org.plan}", f"Status: {found.status}"]
    if org.suspension is not None:
        lines.append(f"Suspended since {when(org.suspension.at)}: {org.suspension.reason}")
    lines += [f"Posts this month: {_of(usage.posts_this_month, usage.posts_allowed)}",
              f"Connected accounts: {_of(usage.connections, usage.connections_allowed)}",
              f"Members: {_of(usage.members, usage.members_allowed)}",
              f"Posts waiting to go out: {usage.posts_waiting}",
              f"Support access: {'on' if org.support_access else 'off'}",
              "Features: " + ", ".join(f"{name} {'on' if on else 'off'}"
                                       f"{' (flag)' if name in org.feature_flags else ''}"
                                       for name, on in found.features.items())]
    ctx.out.result({"tenant": tenant_view(found)}, lines)


def set_flag_value(args: argparse.Namespace, ctx: CommandContext) -> None:
    feature = parse_feature(args.feature)
    value = FLAG_VALUES[args.value]

    async def work(rt: Runtime, org: Organization) -> Tenant:
        return await tenant(rt, await set_feature_flag(rt, org.id, feature, value))

    found = ctx.run_in_org(args.org, work)
    said = ("follows the plan again" if value is None else f"is {'on' if value else 'off'}")
    ctx.out.result({"tenant": tenant_view(found)}, [
        f"{feature.value} {said} for {found.org.name} ({found.org.id}): "
        f"{'on' if found.features[feature.value] else 'off'} now."])


def suspend_org(args: argparse.Namespace, ctx: CommandContext) -> None:
    org = ctx.run_in_org(args.org, lambda rt, o: suspend_organization(rt, o.id, args.reason))
    ctx.out.result({"organization": org_status(org)}, [
        f"Suspended {org.name} ({org.id}): its hooks and API answer 403 and its posts wait, "
        "none published and none lost.",
        f"Resume it with: postflow admin resume {org.id}"])


def resume_org(args: argparse.Namespace, ctx: CommandContext) -> None:
    org = ctx.run_in_org(args.org, lambda rt, o: resume_organization(rt, o.id))
    ctx.out.result({"organization": org_status(org)}, [
        f"Resumed {org.name} ({org.id}): the posts that waited are due again (those past "
        "their time by more than the late grace become Late, for a person to decide)."])


def support_view(args: argparse.Namespace, ctx: CommandContext) -> None:
    view = ctx.run_in_org(args.org,
                          lambda rt, o: open_support_view(rt, o.id, reason=args.reason))
    lines = [f"Support view of {view.org.name} ({view.org.id}), read-only; this look is in "
             "its audit log.", "", "Connections:"]
    lines += table(["ID", "NETWORK", "NAME", "STATUS", "LAST REFRESH ERROR"],
                   [[c.id, c.network, c.display_name, c.status.value, c.last_refresh_error]
                    for c in view.connections]) if view.connections else ["  none"]
    lines += ["", "Recent posts:"]
    lines += table(["ID", "STATUS", "DUE", "REASON"],
                   [[p.id, p.status.value, when(p.due_at or p.scheduled_at), p.status_reason]
                    for p in view.recent_posts]) if view.recent_posts else ["  none"]
    ctx.out.result({"support_view": support_data(view)}, lines)


def _of(used: int, allowed: int | None) -> str:
    return f"{used}/{'unlimited' if allowed is None else allowed}"


def org_status(org: Organization) -> dict[str, object]:
    return {"id": org.id, "name": org.name, "status": "suspended" if org.suspension else
            "active", "suspended_at": iso(org.suspension.at) if org.suspension else None,
            "suspension_reason": org.suspension.reason if org.suspension else None}


def tenant_view(found: Tenant) -> dict[str, object]:
    usage = found.usage
    return {**org_status(found.org), "plan": found.org.plan,
            "created_at": iso(found.org.created_at),
            "usage": {"posts_this_month": usage.posts_this_month,
                      "posts_allowed": usage.posts_allowed,
                      "connections": usage.connections,
                      "connections_allowed": usage.connections_allowed,
                      "members": usage.members, "members_allowed": usage.members_allowed,
                      "posts_waiting": usage.posts_waiting},
            "features": found.features, "feature_flags": found.org.feature_flags,
            "support_access": found.org.support_access}


def support_data(view: SupportView) -> dict[str, object]:
    """What the support view shows: no token, no secret, no post text beyond its status."""
    return {"organization": {"id": view.org.id, "name": view.org.name, "plan": view.org.plan},
            "connections": [{"id": c.id, "network": c.network, "name": c.display_name,
                             "status": c.status.value, "last_refresh_error":
                             c.last_refresh_error, "reconnect_by": iso(c.reconnect_by)}
                            for c in view.connections],
            "recent_posts": [{"id": p.id, "status": p.status.value, "status_reason":
                              p.status_reason, "due_at": iso(p.due_at),
                              "scheduled_at": iso(p.scheduled_at),
                              "targets": [{"connection_id": t.connection_id,
                                           "network": t.network, "status": t.status.value,
                                           "error": t.error_message} for t in p.targets]}
                             for p in view.recent_posts]}


