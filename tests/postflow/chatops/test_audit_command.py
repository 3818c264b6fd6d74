"""``/postflow audit``: Owners and Admins read the audit log, newest first, a page at a time;
Members and Viewers are refused. And the events it should show are written: installs, links,
roles, billing."""

from __future__ import annotations

import pytest

from postflow.chatops.audit_view import PAGE_SIZE
from postflow.chatops.commands import run_button, run_command
from postflow.chatops.replies import ButtonAction
from postflow.organizations import Role
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from tests.fakes.clock import ManualClock
from tests.postflow.chatops.conftest import Team


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
async def test_members_and_viewers_are_refused(rt: Runtime, team: Team, role: Role) -> None:
    reply = await run_command(rt, None, team.by_role(role), "audit")
    assert reply.error
    assert "Reading the audit log needs the Admin role or higher" in reply.text


async def test_a_stranger_is_refused(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.stranger, "audit")
    assert reply.error and not reply.items


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OWNER])
async def test_admins_and_owners_see_the_latest_events_first(rt: Runtime, team: Team,
                                                             clock: ManualClock,
                                                             role: Role) -> None:
    clock.advance(60)
    await record(rt, team.org.id, "cli", "hook.created", "hook_1", name="CI")

    reply = await run_command(rt, None, team.by_role(role), "audit")

    assert not reply.error
    assert reply.items[0].title == "hook.created"
    assert "name=CI" in reply.items[0].lines[1]
    assert "workspace.linked" in [item.title for item in reply.items]


async def test_the_log_pages_with_buttons(rt: Runtime, team: Team, clock: ManualClock) -> None:
    for n in range(PAGE_SIZE + 3):
        clock.advance(1)
        await record(rt, team.org.id, "cli", f"test.event_{n:02d}", "x")

    first = await run_command(rt, None, team.admin, "audit")
    assert len(first.items) == PAGE_SIZE
    assert first.items[0].title == f"test.event_{PAGE_SIZE + 2:02d}"
    [older] = first.buttons
    assert (older.action, older.value) == (ButtonAction.AUDIT_PAGE, "2")

    second = await run_button(rt, None, team.admin, ButtonAction.AUDIT_PAGE, older.value)
    assert second.items[0].title == "test.event_02"
    assert second.buttons[0].label == "Newer"


async def test_a_page_button_is_checked_against_the_role_again(rt: Runtime, team: Team) -> None:
    reply = await run_button(rt, None, team.member, ButtonAction.AUDIT_PAGE, "1")
    assert reply.error


async def test_a_bad_page_is_refused_with_usage(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "audit lots")
    assert reply.error and "/postflow audit 2" in reply.text


async def test_changing_a_role_is_in_the_log(rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.admin, "role <@UMEMBER> viewer")
    reply = await run_command(rt, None, team.admin, "audit")
    assert reply.items[0].title == "member.role_changed"


async def test_a_billing_link_is_in_the_log(rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.owner, "billing")
    reply = await run_command(rt, None, team.owner, "audit")
    assert reply.items[0].title == "billing.link_issued"


async def test_a_link_code_is_in_the_log(rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.owner, "link")
    reply = await run_command(rt, None, team.owner, "audit")
    assert reply.items[0].title == "workspace.link_code_issued"
