"""The one definition of Discord's ``/postflow`` command, and the two things built from it: the
application-command JSON Discord registers (:func:`command_payload`) and discord.py's
``app_commands`` group for a ``CommandTree`` (:func:`build_command_tree`).

Each subcommand is a word of the chat-neutral command set (:mod:`postflow.chatops.commands`);
its options are typed the Discord way (a person is a user option, a channel a channel option,
an account, a time zone or a post a string with autocomplete, named ``account``, ``timezone``
or ``post``). :func:`bot.discord.interactions.read_interaction` reads a subcommand group's and
a subcommand's name, then their options' values in order, as the command's words: every
subcommand here takes its required options first and at most one option whose place among
the words matters after them (``list``'s two optional words are read in any order).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

import discord
from discord import app_commands

log = logging.getLogger(__name__)

COMMAND = "postflow"
DESCRIPTION = "Compose, review and schedule social posts with PostFlow."
#: Discord's command contexts and install types: in servers only, installed to a server.
GUILD_CONTEXT, GUILD_INSTALL = 0, 0
#: Discord's channel types a channel option takes: text and announcement channels.
TEXT_CHANNELS = (0, 5)


class OptionKind(IntEnum):
    """Discord's application-command option types used here."""

    SUB_COMMAND = 1
    SUB_COMMAND_GROUP = 2
    STRING = 3
    INTEGER = 4
    USER = 6
    CHANNEL = 7
    ATTACHMENT = 11


@dataclass(frozen=True)
class Option:
    name: str
    kind: OptionKind
    description: str
    required: bool = False
    #: Discord asks PostFlow for choices as the person types (``account``, ``timezone``...).
    autocomplete: bool = False
    #: A closed set of values, shown as a pick list.
    choices: tuple[str, ...] = ()
    min_value: int | None = None


@dataclass(frozen=True)
class Subcommand:
    name: str
    description: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class SubcommandGroup:
    name: str
    description: str
    subcommands: tuple[Subcommand, ...]


def _account(description: str = "The account (name or id)") -> Option:
    return Option("account", OptionKind.STRING, description, required=True, autocomplete=True)


def _channel(description: str) -> Option:
    return Option("channel", OptionKind.CHANNEL, description, required=True)


#: Every word ``/postflow`` takes, in the order Discord lists them.
SUBCOMMANDS: tuple[Subcommand | SubcommandGroup, ...] = (
    Subcommand("help", "What you can do here, and your role."),
    Subcommand("new", "Compose a post.", (
        Option("media", OptionKind.ATTACHMENT, "An image or video to post with it"),)),
    Subcommand("list", "Posts on their way, drafts, in review or failed.", (
        Option("which", OptionKind.STRING, "Which posts (upcoming by default)",
               choices=("upcoming", "drafts", "review", "failed")),
        Option("page", OptionKind.INTEGER, "The page (five posts a page)", min_value=1))),
    Subcommand("inbox", "Your latest notices, unread first; read: mark them all read.", (
        Option("action", OptionKind.STRING, "read: mark all your notices read",
               choices=("read",)),)),
    Subcommand("queue", "An account's queue slots and queued posts; Admins change the slots.", (
        _account(),
        Option("change", OptionKind.STRING,
               "set mon,wed,fri 09:00 13:00 (new slots) or clear (back to the defaults)"))),
    Subcommand("accounts", "The connected social accounts and whether they work."),
    Subcommand("connect", "Connect a social account.", (
        Option("network", OptionKind.STRING, "The network, e.g. x, linkedin, sandbox",
               required=True),
        Option("name", OptionKind.STRING, "A name for the account in PostFlow"))),
    Subcommand("disconnect", "Stop posting to an account and forget its access.", (
        _account(),)),
    SubcommandGroup("settings", "The organization's settings.", (
        Subcommand("show", "Show the organization's settings."),
        Subcommand("timezone", "Change the organization's time zone.", (
            Option("timezone", OptionKind.STRING, "An IANA time zone, e.g. Europe/Paris",
                   required=True, autocomplete=True),)),
        Subcommand("review-channel", "Where review cards go.", (
            _channel("The review channel"),)),
        Subcommand("notify-channel", "Where notices go.", (
            _channel("The notification channel"),)),
        Subcommand("support", "Let PostFlow's operators see the organization (Owner).", (
            Option("switch", OptionKind.STRING, "on or off", required=True,
                   choices=("on", "off")),)),
        Subcommand("approval", "Show or change the approval policy.", (
            Option("change", OptionKind.STRING,
                   "e.g. quorum 2, role admin, deadline 48; add: for <account>"),)),
    )),
    Subcommand("role", "Give someone a role (adds them when they are not a member yet).", (
        Option("person", OptionKind.USER, "Who", required=True),
        Option("role", OptionKind.STRING, "Their role", required=True,
               choices=("viewer", "member", "admin", "owner")))),
    Subcommand("invite", "Invite someone by email (Admin); list or revoke invitations.", (
        Option("what", OptionKind.STRING,
               "An email address to invite, or list, or revoke", required=True),
        Option("role_or_id", OptionKind.STRING,
               "The role for an address (member by default), or the invitation id to revoke"),
    )),
    Subcommand("join", "Accept an invitation with the code from its page.", (
        Option("code", OptionKind.STRING, "The code the invitation's page gave",
               required=True),)),
    SubcommandGroup("apikey", "Keys for the REST API (Admins).", (
        Subcommand("create", "Create a key; it is shown once, to you only.", (
            Option("name", OptionKind.STRING, "What the key is for, e.g. cms", required=True),
            Option("scopes", OptionKind.STRING,
                   "Comma-separated, e.g. posts:read,posts:write", required=True))),
        Subcommand("list", "The keys: names, scopes and last use (never the keys)."),
        Subcommand("revoke", "Refuse a key from now on.", (
            Option("key", OptionKind.STRING, "The key's id (key_...)", required=True),)),
    )),
    Subcommand("billing", "A link to the billing page (Owner)."),
    Subcommand("link", "Link another Slack workspace or Discord server to the organization.", (
        Option("code", OptionKind.STRING, "A code from /postflow link on the other one"),)),
    Subcommand("audit", "The organization's audit log, newest first (Admins and Owners).", (
        Option("page", OptionKind.INTEGER, "The page (ten events a page)", min_value=1),)),
    Subcommand("email", "Your email address and what PostFlow mails you.", (
        Option("change", OptionKind.STRING,
               "set ADDRESS, or prefs failures off digest weekly timezone ZONE; empty: show"),)),
)

# -- the JSON Discord registers --------------------------------------------------------------

def command_payload() -> list[dict[str, Any]]:
    """The application commands, as ``PUT /applications/{id}/commands`` takes them."""
    return [{"name": COMMAND, "description": DESCRIPTION, "type": 1,
             "options": [_entry_json(entry) for entry in SUBCOMMANDS],
             "nsfw": False, "dm_permission": False, "default_member_permissions": None,
             "contexts": [GUILD_CONTEXT], "integration_types": [GUILD_INSTALL]}]


def _entry_json(entry: Subcommand | SubcommandGroup) -> dict[str, Any]:
    if isinstance(entry, SubcommandGroup):
        return {"name": entry.name, "description": entry.description,
                "type": OptionKind.SUB_COMMAND_GROUP.value,
                "options": [_entry_json(sub) for sub in entry.subcommands]}
    return {"name": entry.name, "description": entry.description,
            "type": OptionKind.SUB_COMMAND.value,
            "options": [_option_json(option) for option in entry.options]}


def _option_json(option: Option) -> dict[str, Any]:
    data: dict[str, Any] = {"type": option.kind.value, "name": option.name,
                            "description": option.description, "required": option.required}
    if option.choices:
        data["choices"] = [{"name": c, "value": c} for c in option.choices]
    if option.kind is OptionKind.CHANNEL:
        data["channel_types"] = list(TEXT_CHANNELS)
    if option.autocomplete:
        data["autocomplete"] = True
    if option.min_value is not None:
        data["min_value"] = option.min_value
    return data


# -- discord.py's CommandTree ------------------------------------------------------------------

Callback = Callable[..., Coroutine[Any, Any, None]]


def build_command_tree(client: discord.Client) -> app_commands.CommandTree[discord.Client]:
    """A ``CommandTree`` holding the ``/postflow`` group built from :data:`SUBCOMMANDS`.

    The gateway bot hands every interaction to the shared handler before discord.py parses it
    (:mod:`bot.discord.gateway`), so these callbacks are never what answers; the tree is
    discord.py's view of the same definition (its payload equals :func:`command_payload`).
    """
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    tree.add_command(postflow_group())
    return tree


def postflow_group() -> app_commands.Group:
    root = app_commands.Group(
        name=COMMAND, description=DESCRIPTION, guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        allowed_installs=app_commands.AppInstallationType(guild=True))
    for entry in SUBCOMMANDS:
        if isinstance(entry, SubcommandGroup):
            group = app_commands.Group(name=entry.name, description=entry.description,
                                       parent=root)
            for sub in entry.subcommands:
                group.add_command(_command(sub, group))
        else:
            root.add_command(_command(entry, root))
    return root


def _command(sub: Subcommand, parent: app_commands.Group) -> app_commands.Command[Any, ..., None]:
    callback = _callback(sub)
    described = app_commands.describe(**{o.name: o.description for o in sub.options})
    callback = described(callback)
    completed = {o.name: _no_choices for o in sub.options if o.autocomplete}
    if completed:
        callback = app_commands.autocomplete(**completed)(callback)
    return app_commands.Command(name=sub.name, description=sub.description, callback=callback,
                                parent=parent)


def _callback(sub: Subcommand) -> Callback:
    """A coroutine whose signature carries the subcommand's typed options (discord.py reads
    the options from it)."""

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        log.warning("discord.py dispatched /postflow %s itself; the gateway should have "
                    "handed it to PostFlow's handler", sub.name)

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter("interaction", positional, annotation=discord.Interaction)]
    parameters += [inspect.Parameter(o.name, positional, annotation=_annotation(o),
                                     default=inspect.Parameter.empty if o.required else None)
                   for o in sub.options]
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = "postflow_" + sub.name.replace("-", "_")
    return callback


def _annotation(option: Option) -> Any:
    if option.choices:
        return Literal[option.choices]
    if option.kind is OptionKind.INTEGER and option.min_value is not None:
        return app_commands.Range[int, option.min_value, None]
    return {OptionKind.STRING: str, OptionKind.INTEGER: int, OptionKind.USER: discord.User,
            OptionKind.CHANNEL: discord.TextChannel,
            OptionKind.ATTACHMENT: discord.Attachment}[option.kind]


async def _no_choices(interaction: discord.Interaction,
                      current: str) -> list[app_commands.Choice[str]]:
    """Marks an option as autocompleted for discord.py; the choices come from the shared
    handler, which answers every autocomplete interaction (:mod:`bot.discord.gateway`)."""
    return []
