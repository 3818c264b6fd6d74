"""``postflow webhook add|list|remove|disable|enable|deliveries|replay``: outbound webhooks,
the endpoints PostFlow tells what happened (docs/webhooks.md).

An endpoint's signing secret is printed once, when it is added.
"""

from __future__ import annotations

import argparse

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import excerpt, table, when
from postflow.usecases.webhook_deliveries import replay_webhook_event
from postflow.usecases.webhook_endpoints import (
    add_webhook_endpoint,
    list_webhook_endpoints,
    remove_webhook_endpoint,
    set_webhook_endpoint_disabled,
    webhook_delivery_log,
)
from postflow.webhooks.event_types import EVENT_TYPES
from postflow.webhooks.records import WebhookEndpoint
from postflow.webhooks.sending import SweptLater
from postflow.webhooks.views import delivery_view, endpoint_view

SHOWN_ONCE = "Keep this secret now: PostFlow shows it only once and cannot show it again."


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("webhook", help="outbound webhooks: endpoints PostFlow tells "
                                                "what happened")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    add = actions.add_parser("add", parents=[common],
                             help="add an endpoint; prints its signing secret once")
    add.add_argument("--org", required=True, help="organization id or name")
    add.add_argument("--url", required=True, help="where PostFlow POSTs the events (https)")
    add.add_argument("--events", required=True, metavar="E[,E...]",
                     help=f"the events to send: {', '.join(EVENT_TYPES)}")
    add.set_defaults(handler=add_endpoint)

    listing = actions.add_parser("list", parents=[common], help="list endpoints (never secrets)")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.set_defaults(handler=list_endpoints)

    for action, helptext, handler in (
            ("remove", "remove an endpoint and its secret", remove_endpoint),
            ("disable", "send an endpoint nothing until it is enabled", disable_endpoint),
            ("enable", "send to an endpoint again", enable_endpoint)):
        command = actions.add_parser(action, parents=[common], help=helptext)
        command.add_argument("endpoint_id", metavar="ENDPOINT_ID")
        command.add_argument("--org", required=True, help="organization id or name")
        command.set_defaults(handler=handler)

    deliveries = actions.add_parser("deliveries", parents=[common],
                                    help="the delivery log: each delivery and its attempts")
    deliveries.add_argument("--org", required=True, help="organization id or name")
    deliveries.add_argument("--endpoint", metavar="ENDPOINT_ID", help="only this endpoint's")
    deliveries.add_argument("--event", metavar="EVENT_ID", help="only this event's")
    deliveries.add_argument("--limit", type=int, default=20, help="newest N deliveries (20)")
    deliveries.set_defaults(handler=show_deliveries)

    replay = actions.add_parser("replay", parents=[common],
                                help="send an event again, with the same id and body")
    replay.add_argument("event_id", metavar="EVENT_ID")
    replay.add_argument("--org", required=True, help="organization id or name")
    replay.add_argument("--endpoint", metavar="ENDPOINT_ID",
                        help="only to this endpoint (default: every enabled endpoint "
                             "subscribed to the event's type)")
    replay.set_defaults(handler=replay_event)


def add_endpoint(args: argparse.Namespace, ctx: CommandContext) -> None:
    created = ctx.run_in_org(args.org, lambda rt, org: add_webhook_endpoint(
        rt, org.id, args.url, args.events.split(","), actor=CLI_ACTOR))
    endpoint = created.endpoint
    ctx.out.result(
        {"endpoint": endpoint_view(endpoint), "secret": created.secret, "warning": SHOWN_ONCE},
        [f"Added webhook endpoint {endpoint.id} for {', '.join(endpoint.events)}.",
         f"URL:    {endpoint.url}", f"Secret: {created.secret}", "", SHOWN_ONCE,
         "Verify the PostFlow-Signature header of each delivery with it (docs/webhooks.md)."])


def list_endpoints(args: argparse.Namespace, ctx: CommandContext) -> None:
    endpoints = ctx.run_in_org(args.org, lambda rt, org: list_webhook_endpoints(rt, org.id))
    lines = table(["ID", "URL", "EVENTS", "STATUS", "CREATED"],
                  [[e.id, e.url, ",".join(e.events), _status(e), when(e.created_at)]
                   for e in endpoints])
    ctx.out.result({"endpoints": [endpoint_view(e) for e in endpoints]},
                   lines if endpoints else ["No webhook endpoints yet."])


def remove_endpoint(args: argparse.Namespace, ctx: CommandContext) -> None:
    endpoint = ctx.run_in_org(args.org, lambda rt, org: remove_webhook_endpoint(
        rt, org.id, args.endpoint_id, actor=CLI_ACTOR))
    ctx.out.result({"removed": endpoint.id},
                   [f"Webhook endpoint {endpoint.id} is removed; nothing more is sent to it."])


def disable_endpoint(args: argparse.Namespace, ctx: CommandContext) -> None:
    endpoint = ctx.run_in_org(args.org, lambda rt, org: set_webhook_endpoint_disabled(
        rt, org.id, args.endpoint_id, True, actor=CLI_ACTOR))
    ctx.out.result({"endpoint": endpoint_view(endpoint)},
                   [f"Webhook endpoint {endpoint.id} is disabled until `postflow webhook "
                    "enable`."])


def enable_endpoint(args: argparse.Namespace, ctx: CommandContext) -> None:
    endpoint = ctx.run_in_org(args.org, lambda rt, org: set_webhook_endpoint_disabled(
        rt, org.id, args.endpoint_id, False, actor=CLI_ACTOR))
    ctx.out.result({"endpoint": endpoint_view(endpoint)},
                   [f"Webhook endpoint {endpoint.id} is enabled. Events it missed can be sent "
                    "again with `postflow webhook replay EVENT_ID`."])


def show_deliveries(args: argparse.Namespace, ctx: CommandContext) -> None:
    logged = ctx.run_in_org(args.org, lambda rt, org: webhook_delivery_log(
        rt, org.id, endpoint_id=args.endpoint, event_id=args.event, limit=args.limit))
    rows = []
    for item in logged:
        last = item.attempts[-1] if item.attempts else None
        answer = (str(last.status_code) if last and last.status_code is not None
                  else (last.error if last else ""))
        rows.append([item.delivery.event_id, item.delivery.event_type.value,
                     item.delivery.endpoint_id, item.delivery.status.value,
                     item.delivery.attempts, excerpt(answer, 40),
                     when(last.at if last else None)])
    ctx.out.result(
        {"deliveries": [delivery_view(i.delivery, i.attempts) for i in logged]},
        table(["EVENT", "TYPE", "ENDPOINT", "STATUS", "TRIES", "LAST ANSWER", "LAST TRY"], rows)
        if logged else ["No deliveries yet."])


def replay_event(args: argparse.Namespace, ctx: CommandContext) -> None:
    # This command hands nothing to a worker itself: the scheduler's sweep sends the new
    # deliveries at its next pass (within seconds while `postflow up` or a scheduler runs).
    deliveries = ctx.run_in_org(args.org, lambda rt, org: replay_webhook_event(
        rt, org.id, args.event_id, SweptLater(), endpoint_id=args.endpoint, actor=CLI_ACTOR))
    ctx.out.result(
        {"deliveries": [delivery_view(d, []) for d in deliveries]},
        [f"Event {args.event_id} is sent again to "
         f"{', '.join(d.endpoint_id for d in deliveries)} (the scheduler sends it within "
         "seconds; `postflow webhook deliveries --event` shows how it went)."])


def _status(endpoint: WebhookEndpoint) -> str:
    if endpoint.disabled:
        return f"disabled ({endpoint.disabled_reason})" if endpoint.disabled_reason \
            else "disabled"
    if endpoint.failing_since is not None:
        return f"failing since {when(endpoint.failing_since)}"
    return "enabled"
