"""``/postflow link``: an Owner gets a one-time code; ``/postflow link CODE``, entered on another
workspace or server by the same person, links it to their organization (see
:mod:`postflow.usecases.workspace_links`)."""

from __future__ import annotations

from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Reply
from postflow.errors import BadInput
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.workspace_links import CODE_TTL, issue_link_code, redeem_link_code


async def link_command(rt: Runtime, caller: Caller, args: list[str]) -> Reply:
    """Without arguments, a code for the Owner asking; with one, enter that code. Entering a
    code needs no membership here: the code is what proves who enters it."""
    if len(args) > 1:
        raise BadInput("Enter the code alone: `/postflow link CODE`.")
    if args:
        return await _enter(rt, caller, args[0])
    who = await resolve_member(rt, caller)
    require(who.member.role, Permission.LINK_WORKSPACES)
    link = issue_link_code(rt, who.org, who.member)
    await record(rt, who.org.id, who.actor, "workspace.link_code_issued", who.member.id,
                 expires_at=link.expires_at.isoformat())
    minutes = int(CODE_TTL.total_seconds() // 60)
    return Reply(text=(
        f"To link another Slack workspace or Discord server to {who.org.name}, run this there "
        f"yourself, within {minutes} minutes (until {link.expires_at:%H:%M} UTC), once:\n"
        f"`/postflow link {link.code}`\n"
        "You stay one member with one role on both. The code is for you only: whoever enters "
        "it links their workspace and becomes you on PostFlow."))


async def _enter(rt: Runtime, caller: Caller, code: str) -> Reply:
    if not caller.identity.workspace_id:
        raise BadInput("A link code is entered in a chat workspace or server.")
    linked = await redeem_link_code(rt, code, caller.identity)
    return Reply(text=f"This workspace is now linked to {linked.org.name}, and you are "
                      f"{linked.member.role.value.capitalize()} of it here too.")
