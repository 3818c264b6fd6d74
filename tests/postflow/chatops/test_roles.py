"""``role @user <role>``: who may change roles, and the last Owner."""

from __future__ import annotations

import pytest

from postflow.chatops.callers import resolve_member
from postflow.chatops.roles import set_role
from postflow.errors import BadInput, Forbidden, LimitReached
from postflow.organizations import Role
from postflow.runtime import Runtime
from tests.postflow.chatops.conftest import Team, caller


async def role_of(rt: Runtime, team: Team, user_id: str) -> Role | None:
    member = await rt.store.find_member(team.org.id, "slack", "T0001", user_id)
    return None if member is None else member.role


async def test_admin_promotes_a_member_to_admin(rt: Runtime, team: Team) -> None:
    admin = await resolve_member(rt, team.admin)

    await set_role(rt, admin, team.member.identity, Role.ADMIN)

    assert await role_of(rt, team, "UMEMBER") is Role.ADMIN
    events = [e.action for e in await rt.store.list_audit(team.org.id)]
    assert "member.role_changed" in events


async def test_someone_not_yet_a_member_is_added_with_the_role(rt: Runtime, team: Team) -> None:
    admin = await resolve_member(rt, team.admin)

    await set_role(rt, admin, team.stranger.identity, Role.VIEWER, display_name="grace")

    assert await role_of(rt, team, "USTRANGER") is Role.VIEWER


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
async def test_members_and_viewers_cannot_change_roles(rt: Runtime, team: Team,
                                                       role: Role) -> None:
    who = await resolve_member(rt, team.by_role(role))

    with pytest.raises(Forbidden, match="Changing roles needs the Admin role or higher"):
        await set_role(rt, who, team.viewer.identity, Role.MEMBER)


async def test_an_admin_cannot_make_an_owner(rt: Runtime, team: Team) -> None:
    admin = await resolve_member(rt, team.admin)

    with pytest.raises(Forbidden, match="needs the Owner role; you are an Admin"):
        await set_role(rt, admin, team.member.identity, Role.OWNER)


async def test_an_admin_cannot_demote_an_owner(rt: Runtime, team: Team) -> None:
    admin = await resolve_member(rt, team.admin)

    with pytest.raises(Forbidden, match="Owner role"):
        await set_role(rt, admin, team.owner.identity, Role.VIEWER)
    assert await role_of(rt, team, "UOWNER") is Role.OWNER


async def test_the_last_owner_cannot_be_demoted_even_by_themselves(rt: Runtime,
                                                                  team: Team) -> None:
    owner = await resolve_member(rt, team.owner)

    with pytest.raises(BadInput, match="only Owner: make someone else Owner first"):
        await set_role(rt, owner, team.owner.identity, Role.ADMIN)
    assert await role_of(rt, team, "UOWNER") is Role.OWNER


async def test_an_owner_steps_down_once_there_is_another_owner(rt: Runtime,
                                                              team: Team) -> None:
    owner = await resolve_member(rt, team.owner)
    await set_role(rt, owner, team.admin.identity, Role.OWNER)

    await set_role(rt, owner, team.owner.identity, Role.ADMIN)

    assert await role_of(rt, team, "UOWNER") is Role.ADMIN
    assert await role_of(rt, team, "UADMIN") is Role.OWNER


async def test_adding_a_member_respects_the_plans_member_limit(rt: Runtime,
                                                               team: Team) -> None:
    org = team.org.model_copy(update={"plan": "free"})  # 3 members; the team has 4
    await rt.store.update_organization(org)
    admin = await resolve_member(rt, team.admin)

    with pytest.raises(LimitReached):
        await set_role(rt, admin, caller("UNEW").identity, Role.VIEWER)
