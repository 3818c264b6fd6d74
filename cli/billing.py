"""``postflow billing sync|events``: read an organization's subscription from Stripe again, and
list the Stripe events PostFlow recorded with how each was applied. (``postflow org show``
prints an organization's plan, billing and usage: :func:`billing_view`, :func:`usage_view`.)"""

from __future__ import annotations

import argparse

from cli.context import CLI_ACTOR, CommandContext, Subcommands, org_for
from cli.output import iso, table, when
from postflow.billing.events import BillingEvent
from postflow.billing.lifecycle import LIFECYCLE
from postflow.billing.state import BillingState
from postflow.organizations import Organization
from postflow.plans import LIMIT_NOUNS, shown_amount
from postflow.runtime import Runtime
from postflow.usecases.billing.account_addon import sync_addon_quantity
from postflow.usecases.billing.plan_usage import LimitUsage
from postflow.usecases.billing.subscription_sync import Applied, sync_organization

EVENTS_SHOWN = 100


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("billing", help="Stripe subscriptions: sync and events")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    sync = actions.add_parser("sync", parents=[common],
                              help="read an organization's subscription from Stripe again")
    sync.add_argument("org", metavar="ORG", help="organization id or name")
    sync.set_defaults(handler=sync_billing)

    events = actions.add_parser("events", parents=[common],
                                help="recorded Stripe events and how each was applied")
    events.add_argument("--org", help="only those of this organization (id or name)")
    events.add_argument("--limit", type=int, default=EVENTS_SHOWN, metavar="N",
                        help=f"newest N (default {EVENTS_SHOWN})")
    events.set_defaults(handler=list_events)


def sync_billing(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def sync(rt: Runtime) -> tuple[Applied, Organization]:
        org = await org_for(rt, args.org)
        applied = await sync_organization(rt, org.id, actor=CLI_ACTOR)
        await sync_addon_quantity(rt, org.id, actor=CLI_ACTOR)
        return applied, await rt.store.get_organization(org.id)

    applied, org = ctx.run(sync)
    ctx.out.result({"outcome": applied.outcome.value, "detail": applied.detail,
                    "organization": {"id": org.id, "plan": org.plan,
                                     "billing": billing_view(org.billing)}},
                   [f"{org.name} ({org.id}): {applied.detail}"])


def list_events(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def listing(rt: Runtime) -> list[BillingEvent]:
        org_id = None if args.org is None else (await org_for(rt, args.org)).id
        return await rt.store.list_billing_events(org_id, max(1, args.limit))

    events = ctx.run(listing)
    lines = table(["RECEIVED", "EVENT", "TYPE", "ORGANIZATION", "OUTCOME", "DETAIL"],
                  [[when(e.received_at), e.id, e.type, e.org_id or e.org_hint,
                    e.outcome.value, e.detail] for e in events])
    ctx.out.result({"events": [event_view(e) for e in events]},
                   lines if events else ["No Stripe events recorded."])


def event_view(event: BillingEvent) -> dict[str, object]:
    return {"id": event.id, "type": event.type, "created": iso(event.created),
            "received_at": iso(event.received_at), "org_id": event.org_id,
            "org_hint": event.org_hint, "subscription_id": event.subscription_id,
            "customer_id": event.customer_id, "outcome": event.outcome.value,
            "applied_at": iso(event.applied_at), "detail": event.detail}


def billing_view(state: BillingState) -> dict[str, object]:
    return {"status": state.status.value, "says": LIFECYCLE[state.status].says,
            "paid_plan": state.paid_plan, "trial_end": iso(state.trial_end),
            "current_period_end": iso(state.current_period_end),
            "cancel_at_period_end": state.cancel_at_period_end,
            "grace_until": iso(state.grace_until), "customer_id": state.customer_id,
            "subscription_id": state.subscription_id, "addon_quantity": state.addon_quantity}


def usage_view(usage: list[LimitUsage]) -> list[dict[str, object]]:
    return [{"limit": u.limit.value, "used": u.used, "allowed": u.allowed} for u in usage]


def usage_lines(usage: list[LimitUsage]) -> list[str]:
    return table(["LIMIT", "USED", "ALLOWED"],
                 [[LIMIT_NOUNS[u.limit].removeprefix("of "), shown_amount(u.limit, u.used),
                   "unlimited" if u.allowed is None else shown_amount(u.limit, u.allowed)]
                  for u in usage])
