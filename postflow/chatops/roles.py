"""Giving people roles from chat: ``/postflow role @user <role>``."""

from __future__ import annotations

from postflow.chatops.callers import Membership
from postflow.chatops.formatting import member_mention
from postflow.chatops.permissions import Permission, refuse, require, role_name
from postflow.errors import BadInput
from postflow.notices.events import MemberRoleChanged
from postflow.organizations import ChatIdentity, Member, Role
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.organizations import add_member


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise BadInput(f"{text!r} is not a role: use viewer, member, admin or owner.",
                       details={"role": text}) from None


async def set_role(rt: Runtime, acting: Membership, target: ChatIdentity, role: Role, *,
                   display_name: str = "") -> Member:
    """Give ``target`` ``role``, adding them as a member when they are not one yet.

    Admins and Owners may change roles; only an Owner may make or unmake an Owner, and the
    organization's last Owner cannot be demoted.
    """
    require(acting.member.role, Permission.MANAGE_MEMBERS)
    org_id = acting.org.id
    current = await rt.store.find_member(org_id, target.platform, target.workspace_id,
                                         target.user_id)
    if Role.OWNER in (role, current.role if current else None) \
            and acting.member.role is not Role.OWNER:
        refuse(acting.member.role, Role.OWNER, "Making someone an Owner, or changing an "
               "Owner's role,")
    if current is None:
        added = await add_member(rt, org_id, target, role, actor=acting.actor,
                                 display_name=display_name)
        await rt.notices.notify(MemberRoleChanged(
            org_id, acting.actor, added.id, member_name=display_name or target.user_id,
            old_role="", new_role=role.value))
        return added
    if current.role is role:
        return current
    if current.role is Role.OWNER and await _owner_count(rt, org_id) <= 1:
        raise _last_owner(current)
    updated = current.model_copy(update={"role": role})
    await rt.store.update_member(updated)
    if current.role is Role.OWNER and await _owner_count(rt, org_id) == 0:
        # Two Owners demoted each other at once: undo ours, so one stays.
        await rt.store.update_member(current)
        raise _last_owner(current)
    await record(rt, org_id, acting.actor, "member.role_changed", current.id,
                 old=current.role.value, new=role.value, user_id=target.user_id)
    await rt.notices.notify(MemberRoleChanged(
        org_id, acting.actor, current.id, member_name=current.display_name or
        target.user_id, old_role=current.role.value, new_role=role.value))
    return updated


async def _owner_count(rt: Runtime, org_id: str) -> int:
    return sum(m.role is Role.OWNER for m in await rt.store.list_members(org_id))


def _last_owner(member: Member) -> BadInput:
    return BadInput(f"{member_mention(member)} is the organization's only "
                    f"{role_name(Role.OWNER)}: make someone else Owner first.",
                    details={"member_id": member.id})
