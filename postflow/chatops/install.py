"""Linking a chat workspace to an organization: by installing the app (OAuth) or, with one
workspace configured by token, on the first command of a workspace admin."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.chat_actors import chat_actor
from postflow.chat_installations import ChatInstallation
from postflow.errors import BadInput, Conflict
from postflow.ids import new_id
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.audit_log import record
from postflow.usecases.organizations import add_member, create_organization, link_workspace


@dataclass(frozen=True)
class WorkspaceOwner:
    """The person linking a workspace: they become the new organization's Owner."""

    identity: ChatIdentity
    display_name: str = ""
    #: Their IANA zone as the platform knows it; the new organization's zone when valid.
    timezone: str = ""


@dataclass(frozen=True)
class AppInstall:
    """What an OAuth install gave us (the bot token in plain text: sealed before storing)."""

    platform: str
    workspace_id: str
    workspace_name: str
    bot_token: str = field(repr=False)
    installer: WorkspaceOwner
    enterprise_id: str = ""
    app_id: str = ""
    bot_user_id: str = ""
    bot_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkedWorkspace:
    org: Organization
    #: True when linking created the organization (and made the installer its Owner).
    created: bool


async def link_or_create(rt: Runtime, platform: str, workspace_id: str, workspace_name: str,
                         owner: WorkspaceOwner, *, actor: str) -> LinkedWorkspace:
    """The organization the workspace is linked to, or a new one with ``owner`` as Owner.

    A workspace already linked keeps its organization and its members' roles: installing again
    (say, to grant a new scope) makes nobody an Owner, unless the organization has none.
    """
    workspace = await rt.store.find_workspace(platform, workspace_id)
    if workspace is not None:
        org = await rt.store.get_organization(workspace.org_id)
        await _owner_if_none(rt, org, owner, actor=actor)
        return LinkedWorkspace(org=org, created=False)
    org = await _new_organization(rt, workspace_name or workspace_id, workspace_id, owner,
                                  actor=actor)
    try:
        await link_workspace(rt, org.id, platform, workspace_id, actor=actor,
                             name=workspace_name)
    except Conflict:  # a racing install linked it first: join theirs
        workspace = await rt.store.find_workspace(platform, workspace_id)
        if workspace is None:
            raise
        return LinkedWorkspace(org=await rt.store.get_organization(workspace.org_id),
                               created=False)
    return LinkedWorkspace(org=org, created=True)


async def install_app(rt: Runtime, install: AppInstall) -> LinkedWorkspace:
    """Store an app installation (token sealed) and link its workspace to an organization."""
    if not install.bot_token:
        raise BadInput("The installation carried no bot token.")
    actor = chat_actor(install.installer.identity)
    linked = await link_or_create(rt, install.platform, install.workspace_id,
                                  install.workspace_name, install.installer, actor=actor)
    existing = await rt.store.find_chat_installation(install.platform, install.workspace_id)
    now = rt.clock.now()
    await rt.store.save_chat_installation(ChatInstallation(
        id=existing.id if existing else new_id("inst"), platform=install.platform,
        workspace_id=install.workspace_id, enterprise_id=install.enterprise_id,
        workspace_name=install.workspace_name, org_id=linked.org.id, app_id=install.app_id,
        bot_user_id=install.bot_user_id, bot_scopes=list(install.bot_scopes),
        sealed_bot_token=rt.vault.seal(install.bot_token),
        installer_user_id=install.installer.identity.user_id,
        installed_at=existing.installed_at if existing else now, updated_at=now))
    await record(rt, linked.org.id, actor, "chat.installed", install.workspace_id,
                 platform=install.platform, reinstall=existing is not None)
    return linked


async def _new_organization(rt: Runtime, name: str, workspace_id: str, owner: WorkspaceOwner,
                            *, actor: str) -> Organization:
    timezone = owner.timezone if _is_zone(owner.timezone) else "UTC"
    for candidate in (name, f"{name} ({workspace_id})"):
        if await rt.store.find_organization_by_name(candidate) is None:
            break
    else:
        candidate = f"{name} ({new_id('ws')})"
    org = await create_organization(rt, candidate[:120], actor=actor, timezone=timezone)
    await add_member(rt, org.id, owner.identity, Role.OWNER, actor=actor,
                     display_name=owner.display_name)
    return org


async def _owner_if_none(rt: Runtime, org: Organization, owner: WorkspaceOwner, *,
                         actor: str) -> None:
    members = await rt.store.list_members(org.id)
    if any(m.role is Role.OWNER for m in members):
        return
    who = owner.identity
    current = next((m for m in members if who in m.identities), None)
    if current is None:
        await add_member(rt, org.id, who, Role.OWNER, actor=actor,
                         display_name=owner.display_name)
    else:
        await rt.store.update_member(current.model_copy(update={"role": Role.OWNER}))


def _is_zone(name: str) -> bool:
    if not name:
        return False
    try:
        require_timezone(name)
    except BadInput:
        return False
    return True


async def remove_installation(rt: Runtime, platform: str, workspace_id: str, *,
                              why: str) -> ChatInstallation | None:
    """The workspace uninstalled the app or revoked its bot token (``why``): erase the token and
    mark the installation removed, audited; installing again restores it. None when PostFlow
    has no installation there (or it was already removed)."""
    existing = await rt.store.find_chat_installation(platform, workspace_id)
    if existing is None or existing.removed_at is not None:
        return None
    now = rt.clock.now()
    removed = existing.model_copy(update={"sealed_bot_token": "", "removed_at": now,
                                          "updated_at": now})
    await rt.store.save_chat_installation(removed)
    await record(rt, existing.org_id, f"{platform}:{workspace_id}", "chat.uninstalled",
                 workspace_id, platform=platform, why=why)
    return removed
