"""Store contract: organizations, their members and linked chat workspaces."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from postflow.errors import Conflict, NotFound
from postflow.ids import new_id
from postflow.organizations import ChatIdentity, Role, Suspension
from postflow.store.port import Store
from tests.postflow.store.factories import T0, at, make_member, make_org, make_workspace


async def test_organization_round_trip_keeps_every_field(store: Store) -> None:
    org = make_org(plan="team", timezone="Asia/Tokyo")
    await store.insert_organization(org)

    assert await store.get_organization(org.id) == org


async def test_datetimes_written_in_another_zone_read_back_as_the_same_instant_in_utc(
        store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    org = make_org(created_at=T0.astimezone(paris))
    await store.insert_organization(org)

    got = await store.get_organization(org.id)

    assert got.created_at == T0
    assert got.created_at.utcoffset() == timedelta(0)


async def test_get_organization_raises_not_found_for_unknown_id(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get_organization(new_id("org"))


async def test_insert_organization_with_taken_name_raises_conflict(store: Store) -> None:
    await store.insert_organization(make_org(name="Acme"))

    with pytest.raises(Conflict):
        await store.insert_organization(make_org(name="Acme"))


async def test_find_organization_by_name(store: Store) -> None:
    org = make_org(name="Acme")
    await store.insert_organization(org)

    assert await store.find_organization_by_name("Acme") == org
    assert await store.find_organization_by_name("Other") is None


async def test_list_organizations_returns_all(store: Store) -> None:
    orgs = [make_org(created_at=at(i)) for i in range(3)]
    for org in orgs:
        await store.insert_organization(org)

    assert sorted(o.id for o in await store.list_organizations()) == sorted(o.id for o in orgs)


async def test_update_organization_replaces_it(store: Store) -> None:
    org = make_org(plan="free")
    await store.insert_organization(org)
    changed = org.model_copy(update={"plan": "pro", "name": "Renamed"})

    await store.update_organization(changed)

    assert await store.get_organization(org.id) == changed
    assert await store.find_organization_by_name("Renamed") == changed


async def test_update_unknown_organization_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.update_organization(make_org())


async def test_member_round_trip_keeps_every_field(store: Store) -> None:
    member = make_member("org_a", role=Role.VIEWER, display_name="Grace")
    await store.insert_member(member)

    who = member.identity
    assert await store.find_member("org_a", who.platform, who.workspace_id, who.user_id) == member


async def test_find_member_is_scoped_to_the_organization(store: Store) -> None:
    member = make_member("org_a")
    await store.insert_member(member)

    who = member.identity
    assert await store.find_member("org_b", who.platform, who.workspace_id, who.user_id) is None


async def test_same_identity_twice_in_one_organization_raises_conflict(store: Store) -> None:
    identity = ChatIdentity(platform="discord", workspace_id="G1", user_id="U1")
    await store.insert_member(make_member("org_a", identity=identity))

    with pytest.raises(Conflict):
        await store.insert_member(make_member("org_a", identity=identity))


async def test_same_identity_may_be_a_member_of_two_organizations(store: Store) -> None:
    identity = ChatIdentity(platform="discord", workspace_id="G1", user_id="U1")
    await store.insert_member(make_member("org_a", identity=identity))
    await store.insert_member(make_member("org_b", identity=identity))

    assert await store.count_members("org_a") == 1
    assert await store.count_members("org_b") == 1


async def test_list_and_count_members_of_one_organization(store: Store) -> None:
    mine = [make_member("org_a", created_at=at(i)) for i in range(3)]
    for member in [*mine, make_member("org_b")]:
        await store.insert_member(member)

    assert sorted(m.id for m in await store.list_members("org_a")) == sorted(m.id for m in mine)
    assert await store.count_members("org_a") == 3


async def test_update_member_replaces_it(store: Store) -> None:
    member = make_member("org_a", role=Role.MEMBER)
    await store.insert_member(member)
    promoted = member.model_copy(update={"role": Role.OWNER})

    await store.update_member(promoted)

    assert await store.list_members("org_a") == [promoted]


async def test_update_member_of_another_organization_raises_not_found(store: Store) -> None:
    member = make_member("org_a")
    await store.insert_member(member)

    with pytest.raises(NotFound):
        await store.update_member(member.model_copy(update={"org_id": "org_b"}))
    assert await store.list_members("org_a") == [member]


async def test_find_member_by_an_identity_linked_since(store: Store) -> None:
    member = make_member("org_a")
    await store.insert_member(member)
    discord = ChatIdentity(platform="discord", workspace_id="G1", user_id="U9")
    linked = member.model_copy(update={"linked_identities": [discord]})

    await store.update_member(linked)

    assert await store.find_member("org_a", "discord", "G1", "U9") == linked
    first = member.identity
    assert await store.find_member("org_a", first.platform, first.workspace_id,
                                   first.user_id) == linked
    assert await store.find_member("org_b", "discord", "G1", "U9") is None
    assert await store.find_member("org_a", "discord", "G2", "U9") is None


async def test_relink_workspace_moves_it_to_another_organization(store: Store) -> None:
    workspace = make_workspace("org_a", external_id="T2")
    await store.insert_workspace(workspace)

    await store.relink_workspace("slack", "T2", "org_a", "org_b")

    assert await store.find_workspace("slack", "T2") == workspace.model_copy(
        update={"org_id": "org_b"})
    assert await store.list_workspaces("org_a") == []
    assert await store.count_workspaces("org_b") == 1


async def test_relink_workspace_from_an_organization_it_is_not_in_raises_not_found(
        store: Store) -> None:
    workspace = make_workspace("org_a", external_id="T2")
    await store.insert_workspace(workspace)

    with pytest.raises(NotFound):
        await store.relink_workspace("slack", "T2", "org_c", "org_b")
    with pytest.raises(NotFound):
        await store.relink_workspace("slack", "T3", "org_a", "org_b")
    assert await store.find_workspace("slack", "T2") == workspace


async def test_workspace_round_trip_keeps_every_field(store: Store) -> None:
    workspace = make_workspace("org_a", platform="discord", name="Guild")
    await store.insert_workspace(workspace)

    assert await store.list_workspaces("org_a") == [workspace]


async def test_workspace_linked_to_any_organization_raises_conflict(store: Store) -> None:
    await store.insert_workspace(make_workspace("org_a", external_id="T42"))

    with pytest.raises(Conflict):
        await store.insert_workspace(make_workspace("org_b", external_id="T42"))


async def test_same_external_id_on_another_platform_is_a_different_workspace(
        store: Store) -> None:
    await store.insert_workspace(make_workspace("org_a", platform="slack", external_id="42"))
    await store.insert_workspace(make_workspace("org_a", platform="discord", external_id="42"))

    assert await store.count_workspaces("org_a") == 2


async def test_list_and_count_workspaces_of_one_organization(store: Store) -> None:
    await store.insert_workspace(make_workspace("org_a"))
    await store.insert_workspace(make_workspace("org_b"))

    assert [w.org_id for w in await store.list_workspaces("org_a")] == ["org_a"]
    assert await store.count_workspaces("org_a") == 1
    assert await store.count_workspaces("org_c") == 0


async def test_list_suspended_org_ids_names_only_suspended_organizations(store: Store) -> None:
    active = make_org(name="Active")
    suspended = make_org(name="Suspended",
                         suspension=Suspension(reason="unpaid", at=at(0)))
    for org in (active, suspended):
        await store.insert_organization(org)
    assert await store.list_suspended_org_ids() == [suspended.id]

    await store.update_organization(suspended.model_copy(update={"suspension": None}))
    assert await store.list_suspended_org_ids() == []
