"""``/postflow invite EMAIL [ROLE]``, ``invite list|revoke ID`` and ``/postflow join CODE``."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from postflow.chatops.commands import run_command
from postflow.invitations import InvitationStatus
from postflow.mailing.invitations import form_token, issue_join_code
from postflow.organizations import Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import new_browser_key
from tests.postflow.chatops.conftest import Team


async def test_an_admin_invites_by_email(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "invite ada@example.test admin")

    assert not reply.error and "mailed an invitation to ada@example.test" in reply.text
    [invitation] = await rt.store.list_invitations(team.org.id)
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "ada@example.test", Role.ADMIN, team.admin.actor)


async def test_the_role_defaults_to_member(rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.admin, "invite ada@example.test")

    [invitation] = await rt.store.list_invitations(team.org.id)
    assert invitation.role is Role.MEMBER


async def test_a_member_cannot_invite(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.member, "invite ada@example.test")

    assert reply.error and "Admin" in reply.text
    assert await rt.store.list_invitations(team.org.id) == []


async def test_an_admin_cannot_invite_an_owner(rt: Runtime, team: Team) -> None:
    refused = await run_command(rt, None, team.admin, "invite ada@example.test owner")
    allowed = await run_command(rt, None, team.owner, "invite ada@example.test owner")

    assert refused.error and "Owner" in refused.text
    assert not allowed.error


async def test_pending_invitations_are_listed_and_revoked(rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.admin, "invite ada@example.test")
    [invitation] = await rt.store.list_invitations(team.org.id)

    listed = await run_command(rt, None, team.admin, "invite list")
    revoked = await run_command(rt, None, team.admin, f"invite revoke {invitation.id}")
    after = await run_command(rt, None, team.admin, "invite list")

    lines = [line for item in listed.items for line in item.lines]
    assert f"id {invitation.id}" in lines and "invited by <@UADMIN>" in lines
    assert not revoked.error and "revoked" in revoked.text
    assert "No pending invitations" in after.text
    assert (await rt.store.get_invitation(team.org.id, invitation.id)).status \
        is InvitationStatus.REVOKED


async def test_a_stranger_joins_with_the_code_from_the_invitation_page(
        rt: Runtime, team: Team) -> None:
    await run_command(rt, None, team.admin, "invite ada@example.test admin")
    [email] = await rt.store.list_outgoing_emails(team.org.id, 5)
    link = re.search(r"http\S+/invitations/accept\?token=\S+", email.text)
    assert link is not None
    token = parse_qs(urlsplit(link.group(0)).query)["token"][0]
    browser = new_browser_key()
    code = await issue_join_code(rt, token, csrf=form_token(rt, token, browser),
                                 browser_key=browser)

    reply = await run_command(rt, None, team.stranger, f"join {code.code}")

    assert not reply.error and "Admin of Acme" in reply.text
    member = await rt.store.find_member(team.org.id, "slack", team.stranger.identity.workspace_id,
                                        team.stranger.identity.user_id)
    assert member is not None and member.role is Role.ADMIN


async def test_a_wrong_join_code_is_refused(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.stranger, "join ABCDE-FGHJK")

    assert reply.error and "not valid" in reply.text


async def test_an_address_as_slack_escapes_it_is_read(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin,
                              "invite <mailto:ada@example.test|ada@example.test> viewer")

    assert not reply.error, reply.text
    [invitation] = await rt.store.list_invitations(team.org.id)
    assert (invitation.email, invitation.role) == ("ada@example.test", Role.VIEWER)
