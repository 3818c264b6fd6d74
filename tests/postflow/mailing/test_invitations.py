"""Invitations by email: who may invite whom, the members limit at invite and at accept,
accepting once through the link (an email-only member) or with a chat code (that identity),
refusals that write nothing, and a token or code that only ever joins its own organization."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from urllib.parse import parse_qs, urlsplit

import pytest

from postflow.config import Settings
from postflow.errors import BadInput, Conflict, Forbidden, LimitReached, Unauthorized
from postflow.invitations import InvitationStatus
from postflow.mailing.invitations import (
    SentInvitation,
    accept_by_email,
    form_token,
    invite,
    issue_join_code,
    join_by_code,
    pending_invitations,
    revoke_invitation,
)
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import new_browser_key
from postflow.usecases.organizations import add_member, create_organization, link_workspace
from tests.fakes.clock import ManualClock

BROWSER = new_browser_key()


def token_of(sent: SentInvitation) -> str:
    return parse_qs(urlsplit(sent.url).query)["token"][0]


async def accept(rt: Runtime, sent: SentInvitation, name: str = "Ada") -> object:
    token = token_of(sent)
    return await accept_by_email(rt, token, csrf=form_token(rt, token, BROWSER),
                                 browser_key=BROWSER, display_name=name)


async def code_for(rt: Runtime, sent: SentInvitation) -> str:
    token = token_of(sent)
    return (await issue_join_code(rt, token, csrf=form_token(rt, token, BROWSER),
                                  browser_key=BROWSER)).code


@pytest.fixture
async def org(rt: Runtime) -> Organization:
    org = await create_organization(rt, "Acme", actor="test", owner=ChatIdentity(
        platform="slack", workspace_id="T1", user_id="UOWNER"))
    await link_workspace(rt, org.id, "slack", "T1", actor="test")
    return org


async def invited(rt: Runtime, org: Organization, role: Role = Role.MEMBER,
                  address: str = "ada@example.test") -> SentInvitation:
    return await invite(rt, org, address, role, inviter_role=Role.ADMIN, actor="slack:T1:UADM")


async def test_an_invitation_is_recorded_and_mailed_with_an_absolute_accept_link(
        rt: Runtime, org: Organization, settings: Settings) -> None:
    sent = await invited(rt, org, Role.ADMIN)

    [mail] = (settings.data_dir / "outbox").glob("*.eml")
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[attr-defined]
    assert message["To"] == "ada@example.test" and "Acme" in message["Subject"]
    assert "List-Unsubscribe" not in message
    assert re.search(r"http://127\.0\.0\.1:8080/invitations/accept\?token=\S+", text)
    assert [i.id for i in await pending_invitations(rt, org)] == [sent.invitation.id]
    assert [e.action for e in await rt.store.list_audit(org.id, sent.invitation.id)] == [
        "member.invited"]


async def test_a_member_cannot_invite_and_nothing_is_recorded(rt: Runtime,
                                                              org: Organization) -> None:
    with pytest.raises(Forbidden):
        await invite(rt, org, "ada@example.test", Role.VIEWER, inviter_role=Role.MEMBER,
                     actor="slack:T1:UMEM")

    assert await rt.store.list_invitations(org.id) == []


async def test_only_an_owner_invites_an_owner(rt: Runtime, org: Organization) -> None:
    with pytest.raises(Forbidden):
        await invited(rt, org, Role.OWNER)

    sent = await invite(rt, org, "bo@example.test", Role.OWNER, inviter_role=Role.OWNER,
                        actor="cli")
    assert sent.invitation.role is Role.OWNER


async def test_a_bad_address_is_refused(rt: Runtime, org: Organization) -> None:
    with pytest.raises(BadInput):
        await invited(rt, org, address="not an address")


async def test_inviting_the_same_address_twice_is_refused(rt: Runtime, org: Organization) -> None:
    await invited(rt, org)

    with pytest.raises(Conflict):
        await invited(rt, org, address="ADA@example.test")


async def test_pending_invitations_count_toward_the_members_limit(rt: Runtime,
                                                                  org: Organization) -> None:
    # The free plan allows 3 members: the Owner and two invitations fill it.
    await invited(rt, org, address="a@example.test")
    await invited(rt, org, address="b@example.test")

    with pytest.raises(LimitReached):
        await invited(rt, org, address="c@example.test")
    assert len(await rt.store.list_invitations(org.id)) == 2


async def test_accepting_by_email_makes_an_email_only_member_with_the_role(
        rt: Runtime, org: Organization) -> None:
    sent = await invited(rt, org, Role.ADMIN)

    await accept(rt, sent)

    member = await rt.store.find_member(org.id, "email", "", "ada@example.test")
    assert member is not None and await rt.store.count_members(org.id) == 2
    assert member.role is Role.ADMIN and member.display_name == "Ada"
    assert member.identity == ChatIdentity(platform="email", user_id="ada@example.test")
    assert member.chat_identity is None
    assert member.email is not None and member.email.confirmed
    done = await rt.store.get_invitation(org.id, sent.invitation.id)
    assert (done.status, done.member_id, done.accepted_on) == (
        InvitationStatus.ACCEPTED, member.id, "email")
    assert "member.joined" in [e.action for e in await rt.store.list_audit(org.id, member.id)]


async def test_accepting_twice_is_refused_and_writes_nothing(rt: Runtime,
                                                             org: Organization) -> None:
    sent = await invited(rt, org)
    await accept(rt, sent)

    with pytest.raises(Unauthorized) as refused:
        await accept(rt, sent, name="Someone else")

    assert refused.value.details["reason"] == "accepted"
    assert await rt.store.count_members(org.id) == 2


async def test_a_revoked_invitation_is_refused(rt: Runtime, org: Organization) -> None:
    sent = await invited(rt, org)
    await revoke_invitation(rt, org, sent.invitation.id, revoker_role=Role.ADMIN,
                            actor="slack:T1:UADM")

    with pytest.raises(Unauthorized) as refused:
        await accept(rt, sent)

    assert refused.value.details["reason"] == "revoked"
    assert await rt.store.count_members(org.id) == 1
    assert "invitation.revoked" in [
        e.action for e in await rt.store.list_audit(org.id, sent.invitation.id)]


async def test_an_invitation_expires_after_seven_days(rt: Runtime, org: Organization,
                                                      clock: ManualClock) -> None:
    sent = await invited(rt, org)
    clock.advance(7 * 24 * 3600 + 1)

    with pytest.raises(Unauthorized) as refused:
        await accept(rt, sent)

    assert refused.value.details["reason"] == "expired"
    assert await rt.store.count_members(org.id) == 1
    assert await pending_invitations(rt, org) == []


async def test_accepting_over_the_members_limit_is_refused_and_stays_pending(
        rt: Runtime, org: Organization) -> None:
    sent = await invited(rt, org)
    for user in ("U2", "U3"):  # the free plan's 3 members, filled since the invitation
        await add_member(rt, org.id, ChatIdentity(platform="slack", workspace_id="T1",
                                                  user_id=user), Role.VIEWER, actor="test")

    with pytest.raises(LimitReached):
        await accept(rt, sent)

    assert await rt.store.count_members(org.id) == 3
    assert (await rt.store.get_invitation(org.id, sent.invitation.id)).status \
        is InvitationStatus.PENDING


async def test_a_form_from_another_browser_is_refused(rt: Runtime, org: Organization) -> None:
    sent = await invited(rt, org)
    token = token_of(sent)

    with pytest.raises(Unauthorized) as refused:
        await accept_by_email(rt, token, csrf=form_token(rt, token, BROWSER),
                              browser_key=new_browser_key())

    assert refused.value.details["reason"] == "browser"
    assert await rt.store.count_members(org.id) == 1


async def test_a_join_code_entered_in_chat_makes_that_identity_the_member(
        rt: Runtime, org: Organization) -> None:
    sent = await invited(rt, org, Role.ADMIN)
    code = await code_for(rt, sent)

    joined = await join_by_code(rt, code.lower(), ChatIdentity(
        platform="slack", workspace_id="T1", user_id="UADA"), display_name="Ada")

    assert joined.member.role is Role.ADMIN
    found = await rt.store.find_member(org.id, "slack", "T1", "UADA")
    assert found is not None and found.id == joined.member.id
    assert found.email is not None and found.email.address == "ada@example.test"
    assert (await rt.store.get_invitation(org.id, sent.invitation.id)).accepted_on == "slack"


async def test_a_join_code_works_once(rt: Runtime, org: Organization) -> None:
    sent = await invited(rt, org)
    code = await code_for(rt, sent)
    await join_by_code(rt, code, ChatIdentity(platform="slack", workspace_id="T1",
                                              user_id="UADA"))

    with pytest.raises(Unauthorized):
        await join_by_code(rt, code, ChatIdentity(platform="slack", workspace_id="T1",
                                                  user_id="UEVE"))
    assert await rt.store.count_members(org.id) == 2


async def test_a_join_code_expires_after_an_hour(rt: Runtime, org: Organization,
                                                 clock: ManualClock) -> None:
    sent = await invited(rt, org)
    code = await code_for(rt, sent)
    clock.advance(3601)

    with pytest.raises(BadInput):
        await join_by_code(rt, code, ChatIdentity(platform="slack", workspace_id="T1",
                                                  user_id="UADA"))


async def test_a_join_code_never_joins_another_organization(rt: Runtime,
                                                            org: Organization) -> None:
    other = await create_organization(rt, "Globex", actor="test")
    await link_workspace(rt, other.id, "slack", "T9", actor="test")
    sent = await invited(rt, org)
    code = await code_for(rt, sent)

    with pytest.raises(Forbidden):
        await join_by_code(rt, code, ChatIdentity(platform="slack", workspace_id="T9",
                                                  user_id="UADA"))

    assert await rt.store.count_members(other.id) == 0
    assert await rt.store.count_members(org.id) == 1
    assert (await rt.store.get_invitation(org.id, sent.invitation.id)).status \
        is InvitationStatus.PENDING


async def test_a_member_entering_a_code_gets_the_invitations_role_if_higher(
        rt: Runtime, org: Organization) -> None:
    viewer = await add_member(rt, org.id, ChatIdentity(platform="slack", workspace_id="T1",
                                                       user_id="UVIEW"), Role.VIEWER,
                              actor="test")
    code = await code_for(rt, await invited(rt, org, Role.ADMIN))

    joined = await join_by_code(rt, code, ChatIdentity(platform="slack", workspace_id="T1",
                                                       user_id="UVIEW"))

    assert (joined.member.id, joined.member.role) == (viewer.id, Role.ADMIN)
    assert await rt.store.count_members(org.id) == 2


async def test_a_code_never_lowers_a_members_role(rt: Runtime, org: Organization) -> None:
    code = await code_for(rt, await invited(rt, org, Role.VIEWER))

    joined = await join_by_code(rt, code, ChatIdentity(platform="slack", workspace_id="T1",
                                                       user_id="UOWNER"))

    assert joined.member.role is Role.OWNER
    assert joined.invitation.status is InvitationStatus.ACCEPTED


async def test_an_admin_cannot_revoke_an_owners_invitation(rt: Runtime,
                                                           org: Organization) -> None:
    sent = await invite(rt, org, "bo@example.test", Role.OWNER, inviter_role=Role.OWNER,
                        actor="cli")

    with pytest.raises(Forbidden):
        await revoke_invitation(rt, org, sent.invitation.id, revoker_role=Role.ADMIN,
                                actor="slack:T1:UADM")


async def test_another_organizations_invitation_cannot_be_revoked(rt: Runtime,
                                                                  org: Organization) -> None:
    other = await create_organization(rt, "Globex", actor="test")
    sent = await invited(rt, org)

    with pytest.raises(Exception, match="No invitation"):
        await revoke_invitation(rt, other, sent.invitation.id, revoker_role=Role.OWNER,
                                actor="cli")
    assert (await rt.store.get_invitation(org.id, sent.invitation.id)).status \
        is InvitationStatus.PENDING
