"""``postflow connect NETWORK`` and ``postflow connections list|set-timezone|disconnect``:
accounts posts go to, the zone each reads local times in, and letting one go.

Tokens are never printed: a connection's view holds no sealed or plain token.
"""

from __future__ import annotations

import argparse

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.connections import Connection
from postflow.errors import BadInput
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import (
    SANDBOX,
    connect_sandbox,
    disconnect_connection,
    set_connection_timezone,
)
from postflow.usecases.oauth_connect import ConnectLink, connect_link


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    # The networks come from the runtime's registry (plugins included), so NETWORK is checked
    # when the command runs, not by the parser.
    connect = commands.add_parser(
        "connect", parents=[common], help="connect a social account",
        description="Connect an account of NETWORK: `sandbox` (with --name) connects a test "
                    "account that publishes nowhere; any other network set up here prints a "
                    "single-use link to its consent screen (10 minutes). An unknown network is "
                    "refused with the list of those offered.")
    connect.add_argument("network", metavar="NETWORK",
                         help="sandbox, or a network that connects through its consent screen")
    connect.add_argument("--org", required=True, help="organization id or name")
    connect.add_argument("--name", help="the sandbox account's display name")
    connect.set_defaults(handler=connect_account)

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


def connect_account(args: argparse.Namespace, ctx: CommandContext) -> None:
    network = args.network.lower()
    if network == SANDBOX:
        if not args.name:
            raise BadInput("A sandbox account needs a name: postflow connect sandbox --org ORG "
                           "--name NAME.", details={"network": network})
        connect_sandbox_account(args, ctx)
    elif args.name is not None:
        raise BadInput(f"--name is for sandbox accounts; a {network} account is named by "
                       f"{network} itself.", details={"network": network})
    else:
        print_connect_link(network, args, ctx)


def connect_sandbox_account(args: argparse.Namespace, ctx: CommandContext) -> None:
    connection = ctx.run_in_org(
        args.org, lambda rt, org: connect_sandbox(rt, org.id, args.name, actor=CLI_ACTOR))
    ctx.out.result({"connection": connection_view(connection)}, [
        f"Connected sandbox account {connection.display_name!r}: {connection.id}",
        f"Next: postflow hook create --org {connection.org_id} --name ci",
    ])


def print_connect_link(network: str, args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[ConnectLink, str]:
        link = await connect_link(rt, org.id, network, actor=CLI_ACTOR)
        return link, rt.providers.account_noun(network)

    link, account_noun = ctx.run_in_org(args.org, work)
    ctx.out.result({"network": link.network, "url": link.url,
                    "expires_at": iso(link.expires_at)}, [
        f"Open this link in a browser to connect {account_noun} "
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
