"""``postflow apikey create|list|revoke|rotate``: bearer keys for the REST API (``/v1``).

A key is printed once, when it is created or rotated; PostFlow keeps only its hash.
"""

from __future__ import annotations

import argparse

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.api_keys import ApiKey, ApiScope, parse_scopes
from postflow.usecases.api_keys import (
    IssuedKey,
    create_api_key,
    list_api_keys,
    revoke_api_key,
    rotate_api_key,
)

SHOWN_ONCE = "Keep this key now: PostFlow shows it only once and cannot show it again."


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("apikey", help="create, list, revoke and rotate REST API keys")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = actions.add_parser("create", parents=[common],
                                help="create a key; prints it once")
    create.add_argument("--org", required=True, help="organization id or name")
    create.add_argument("--name", required=True, help="what the key is for, e.g. cms")
    create.add_argument("--scopes", required=True, metavar="S[,S...]",
                        help="comma-separated: " + ", ".join(s.value for s in ApiScope))
    create.set_defaults(handler=create_key)

    for action, helptext, handler in (
            ("revoke", "refuse the key from now on", revoke_key),
            ("rotate", "give the key a new secret (printed once); the old one stops at once",
             rotate_key)):
        command = actions.add_parser(action, parents=[common], help=helptext)
        command.add_argument("key_id", metavar="KEY_ID")
        command.add_argument("--org", required=True, help="organization id or name")
        command.set_defaults(handler=handler)

    listing = actions.add_parser("list", parents=[common], help="list keys (never the keys)")
    listing.add_argument("--org", required=True, help="organization id or name")
    listing.set_defaults(handler=list_keys)


def create_key(args: argparse.Namespace, ctx: CommandContext) -> None:
    scopes = parse_scopes(args.scopes)
    issued = ctx.run_in_org(args.org, lambda rt, org: create_api_key(
        rt, org.id, args.name, scopes, actor=CLI_ACTOR))
    _print_key(ctx, issued, f"Created API key {issued.key.name!r} ({issued.key.id}) with "
                            f"{', '.join(issued.key.scopes)}.")


def rotate_key(args: argparse.Namespace, ctx: CommandContext) -> None:
    issued = ctx.run_in_org(args.org, lambda rt, org: rotate_api_key(
        rt, org.id, args.key_id, actor=CLI_ACTOR))
    _print_key(ctx, issued, f"Rotated API key {issued.key.name!r} ({issued.key.id}); the old "
                            "key no longer works.")


def revoke_key(args: argparse.Namespace, ctx: CommandContext) -> None:
    key = ctx.run_in_org(args.org, lambda rt, org: revoke_api_key(
        rt, org.id, args.key_id, actor=CLI_ACTOR))
    ctx.out.result({"api_key": key_view(key)},
                   [f"API key {key.name!r} ({key.id}) is revoked: requests with it get 401."])


def list_keys(args: argparse.Namespace, ctx: CommandContext) -> None:
    keys = ctx.run_in_org(args.org, lambda rt, org: list_api_keys(rt, org.id))
    lines = table(["ID", "NAME", "SCOPES", "LAST USED", "REVOKED", "CREATED"],
                  [[k.id, k.name, ",".join(k.scopes), when(k.last_used_at),
                    when(k.revoked_at) if k.revoked_at else "", when(k.created_at)]
                   for k in keys])
    ctx.out.result({"api_keys": [key_view(k) for k in keys]},
                   lines if keys else ["No API keys yet."])


def _print_key(ctx: CommandContext, issued: IssuedKey, headline: str) -> None:
    ctx.out.result({"api_key": key_view(issued.key), "key": issued.token,
                    "warning": SHOWN_ONCE},
                   [headline, f"Key: {issued.token}", "", SHOWN_ONCE])


def key_view(key: ApiKey) -> dict[str, object]:
    return {"id": key.id, "org_id": key.org_id, "name": key.name,
            "scopes": [s.value for s in key.scopes], "created_by": key.created_by,
            "created_at": iso(key.created_at), "last_used_at": iso(key.last_used_at),
            "rotated_at": iso(key.rotated_at), "revoked_at": iso(key.revoked_at)}
