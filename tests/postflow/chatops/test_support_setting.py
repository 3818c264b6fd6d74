"""``/postflow settings support on|off``: only the Owner lets operators look, and the switch is
in the audit log."""

from __future__ import annotations

import pytest

from postflow.chatops.commands import run_command
from postflow.organizations import Role
from postflow.runtime import Runtime
from tests.postflow.chatops.conftest import Team


async def test_the_owner_turns_support_access_on_and_off(rt: Runtime, team: Team) -> None:
    on = await run_command(rt, None, team.owner, "settings support on")
    assert not on.error
    assert "Support access: on" in on.items[0].lines
    assert (await rt.store.get_organization(team.org.id)).support_access

    off = await run_command(rt, None, team.owner, "settings support off")
    assert "Support access: off" in off.items[0].lines
    assert not (await rt.store.get_organization(team.org.id)).support_access
    events = [e for e in await rt.store.list_audit(team.org.id)
              if e.action == "organization.support_access_changed"]
    assert [e.data["enabled"] for e in events] == [True, False]
    assert events[0].actor.startswith("slack:")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MEMBER, Role.VIEWER])
async def test_anyone_but_the_owner_is_refused(rt: Runtime, team: Team, role: Role) -> None:
    reply = await run_command(rt, None, team.by_role(role), "settings support on")
    assert reply.error
    assert "needs the Owner role" in reply.text
    assert not (await rt.store.get_organization(team.org.id)).support_access


async def test_a_value_other_than_on_or_off_is_refused(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.owner, "settings support maybe")
    assert reply.error and "support on" in reply.text
