"""Chat-ops fixtures: an organization linked to a Slack workspace, with one member per role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from postflow.chatops.callers import Caller
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.organizations import add_member

TEAM = "T0001"


def caller(user_id: str, *, channel_id: str = "C0001") -> Caller:
    return Caller(identity=ChatIdentity(platform="slack", workspace_id=TEAM, user_id=user_id),
                  display_name=user_id.lower(), channel_id=channel_id)


@dataclass(frozen=True)
class Team:
    org: Organization
    owner: Caller
    admin: Caller
    member: Caller
    viewer: Caller
    stranger: Caller

    def by_role(self, role: Role) -> Caller:
        return {Role.OWNER: self.owner, Role.ADMIN: self.admin, Role.MEMBER: self.member,
                Role.VIEWER: self.viewer}[role]


@pytest.fixture
async def team(rt: Runtime) -> Team:
    owner = caller("UOWNER")
    linked = await link_or_create(rt, "slack", TEAM, "Acme", WorkspaceOwner(owner.identity),
                                  actor="test")
    org = await rt.store.get_organization(linked.org.id)
    org = org.model_copy(update={"plan": "pro"})
    await rt.store.update_organization(org)
    for user_id, role in (("UADMIN", Role.ADMIN), ("UMEMBER", Role.MEMBER),
                          ("UVIEWER", Role.VIEWER)):
        await add_member(rt, org.id, caller(user_id).identity, role, actor="test")
    return Team(org=org, owner=owner, admin=caller("UADMIN"), member=caller("UMEMBER"),
                viewer=caller("UVIEWER"), stranger=caller("USTRANGER"))
