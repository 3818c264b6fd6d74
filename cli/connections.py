"""``postflow connect sandbox`` and ``postflow connections list|set-timezone|disconnect``:
accounts posts go to, the zone each reads local times in, and letting one go.

Tokens are never printed: a connection's view holds no sealed or plain token.
"""

from __future__ import annotations

import argparse

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import (
    connect_sandbox,
    disconnect_connection,
    set_connection_timezone,
)
from postflow.usecases.oauth_connect import connect_link

#: Networks connected through their consent screen, with what one connects (offered when
#: configured).
CONSENT_NETWORKS = {"x": "an X account", "facebook": "Facebook Pages"}


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    connect = commands.add_parser("connect", help="connect a social account")
    networks = connect.add_subparsers(dest="network", required=True, metavar="NETWORK")
    sandbox = networks.add_parser(
        "sandbox", parents=[common],
        help="connect a sandbox account: the whole flow with no social network behind it")
    sandbox.add_argument("--org", required=True, help="organization id or name")
    sandbox.add_argument("--name", required=True, help="the account's display name")
    sandbox.set_defaults(handler=connect_sandbox_account)
    for network, name in CONSENT_NETWORKS.items():
        consent = networks.add_parser(
            network, parents=[common],
            help=f"print a single-use link that connects {name} (10 minutes)")
        consent.add_argument("--org", required=True, help="organization id or name")
        consent.set_defaults(handler=print_connect_link)

    group = commands.add_parser("connections",
                                help="list connected accounts, set their zone, disconnect one")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="list an organization's accounts")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.set_defaults(handler=list_connections)

    zoning = actions.add_parser(
        "set-timezone", parents=[common],
        help="set (or clear) the zone an account's local times and default queue are read in")
    zoning.add_argument("connection_id", metavar="CONNECTION_ID")
    zoning.add_argument("--org", required=True, help="organization id or name")
    zone_choice = zoning.add_mutually_exclusive_group(required=True)
    zone_choice.add_argument("--timezone", metavar="TZ",
                             help="IANA zone, e.g. Europe/Paris, instead of the organization's")
    zone_choice.add_argument("--clear", action="store_true",
                             help="use the organization's zone again")
    zoning.set_defaults(handler=set_timezone)

    disconnecting = actions.add_parser(
        "disconnect", parents=[common],
        help="stop posting to an account and forget its tokens; its posts and queue stay")
    disconnecting.add_argument("connection_id", metavar="CONNECTION_ID")
    disconnecting.add_argument("--org", required=True, help="organization id or name")
    disconnecting.set_defaults(handler=disconnect)


def connect_sandbox_account(args: argparse.Namespace, ctx: CommandContext) -> None:
    connection = ctx.run_in_org(
        args.org, lambda rt, org: connect_sandbox(rt, org.id, args.name, actor=CLI_ACTOR))
    ctx.out.result({"connection": connection_view(connection)}, [
        f"Connected sandbox account {connection.display_name!r}: {connection.id}",
        f"Next: postflow hook create --org {connection.org_id} --name ci",
    ])


def print_connect_link(args: argparse.Namespace, ctx: CommandContext) -> None:
    link = ctx.run_in_org(args.org, lambda rt, org: connect_link(rt, org.id, args.network,
                                                                 actor=CLI_ACTOR))
    ctx.out.result({"network": link.network, "url": link.url,
                    "expires_at": iso(link.expires_at)}, [
        f"Open this link in a browser to connect {CONSENT_NETWORKS[link.network]} "
        f"(it works once, until {when(link.expires_at)}):",
        link.url,
    ])


def list_connections(args: argparse.Namespace, ctx: CommandContext) -> None:
    connections = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_connections(org.id))
    lines = table(["ID", "NETWORK", "NAME", "STATUS", "TIMEZONE", "TOKEN EXPIRES",
                   "RECONNECT BY", "LAST ERROR", "CREATED"],
                  [[c.id, c.network, c.display_name, c.status.value,
                    c.timezone or "(organization's)",
                    when(c.token_expires_at) if c.token_expires_at else "-",
                    when(c.reconnect_by) if c.reconnect_by else "-",
                    (c.last_refresh_error or "-")[:60], when(c.created_at)]
                   for c in connections])
    ctx.out.result({"connections": [connection_view(c) for c in connections]},
                   lines if connections else ["No connected accounts."])


def set_timezone(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[Connection, str]:
        connection = await set_connection_timezone(
            rt, org.id, args.connection_id, None if args.clear else args.timezone,
            actor=CLI_ACTOR)
        return connection, org.timezone

    connection, org_zone = ctx.run_in_org(args.org, work)
    if connection.timezone:
        line = (f"{connection.display_name} ({connection.id}) reads local times in "
                f"{connection.timezone}.")
    else:
        line = (f"{connection.display_name} ({connection.id}) reads local times in the "
                f"organization's zone, {org_zone}.")
    ctx.out.result({"connection": connection_view(connection), "effective_timezone":
                    connection.timezone or org_zone},
                   [line, "Posts already scheduled keep their times; a queue set with its own "
                          "zone keeps it."])


def disconnect(args: argparse.Namespace, ctx: CommandContext) -> None:
    done = ctx.run_in_org(args.org, lambda rt, org: disconnect_connection(
        rt, org.id, args.connection_id, actor=CLI_ACTOR))
    connection = done.connection
    name = f"{connection.display_name} ({connection.network}, {connection.id})"
    lines = [f"{name} was already disconnected." if done.already else
             f"Disconnected {name}: PostFlow forgot its tokens and no longer posts to it."]
    if done.waiting_posts:
        lines.append(f"{done.waiting_posts} post(s) not published yet still target it; they "
                     "stay, and fail at their time unless it is reconnected first.")
    lines.append(f"Its posts and queue are kept. Reconnect: postflow connect "
                 f"{connection.network} --org {connection.org_id}")
    ctx.out.result({"connection": connection_view(connection),
                    "already_disconnected": done.already,
                    "waiting_posts": done.waiting_posts}, lines)


def connection_view(connection: Connection) -> dict[str, object]:
    return {"id": connection.id, "org_id": connection.org_id, "network": connection.network,
            "account_id": connection.account_id, "display_name": connection.display_name,
            "status": connection.status.value, "timezone": connection.timezone,
            "token_expires_at": iso(connection.token_expires_at),
            "reconnect_by": iso(connection.reconnect_by),
            "last_refresh_at": iso(connection.last_refresh_at),
            "last_refresh_error": connection.last_refresh_error,
            "last_refresh_error_at": iso(connection.last_refresh_error_at),
            "created_at": iso(connection.created_at)}
