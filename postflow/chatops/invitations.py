"""``/postflow invite EMAIL [ROLE]``, ``/postflow invite list|revoke ID`` (Admins and Owners)
and ``/postflow join CODE`` (anyone: the code, from an invitation's page, is the proof); see
:mod:`postflow.mailing.invitations`."""

from __future__ import annotations

from postflow.chat_actors import read_chat_actor
from postflow.chatops.callers import Caller, Membership
from postflow.chatops.formatting import user_mention
from postflow.chatops.permissions import Permission, require, role_name
from postflow.chatops.replies import Item, Reply
from postflow.chatops.roles import parse_role
from postflow.errors import BadInput
from postflow.mailing.invitations import (
    invite,
    join_by_code,
    pending_invitations,
    revoke_invitation,
)
from postflow.organizations import Role
from postflow.runtime import Runtime

USAGE = "`/postflow invite EMAIL [viewer|member|admin|owner]`, `/postflow invite list`, " \
        "`/postflow invite revoke ID`"


async def invite_command(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    require(who.member.role, Permission.MANAGE_MEMBERS, action="Inviting people")
    if not args:
        raise BadInput(f"Say whom to invite: {USAGE}.")
    if args[0].lower() == "list" and len(args) == 1:
        return await _list(rt, who)
    if args[0].lower() == "revoke":
        if len(args) != 2:
            raise BadInput("Say which invitation: `/postflow invite revoke ID` "
                           "(`/postflow invite list` shows them).")
        revoked = await revoke_invitation(rt, who.org, args[1], revoker_role=who.member.role,
                                          actor=who.actor)
        return Reply(text=f"Invitation {revoked.id} of {revoked.email} is revoked: its link "
                          "no longer works.")
    if len(args) > 2:
        raise BadInput(f"Too many words: {USAGE}.")
    role = parse_role(args[1]) if len(args) == 2 else Role.MEMBER
    sent = await invite(rt, who.org, args[0], role, inviter_role=who.member.role,
                        actor=who.actor, inviter_name=who.member.display_name
                        or who.caller.display_name)
    invitation = sent.invitation
    if sent.email is None:
        return Reply(text=f"Invitation {invitation.id} is recorded, but mail to "
                          f"{invitation.email} keeps failing (bounced or refused), so it was "
                          "not sent. Revoke it with `/postflow invite revoke "
                          f"{invitation.id}`.", error=True)
    return Reply(text=f"PostFlow mailed an invitation to {invitation.email} to join "
                      f"{who.org.name} as {role_name(role)} (until "
                      f"{invitation.expires_at:%Y-%m-%d} UTC; id {invitation.id}).")


async def join_command(rt: Runtime, caller: Caller, args: list[str]) -> Reply:
    """Enter an invitation's join code; needs no membership (the code proves the invitation)."""
    if len(args) != 1:
        raise BadInput("Enter the code from your invitation's page: `/postflow join CODE`.")
    joined = await join_by_code(rt, args[0], caller.identity,
                                display_name=caller.display_name)
    return Reply(text=f"Welcome: you are now {role_name(joined.member.role)} of "
                      f"{joined.org.name}. `/postflow help` shows what you can do.")


async def _list(rt: Runtime, who: Membership) -> Reply:
    pending = await pending_invitations(rt, who.org)
    if not pending:
        return Reply(text=f"No pending invitations in {who.org.name}.")
    return Reply(text=f"Pending invitations in {who.org.name}:", items=tuple(
        Item(title=f"{i.email} as {role_name(i.role)}",
             lines=(f"id {i.id}", f"until {i.expires_at:%Y-%m-%d %H:%M} UTC",
                    f"invited by {_who(i.invited_by)}")) for i in pending))


def _who(actor: str) -> str:
    """A chat actor as a mention; the shell and others as named in records."""
    identity = read_chat_actor(actor)
    if identity is None:
        return "an operator (CLI)" if actor == "cli" else actor
    return user_mention(identity.user_id)
