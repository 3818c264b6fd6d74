"""``postflow keys reseal``: move every sealed secret to the newest secret key."""

from __future__ import annotations

import argparse

from cli.context import CommandContext, Subcommands
from postflow.usecases.secret_keys import reseal_all


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("keys", help="manage the keys secrets are sealed with")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    reseal = actions.add_parser(
        "reseal", parents=[common],
        help="re-encrypt every sealed secret (account tokens, hook and webhook endpoint "
             "secrets, chat app bot tokens) under POSTFLOW_SECRET_KEY")
    reseal.set_defaults(handler=reseal_secrets)


def reseal_secrets(args: argparse.Namespace, ctx: CommandContext) -> None:
    count = ctx.run(reseal_all)
    ctx.out.result({"resealed": count}, [
        f"Resealed {count} secret{'s' if count != 1 else ''} under the newest secret key.",
        "Once every process runs with it, the old key can leave POSTFLOW_PREVIOUS_SECRET_KEYS.",
    ])
