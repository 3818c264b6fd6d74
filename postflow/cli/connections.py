"""``postflow connect sandbox`` and ``postflow connections list``: accounts posts go to.

Tokens are never printed: a connection's view holds no sealed or plain token.
"""

from __future__ import annotations

import argparse

from postflow.cli.context import CLI_ACTOR, CommandContext, Subcommands
from postflow.cli.output import iso, table, when
from postflow.connections import Connection
from postflow.usecases.connections import connect_sandbox


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    connect = commands.add_parser("connect", help="connect a social account")
    networks = connect.add_subparsers(dest="network", required=True, metavar="NETWORK")
    sandbox = networks.add_parser(
        "sandbox", parents=[common],
        help="connect a sandbox account: the whole flow with no social network behind it")
    sandbox.add_argument("--org", required=True, help="organization id or name")
    sandbox.add_argument("--name", required=True, help="the account's display name")
    sandbox.set_defaults(handler=connect_sandbox_account)

    group = commands.add_parser("connections", help="list connected accounts")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="list an organization's accounts")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.set_defaults(handler=list_connections)


def connect_sandbox_account(args: argparse.Namespace, ctx: CommandContext) -> None:
    connection = ctx.run_in_org(
        args.org, lambda rt, org: connect_sandbox(rt, org.id, args.name, actor=CLI_ACTOR))
    ctx.out.result({"connection": connection_view(connection)}, [
        f"Connected sandbox account {connection.display_name!r}: {connection.id}",
        f"Next: postflow hook create --org {connection.org_id} --name ci",
    ])


def list_connections(args: argparse.Namespace, ctx: CommandContext) -> None:
    connections = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_connections(org.id))
    lines = table(["ID", "NETWORK", "NAME", "STATUS", "CREATED"],
                  [[c.id, c.network, c.display_name, c.status.value, when(c.created_at)]
                   for c in connections])
    ctx.out.result({"connections": [connection_view(c) for c in connections]},
                   lines if connections else ["No connected accounts."])


def connection_view(connection: Connection) -> dict[str, object]:
    return {"id": connection.id, "org_id": connection.org_id, "network": connection.network,
            "account_id": connection.account_id, "display_name": connection.display_name,
            "status": connection.status.value,
            "token_expires_at": iso(connection.token_expires_at),
            "created_at": iso(connection.created_at)}
