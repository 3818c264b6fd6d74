"""``/postflow settings``: the organization's time zone and its review and notification
channels."""

from __future__ import annotations

from postflow.chatops.callers import Membership
from postflow.chatops.formatting import channel_mention, parse_channel
from postflow.chatops.permissions import Permission, refuse, require
from postflow.chatops.replies import Item, Reply
from postflow.chatops.review_settings import approval_settings
from postflow.errors import BadInput
from postflow.organizations import ChatChannel, Organization, Role
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.admin_support import set_support_access
from postflow.usecases.audit_log import record

#: setting word -> Organization field.
CHANNEL_SETTINGS = {"review-channel": "review_channel",
                    "notify-channel": "notification_channel"}
USAGE = ("Change one with `/postflow settings timezone Europe/Paris`, "
         "`/postflow settings review-channel #social` (or `here`, or `none`) or "
         "`/postflow settings notify-channel #alerts`; the approval policy with "
         "`/postflow settings approval`; whether PostFlow's operators may look at your "
         "accounts and posts to help you with `/postflow settings support on|off` (Owner).")


async def settings_command(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    """No arguments (or ``show``, Discord's subcommand for it): show the settings.
    ``<name> <value>``: change one (Admin)."""
    if [a.lower() for a in args] == ["show"]:
        args = []
    if args and args[0].lower() == "approval":
        return await approval_settings(rt, who, args[1:])
    if args and args[0].lower() == "support":
        return await _support_setting(rt, who, args[1:])
    if not args:
        require(who.member.role, Permission.READ)
        return show_settings(who.org, "")
    require(who.member.role, Permission.MANAGE_SETTINGS)
    if len(args) != 2:
        raise BadInput(USAGE)
    name, value = args[0].lower(), args[1]
    if name in ("timezone", "tz"):
        changes: dict[str, object] = {"timezone": require_timezone(value)}
        said = f"The time zone is now {value}."
    elif name in CHANNEL_SETTINGS:
        channel = _channel(who, value)
        changes = {CHANNEL_SETTINGS[name]: channel}
        said = (f"The {name.replace('-', ' ')} is now "
                f"{channel_mention(channel.channel_id) if channel else 'not set'}.")
    else:
        raise BadInput(f"There is no setting {name!r}. {USAGE}")
    org = await rt.store.get_organization(who.org.id)
    updated = org.model_copy(update=changes)
    await rt.store.update_organization(updated)
    await record(rt, org.id, who.actor, "organization.settings_changed", org.id,
                 setting=name, value=value if name in ("timezone", "tz") else
                 (_channel_text(updated, name)))
    return show_settings(updated, said)


def show_settings(org: Organization, said: str) -> Reply:
    lines = (f"Time zone: {org.timezone}",
             f"Review channel: {_describe(org.review_channel)}",
             f"Notification channel: {_describe(org.notification_channel)}",
             f"Plan: {org.plan}",
             f"Support access: {'on' if org.support_access else 'off'}")
    text = f"{said} " if said else ""
    return Reply(text=text + f"Settings of {org.name}. {USAGE}",
                 items=(Item(title=org.name, lines=lines),))


def _channel(who: Membership, value: str) -> ChatChannel | None:
    if value.lower() == "none":
        return None
    caller = who.caller
    channel_id = caller.channel_id if value.lower() == "here" else parse_channel(value)
    if not channel_id:
        raise BadInput("This request came from no channel; mention one, as in `#social`.")
    return ChatChannel(platform=caller.identity.platform,
                       workspace_id=caller.identity.workspace_id, channel_id=channel_id)


def _describe(channel: ChatChannel | None) -> str:
    return "not set" if channel is None else channel_mention(channel.channel_id)


def _channel_text(org: Organization, name: str) -> str:
    channel: ChatChannel | None = getattr(org, CHANNEL_SETTINGS[name])
    return "" if channel is None else channel.channel_id


async def _support_setting(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    """``support on|off``: the Owner lets PostFlow's operators open a read-only view of the
    organization's accounts and recent posts, or stops them; each look is in the audit log."""
    if not args:
        require(who.member.role, Permission.READ)
        return show_settings(who.org, "")
    if who.member.role is not Role.OWNER:
        refuse(who.member.role, Role.OWNER, "Turning support access on or off")
    if len(args) != 1 or args[0].lower() not in ("on", "off"):
        raise BadInput("Say `/postflow settings support on` or `/postflow settings support off`.")
    enabled = args[0].lower() == "on"
    updated = await set_support_access(rt, who.org.id, enabled, actor=who.actor)
    said = ("Support access is on: PostFlow's operators may open a read-only view of your "
            "accounts and recent posts, and each look is written to the audit log "
            "(`/postflow audit`)." if enabled else
            "Support access is off: PostFlow's operators cannot look at your accounts or posts.")
    return show_settings(updated, said)
