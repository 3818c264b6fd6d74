"""The docs name what the code has: every setting in docs/configuration.md, every CLI command in
docs/cli.md, every ``/postflow`` command in docs/slack.md and docs/discord.md, every REST API
route in docs/api.md; and every relative link in README.md and docs/ opens a file (and a heading)
that exists. A setting, command, subcommand or route added without its line in the docs fails
here."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from bot.discord.command_tree import SUBCOMMANDS, SubcommandGroup
from cli.main import build_parser
from hub.api.routes import API_ROUTES
from postflow.chatops.commands import COMMANDS
from postflow.config import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def _read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _cli_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
               ) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _cli_paths(sub, (*prefix, name))


def test_every_setting_has_one_row_in_configuration_md() -> None:
    rows = [line for line in _read("configuration.md").splitlines() if line.startswith("| `")]
    named = [env for row in rows for env in re.findall(r"POSTFLOW_[A-Z0-9_]+",
                                                         row.split("|")[1])]
    expected = sorted(f"POSTFLOW_{name.upper()}" for name in Settings.model_fields)
    assert sorted(env for env in named if env in expected) == expected


def test_configuration_md_names_no_setting_that_does_not_exist() -> None:
    known = {f"POSTFLOW_{name.upper()}" for name in Settings.model_fields}
    # The old name Settings still reads through a validation alias.
    known.add("POSTFLOW_MEDIA_ALLOW_PRIVATE_HOSTS")
    assert set(re.findall(r"POSTFLOW_[A-Z0-9_]+", _read("configuration.md"))) <= known


def test_every_cli_command_is_in_cli_md() -> None:
    text = _read("cli.md")
    missing = []
    for path in _cli_paths(build_parser()):
        *group, last = path
        # `postflow webhook disable|enable|remove` names three commands at once.
        pattern = r"postflow " + "".join(f"{re.escape(w)} " for w in group) + \
            rf"(?:[\w-]+\|)*{re.escape(last)}\b"
        if not re.search(pattern, text):
            missing.append(" ".join(path))
    assert missing == []


def test_every_chat_command_is_in_slack_md() -> None:
    text = _read("slack.md")
    assert [name for name in COMMANDS if f"`/postflow {name}" not in text] == []


def _discord_table_names(text: str) -> set[str]:
    """The subcommands the first cells of discord.md's tables name: `settings show`, and
    `settings review-channel` / `notify-channel` for two of one group."""
    names = set()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        group = ""
        for piece in line.split("|")[1].split(" / "):
            words = piece.strip().strip("`").split()
            if len(words) == 1 and group:
                words = [group, *words]
            group = words[0] if len(words) == 2 else ""
            names.add(" ".join(words))
    return names


def test_every_discord_subcommand_is_in_discord_md_table() -> None:
    assert {entry.name for entry in SUBCOMMANDS} == set(COMMANDS)
    names = []
    for entry in SUBCOMMANDS:
        if isinstance(entry, SubcommandGroup):
            names += [f"{entry.name} {sub.name}" for sub in entry.subcommands]
        else:
            names.append(entry.name)
    documented = _discord_table_names(_read("discord.md"))
    assert [name for name in names if name not in documented] == []


def test_every_api_route_is_in_api_md() -> None:
    text = _read("api.md")
    assert [f"{r.method} {r.path}" for r in API_ROUTES
            if f"{r.method} {r.path}" not in text] == []


def _anchors(path: Path) -> set[str]:
    """GitHub's ids for the headings of a Markdown file (code blocks left out)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            for title in re.findall(r"^#+ (.*)$", text, re.M)}


def test_every_relative_link_in_the_docs_opens() -> None:
    broken = []
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            missing_heading = (anchor != "" and target.suffix == ".md" and target.exists()
                               and anchor not in _anchors(target))
            if not target.exists() or missing_heading:
                broken.append(f"{page.name}: {link}")
    assert broken == []
