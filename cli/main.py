"""``postflow``: builds the parser from the command groups and maps errors to exit codes.

Exit codes: 0 done, 1 unexpected failure, 2 a request that cannot succeed as given (usage
errors, bad input, not found, conflict, plan limit, bad configuration), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from cli import (
    admin,
    api_keys,
    audit,
    billing,
    connections,
    discord,
    emails,
    hooks,
    keys,
    members,
    notices,
    orgs,
    posts,
    queues,
    recurring,
    serve,
    validate,
    webhooks,
)
from cli.context import CommandContext, load_settings
from cli.log_config import configure_logging
from cli.output import Output
from postflow import __version__
from postflow.config import Settings
from postflow.errors import PostFlowError

COMMAND_GROUPS = (serve, orgs, members, emails, connections, hooks, posts, queues, recurring,
                  keys, validate, discord, billing, webhooks, notices, admin, audit, api_keys)


def build_parser() -> argparse.ArgumentParser:
    # SUPPRESS lets --json go before or after the command without one erasing the other.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print one machine-readable JSON document")
    parser = argparse.ArgumentParser(
        prog="postflow", parents=[common],
        description="Schedule social posts from Slack, Discord or webhooks; self-hosted.")
    parser.add_argument("--version", action="version", version=f"postflow {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return exit_.code if isinstance(exit_.code, int) else 2
    out = Output(as_json=getattr(args, "json", False))
    settings: Settings | None = None
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        args.handler(args, CommandContext(settings=settings, out=out))
    except PostFlowError as err:
        out.error(err.code, err.message, err.details)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        if settings is not None and settings.log_level.strip().upper() == "DEBUG":
            traceback.print_exc()
        out.error("unexpected", _unexpected_message(err))
        return 1
    return 0


def _unexpected_message(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    what = f"{type(err).__name__}: {lines[0][:200]}" if lines else type(err).__name__
    return f"unexpected failure ({what}). Set POSTFLOW_LOG_LEVEL=DEBUG to see the traceback."


if __name__ == "__main__":
    sys.exit(main())
