"""Creating organizations, adding members and workspaces within the plan's limits."""

from __future__ import annotations

import pytest

from postflow.errors import BadInput, Conflict, LimitReached
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import (
    add_member,
    change_plan,
    create_organization,
    link_workspace,
    organizations_matching,
)


def person(user_id: str) -> ChatIdentity:
    return ChatIdentity(platform="slack", workspace_id="T1", user_id=user_id)


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    return await create_organization(rt, "Acme", actor="cli")


async def test_a_new_organization_starts_on_the_default_plan(rt: Runtime) -> None:
    org = await create_organization(rt, "  Acme  ", actor="cli", timezone="Europe/Paris")

    assert (org.name, org.plan, org.timezone) == ("Acme", "free", "Europe/Paris")
    assert await rt.store.get_organization(org.id) == org


async def test_creating_an_organization_is_audited(rt: Runtime, org: Organization) -> None:
    events = await rt.store.list_audit(org.id)

    assert [(e.actor, e.action, e.subject_id) for e in events] == [
        ("cli", "organization.created", org.id)]


async def test_a_duplicate_organization_name_is_a_conflict(rt: Runtime, org: Organization) -> None:
    with pytest.raises(Conflict, match="Acme"):
        await create_organization(rt, "Acme", actor="cli")


async def test_a_blank_organization_name_is_bad_input(rt: Runtime) -> None:
    with pytest.raises(BadInput):
        await create_organization(rt, "   ", actor="cli")


async def test_an_unknown_time_zone_is_bad_input(rt: Runtime) -> None:
    with pytest.raises(BadInput, match="Mars/Olympus"):
        await create_organization(rt, "Acme", actor="cli", timezone="Mars/Olympus")


async def test_the_given_owner_becomes_an_owner_member(rt: Runtime) -> None:
    org = await create_organization(rt, "Acme", actor="cli", owner=person("U1"))

    assert [(m.identity.user_id, m.role) for m in await rt.store.list_members(org.id)] == [
        ("U1", Role.OWNER)]


async def test_an_organization_is_found_by_id_or_by_name(rt: Runtime, org: Organization) -> None:
    assert await organizations_matching(rt, org.id) == [org]
    assert await organizations_matching(rt, " acme ") == [org]


async def test_an_unknown_organization_name_matches_nothing(rt: Runtime) -> None:
    assert await organizations_matching(rt, "Nobody") == []


async def test_members_can_be_added_up_to_the_plan_limit(rt: Runtime, org: Organization) -> None:
    for user in ("U1", "U2", "U3"):
        await add_member(rt, org.id, person(user), Role.MEMBER, actor="cli")

    assert await rt.store.count_members(org.id) == 3


async def test_a_member_over_the_limit_is_refused_naming_limit_usage_and_plan(
        rt: Runtime, org: Organization) -> None:
    for user in ("U1", "U2", "U3"):
        await add_member(rt, org.id, person(user), Role.MEMBER, actor="cli")

    with pytest.raises(LimitReached) as caught:
        await add_member(rt, org.id, person("U4"), Role.MEMBER, actor="cli")

    assert caught.value.message == ("Your Free plan allows 3 members and you have used 3. "
                                    "The Pro plan allows 15 members.")
    assert caught.value.details["limit"] == "members"
    assert await rt.store.count_members(org.id) == 3


async def test_adding_a_member_is_audited(rt: Runtime, org: Organization) -> None:
    member = await add_member(rt, org.id, person("U1"), Role.ADMIN, actor="slack:U0")

    event = (await rt.store.list_audit(org.id, subject_id=member.id))[0]
    assert (event.actor, event.action, event.data["role"]) == ("slack:U0", "member.added", "admin")


async def test_a_second_workspace_is_over_the_free_limit(rt: Runtime, org: Organization) -> None:
    await link_workspace(rt, org.id, "slack", "T1", actor="cli")

    with pytest.raises(LimitReached, match="1 workspaces"):
        await link_workspace(rt, org.id, "discord", "G1", actor="cli")


async def test_a_bigger_plan_lifts_the_limit(rt: Runtime, org: Organization) -> None:
    await link_workspace(rt, org.id, "slack", "T1", actor="cli")

    await change_plan(rt, org.id, "pro", actor="billing")
    await link_workspace(rt, org.id, "discord", "G1", actor="cli")

    assert (await rt.store.get_organization(org.id)).plan == "pro"
    assert await rt.store.count_workspaces(org.id) == 2
