"""``postflow discord``: the gateway bot; ``discord sync-commands``: register ``/postflow``
with Discord now (HTTP-endpoint-only deployments too); ``discord install-url``: the URL that
adds the bot to a server."""

from __future__ import annotations

import argparse

from bot.discord.install import PERMISSIONS, install_url, permissions_integer, require_guild_id
from cli.context import CommandContext, Subcommands
from cli.serve import _serve_until_signalled
from composition.discord_gateway import run_discord
from postflow.runtime import Runtime


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser(
        "discord", parents=[common],
        help="run the Discord gateway bot (needs POSTFLOW_DISCORD_BOT_TOKEN), or: "
             "sync-commands, install-url")
    group.add_argument("--guild", metavar="ID",
                       help="register the commands in this server only (development)")
    group.set_defaults(handler=run_bot)
    actions = group.add_subparsers(dest="action", metavar="ACTION")
    sync = actions.add_parser(
        "sync-commands", parents=[common],
        help="register /postflow with Discord if its definition changed (--force: anyway)")
    sync.add_argument("--guild", metavar="ID", help="in this server only (development)")
    sync.add_argument("--force", action="store_true",
                      help="send the commands even when Discord should have them already")
    sync.set_defaults(handler=sync_now)
    actions.add_parser(
        "install-url", parents=[common],
        help="print the URL that adds the bot to a server, with the permissions it needs",
    ).set_defaults(handler=print_install_url)


def run_bot(args: argparse.Namespace, ctx: CommandContext) -> None:
    guild = require_guild_id(args.guild)
    _serve_until_signalled(lambda stop: run_discord(ctx.settings, stop, guild_id=guild))


def sync_now(args: argparse.Namespace, ctx: CommandContext) -> None:
    # discord.py loads only for the commands that use it: not at every ``postflow`` start.
    from bot.discord.command_sync import DiscordApp, sync_commands

    guild = require_guild_id(args.guild)

    async def sync(rt: Runtime) -> tuple[str, bool, int]:
        result = await sync_commands(rt, DiscordApp.from_settings(rt), guild, force=args.force)
        return result.scope, result.sent, result.commands

    scope, sent, commands = ctx.run(sync)
    where = "globally" if guild is None else f"in server {guild}"
    line = (f"Registered /postflow with Discord {where}." if sent else
            f"Discord already has this /postflow {where}: nothing sent (--force sends it).")
    ctx.out.result({"scope": scope, "sent": sent, "commands": commands}, [line])


def print_install_url(args: argparse.Namespace, ctx: CommandContext) -> None:
    url = install_url(ctx.settings.discord_application_id)
    names = [name for name, _why in PERMISSIONS.values()]
    ctx.out.result({"url": url, "permissions": permissions_integer(),
                    "permission_names": names},
                   [url, "", "Permissions asked for: " + ", ".join(names) + "."])
