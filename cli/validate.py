"""``postflow validate``: check a text (and media) against a network's rules, offline.

The length is the network's own count (X's weighted count: links 23, emoji and CJK 2). Every
built-in network validates without its app configured (counting needs no credentials), and a
text over the network's hard cap is reported as such without being counted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.context import CommandContext, Subcommands
from composition.runtime import validation_registry
from postflow.providers import PublishContent, ValidationReport
from postflow.runtime import Runtime
from postflow.text_caps import validate_within_cap


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    validate = commands.add_parser(
        "validate", parents=[common],
        help="check a post's text and media against a network's rules without posting")
    validate.add_argument("--network", required=True, help="network name, e.g. x or sandbox")
    validate.add_argument("--text", required=True, help="the post's text")
    validate.add_argument("--media", action="append", default=[], metavar="FILE",
                          help="a media file or URL to attach; repeat for several")
    validate.set_defaults(handler=validate_text)


def validate_text(args: argparse.Namespace, ctx: CommandContext) -> None:
    content = PublishContent(text=args.text, media_urls=tuple(_media_ref(m) for m in args.media))

    async def work(rt: Runtime) -> ValidationReport:
        return validate_within_cap(validation_registry(rt).get(args.network.lower()), content)

    report = ctx.run(work)
    problems = [{"code": p.code, "message": p.message} for p in report.problems]
    verdict = "fits" if report.valid else "does not fit"
    ctx.out.result({"network": report.network, "length": report.length, "limit": report.limit,
                    "valid": report.valid, "problems": problems},
                   [f"{report.network}: {report.length}/{report.limit}, {verdict}.",
                    *(f"- {p.message}" for p in report.problems)])


def _media_ref(value: str) -> str:
    """A URL as given; a local file as a file: URL (networks that take only http(s) say so)."""
    if value.startswith(("http://", "https://")):
        return value
    return Path(value).resolve().as_uri()
