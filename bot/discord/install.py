"""PostFlow in a Discord server: the install URL, a server joined or left, and who a person is
at their first interaction.

- The install URL asks for the ``bot`` and ``applications.commands`` scopes and exactly the
  permissions in :data:`PERMISSIONS` (never Administrator); docs/discord.md says why each.
- A server the bot joins that PostFlow has no installation of becomes a new organization
  named after it, its owner the Owner (or keeps the organization it is linked to, say by
  ``/postflow link`` over the HTTP endpoint); it is recorded as a chat installation. The bot's
  token is the process's own (one bot for every server), so none is stored with it.
- A server that removes the bot (GUILD_DELETE without ``unavailable``) marks the installation
  removed and tells the organization elsewhere (:class:`~postflow.notices.events.ChatAppRemoved`
  through the notice router).
- A person of a linked server who is not a member yet joins at their first interaction: as
  Admin with Discord's Manage Server permission (read from the interaction, so it works over
  the HTTP endpoint too), as Member otherwise. Roles change with ``/postflow role`` from then
  on; the role is read from the store at every interaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlencode

from postflow.chat_actors import chat_actor
from postflow.chat_installations import ChatInstallation
from postflow.chatops.callers import Caller
from postflow.chatops.install import WorkspaceOwner, link_or_create, remove_installation
from postflow.errors import BadInput, Conflict, PostFlowError
from postflow.ids import new_id
from postflow.notices.events import ChatAppRemoved
from postflow.organizations import ChatIdentity, Member, Role
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.organizations import add_member

log = logging.getLogger(__name__)

PLATFORM = "discord"
AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")
#: Discord's Manage Server (MANAGE_GUILD) permission bit.
MANAGE_GUILD = 1 << 5
#: Discord's Administrator bit: never asked for.
ADMINISTRATOR = 1 << 3

#: The permissions the bot asks for, bit -> why (docs/discord.md repeats these).
PERMISSIONS: dict[int, tuple[str, str]] = {
    1 << 10: ("View Channels", "see the review and notification channels it posts in"),
    1 << 11: ("Send Messages", "post review cards and notices in those channels"),
    1 << 14: ("Embed Links", "show a card as an embed (its text, fields and footer)"),
    1 << 16: ("Read Message History", "start a thread from a card it posted earlier and "
              "find that card again to update it"),
    1 << 35: ("Create Public Threads", "open a thread under each review card for edits and "
              "notices about that post"),
    1 << 38: ("Send Messages in Threads", "post the notices (published, failed, late) in "
              "the post's thread"),
}


def permissions_integer() -> int:
    total = 0
    for bit in PERMISSIONS:
        total |= bit
    return total


def install_url(application_id: str | None) -> str:
    """The URL a server's owner or admin opens to add the bot (and its commands)."""
    if not application_id or not (application_id.isascii() and application_id.isdigit()):
        raise BadInput("The install URL needs POSTFLOW_DISCORD_APPLICATION_ID, the "
                       "application's id (a number, on the Developer Portal's General "
                       "Information page).", details={"setting": "POSTFLOW_DISCORD_APPLICATION_ID"})
    query = urlencode({"client_id": application_id, "scope": " ".join(SCOPES),
                       "permissions": str(permissions_integer())})
    return f"{AUTHORIZE_URL}?{query}"


def require_guild_id(guild_id: str | None) -> str | None:
    """A server id as given on the command line: digits only (a Discord snowflake)."""
    if guild_id is not None and not (guild_id.isascii() and guild_id.isdigit()
                                     and 0 < len(guild_id) <= 20):
        raise BadInput("A server id is a number (Developer Mode: right-click the server, "
                       "Copy Server ID).", details={"guild": guild_id[:40]})
    return guild_id


@dataclass(frozen=True)
class Server:
    """A Discord server as the gateway describes it (GUILD_CREATE)."""

    id: str
    name: str
    owner_id: str


@dataclass(frozen=True)
class Joined:
    installation: ChatInstallation
    #: True when the server had no installation (or a removed one) before.
    new: bool


async def server_joined(rt: Runtime, server: Server, *, app_id: str = "",
                        bot_user_id: str = "") -> Joined:
    """Record the bot in ``server``: an installation (and an organization) the first time,
    the same one again after that; a removed one is restored."""
    if not (server.id.isascii() and server.id.isdigit()) or not server.owner_id.isdigit():
        raise BadInput("A Discord server needs a numeric id and owner.",
                       details={"guild_id": server.id[:40]})
    existing = await rt.store.find_chat_installation(PLATFORM, server.id)
    if existing is not None and existing.removed_at is None:
        return Joined(existing, new=False)
    owner = ChatIdentity(platform=PLATFORM, workspace_id=server.id, user_id=server.owner_id)
    actor = chat_actor(owner)
    linked = await link_or_create(rt, PLATFORM, server.id, server.name,
                                  WorkspaceOwner(owner), actor=actor)
    now = rt.clock.now()
    installation = ChatInstallation(
        id=existing.id if existing else new_id("inst"), platform=PLATFORM,
        workspace_id=server.id, workspace_name=server.name, org_id=linked.org.id,
        app_id=app_id, bot_user_id=bot_user_id, bot_scopes=list(SCOPES), sealed_bot_token="",
        installer_user_id=server.owner_id,
        installed_at=existing.installed_at if existing else now, updated_at=now)
    await rt.store.save_chat_installation(installation)
    await record(rt, linked.org.id, actor, "chat.installed", server.id, platform=PLATFORM,
                 reinstall=existing is not None, created_org=linked.created)
    log.info("Discord server %s joined (organization %s%s)", server.id, linked.org.id,
             ", new" if linked.created else "")
    return Joined(installation, new=True)


async def server_removed(rt: Runtime, guild_id: str) -> ChatInstallation | None:
    """The bot was removed from the server: mark its installation removed and tell the
    organization elsewhere. None when PostFlow had no installation there."""
    removed = await remove_installation(rt, PLATFORM, guild_id, why="guild_delete")
    if removed is None:
        return None
    owner = (f"{PLATFORM}:{guild_id}:{removed.installer_user_id}"
             if removed.installer_user_id else "")
    await rt.notices.notify(ChatAppRemoved(
        organization_id=removed.org_id, platform=PLATFORM, workspace_id=guild_id,
        workspace_name=removed.workspace_name, owner_actor=owner))
    return removed


async def removal_message(rt: Runtime, removed: ChatInstallation) -> str:
    """What the Owner who installed the bot is told in direct messages after a removal."""
    org = await rt.store.get_organization(removed.org_id)
    name = removed.workspace_name or removed.workspace_id
    return (f"PostFlow was removed from the Discord server {name}. The organization "
            f"{org.name} keeps its posts, accounts and members; add the bot to the server "
            "again (`postflow discord install-url`) to use it there.")


async def admit_member(rt: Runtime, caller: Caller, permissions: int) -> Member | None:
    """Make a person of a linked server a member at their first interaction: Admin with
    Manage Server, Member otherwise. None when the server is not linked or they already are
    a member (their role is left as it is), or when the organization cannot take them (the
    refusal then comes from the command, which finds no membership)."""
    who = caller.identity
    if who.platform != PLATFORM or not who.workspace_id:
        return None
    workspace = await rt.store.find_workspace(PLATFORM, who.workspace_id)
    if workspace is None:
        return None
    if await rt.store.find_member(workspace.org_id, PLATFORM, who.workspace_id,
                                  who.user_id) is not None:
        return None
    role = Role.ADMIN if permissions & MANAGE_GUILD else Role.MEMBER
    try:
        return await add_member(rt, workspace.org_id, who, role, actor=caller.actor,
                                display_name=caller.display_name)
    except Conflict:  # a concurrent interaction of theirs added them first
        return None
    except PostFlowError as err:
        log.info("Discord member %s not admitted to organization %s: %s", caller.actor,
                 workspace.org_id, err.code)
        return None
