"""Inviting people by email, and accepting an invitation.

- An Admin or Owner invites an address with a role (only an Owner invites an Owner):
  :func:`invite`. The invitation is recorded (7 days), then mailed through the email outbox with
  a signed accept link, absolute from ``POSTFLOW_PUBLIC_URL``. The plan's members limit counts
  the members and the invitations still pending.
- The link opens a page (the hub's ``GET /invitations/accept``) that spends nothing: a chat's or
  mail program's link preview changes nothing. Its forms carry a token tied to the link and to
  the browser's key (a cookie), as the billing page's Open form does.
- From that page the invitee either joins with the address alone (:func:`accept_by_email`: an
  email-only member, identity platform ``email``), or gets a short code (:func:`issue_join_code`,
  one hour) to run as ``/postflow join CODE`` in a Slack workspace or Discord server of the
  organization (:func:`join_by_code`), which makes that chat identity the member.
- Accepting is a compare-and-swap of the invitation from ``pending``: an invitation joins one
  member, once. An identity that is a member already (Discord admits the people of a linked
  server at their first command) gets the invitation's role if it is higher than theirs.
  Accepting a used, revoked or expired invitation, or over the members limit, is refused
  before anything is written. A token or code only ever joins its own organization.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from postflow.chat_actors import chat_actor
from postflow.email.message import OutgoingEmail
from postflow.email.preferences import MemberEmail
from postflow.errors import BadInput, Conflict, Forbidden, NotFound, Unauthorized
from postflow.ids import new_id
from postflow.invitations import INVITATION_TTL, Invitation, InvitationStatus
from postflow.mailing import wording
from postflow.mailing.addresses import email_outbox, parse_address
from postflow.notices.events import MemberRoleChanged
from postflow.organizations import (
    CHAT_PLATFORMS,
    EMAIL_PLATFORM,
    ChatIdentity,
    Member,
    Organization,
    Role,
)
from postflow.plans import Limit, check_limit
from postflow.runtime import Runtime
from postflow.signed_tokens import TokenRefused
from postflow.usecases.audit_log import record
from postflow.usecases.oauth_states import browser_form_token, is_browser_form_token

ACCEPT_PATH = "/invitations/accept"
#: A chat join code works this long (and never past the invitation's expiry).
JOIN_CODE_TTL = timedelta(hours=1)
_ACCEPT_PURPOSE = "invitation-accept"
_FORM_PURPOSE = "invitation-accept-form"
#: Join codes: no 0/O, 1/I/L; 10 characters of 31 (about 50 bits), shown as XXXXX-XXXXX.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_LENGTH = 10


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    #: The mail, None when the address is failing (bounced or refused): nothing was sent.
    email: OutgoingEmail | None
    url: str


@dataclass(frozen=True)
class OpenInvitation:
    """What an accept link names, still pending."""

    org: Organization
    invitation: Invitation


@dataclass(frozen=True)
class JoinCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class Joined:
    org: Organization
    member: Member
    invitation: Invitation


async def invite(rt: Runtime, org: Organization, address_text: str, role: Role, *,
                 inviter_role: Role, actor: str, inviter_name: str = "") -> SentInvitation:
    """Record an invitation of ``address_text`` to ``org`` as ``role`` and mail it."""
    if not inviter_role.allows(Role.ADMIN):
        raise Forbidden("Inviting people needs an Admin or Owner role.",
                        details={"needed_role": Role.ADMIN.value, "your_role": inviter_role.value})
    if role is Role.OWNER and inviter_role is not Role.OWNER:
        raise Forbidden("Only an Owner can invite an Owner.",
                        details={"needed_role": Role.OWNER.value, "your_role": inviter_role.value})
    address = parse_address(address_text)
    now = rt.clock.now()
    members = await rt.store.list_members(org.id)
    if any(_has_address(m, address) for m in members):
        raise Conflict(f"{address} is already a member of {org.name}.",
                       details={"email": address})
    pending = [i for i in await rt.store.list_invitations(org.id) if i.pending(now)]
    same = next((i for i in pending if i.email.lower() == address.lower()), None)
    if same is not None:
        raise Conflict(f"{address} is invited already ({same.id}, until "
                       f"{same.expires_at:%Y-%m-%d %H:%M} UTC): revoke that invitation to "
                       "send a new one.", details={"invitation_id": same.id})
    check_limit(rt.plans, org.plan, Limit.MEMBERS, len(members) + len(pending))
    outbox = email_outbox(rt)  # before anything is written: no mail, no invitation
    invitation = Invitation(id=new_id("inv"), org_id=org.id, email=address, role=role,
                            invited_by=actor, created_at=now, expires_at=now + INVITATION_TTL)
    await rt.store.insert_invitation(invitation)
    await record(rt, org.id, actor, "member.invited", invitation.id, email=address,
                 role=role.value)
    url = accept_url(rt, invitation)
    content = wording.invitation(org.name, role.value.capitalize(),
                                 inviter_name or _actor_name(actor), url,
                                 f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC")
    email = await outbox.to_address(address, content, kind="invitation", org_id=org.id,
                                    dedupe_key=f"invitation:{invitation.id}")
    return SentInvitation(invitation=invitation, email=email, url=url)


def accept_url(rt: Runtime, invitation: Invitation) -> str:
    """``{PUBLIC_URL}/invitations/accept?token=...``, good until the invitation expires."""
    payload = json.dumps({"o": invitation.org_id, "i": invitation.id}, separators=(",", ":"))
    ttl = max(invitation.expires_at - rt.clock.now(), timedelta(seconds=1))
    token = rt.tokens.sign(_ACCEPT_PURPOSE, payload, ttl)
    return f"{rt.settings.base_url}{ACCEPT_PATH}?{urlencode({'token': token})}"


async def read_invitation(rt: Runtime, token: object) -> OpenInvitation:
    """The pending invitation an accept link is for, spending nothing; Unauthorized with
    ``details["reason"]`` one of ``invalid``, ``expired``, ``accepted``, ``revoked``."""
    try:
        data = json.loads(rt.tokens.open(_ACCEPT_PURPOSE, token).payload)
    except TokenRefused as refused:
        raise _refused(refused.reason) from None
    except ValueError:
        raise _refused("invalid") from None
    if not (isinstance(data, dict) and isinstance(data.get("o"), str)
            and isinstance(data.get("i"), str)):
        raise _refused("invalid")
    try:
        org = await rt.store.get_organization(data["o"])
        invitation = await rt.store.get_invitation(org.id, data["i"])
    except NotFound:
        raise _refused("invalid") from None
    _require_pending(rt, invitation)
    return OpenInvitation(org=org, invitation=invitation)


def form_token(rt: Runtime, token: str, browser_key: str) -> str:
    """The token the accept page's forms carry: good for this link in this browser only."""
    return browser_form_token(rt, _FORM_PURPOSE, token, browser_key)


async def accept_by_email(rt: Runtime, token: str, *, csrf: str, browser_key: str,
                          display_name: str = "") -> Joined:
    """Join as an email-only member (the form of the accept page)."""
    opened = await _from_form(rt, token, csrf, browser_key)
    invitation = opened.invitation
    identity = ChatIdentity(platform=EMAIL_PLATFORM, user_id=invitation.email.lower())
    name = display_name.strip()[:80] or invitation.email.split("@", 1)[0]
    return await _join(rt, opened.org, invitation, identity, name, accepted_on=EMAIL_PLATFORM,
                       actor=f"email:{invitation.email.lower()}")


async def issue_join_code(rt: Runtime, token: str, *, csrf: str,
                          browser_key: str) -> JoinCode:
    """A short code that joins from chat (the accept page's other form); a new code replaces
    the one given before."""
    opened = await _from_form(rt, token, csrf, browser_key)
    invitation = opened.invitation
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    expires_at = min(rt.clock.now() + JOIN_CODE_TTL, invitation.expires_at)
    updated = invitation.model_copy(update={"join_code_digest": _code_digest(code),
                                            "join_code_expires_at": expires_at})
    if not await rt.store.replace_invitation(updated, expected=InvitationStatus.PENDING):
        raise _refused("accepted")
    return JoinCode(code=f"{code[:5]}-{code[5:]}", expires_at=expires_at)


async def join_by_code(rt: Runtime, code: str, identity: ChatIdentity, *,
                       display_name: str = "") -> Joined:
    """``/postflow join CODE``: make ``identity`` a member by the invitation the code is for.
    The identity's workspace must be linked to the invitation's organization."""
    if identity.platform not in CHAT_PLATFORMS or not identity.workspace_id:
        raise BadInput("A join code is entered in a Slack workspace or Discord server.")
    invitation = await rt.store.find_invitation_by_join_code(_code_digest(_normal_code(code)))
    now = rt.clock.now()
    if invitation is None or invitation.join_code_expires_at is None \
            or now >= invitation.join_code_expires_at:
        raise BadInput("This join code is not valid, or has expired (codes work for an hour): "
                       "open the invitation link again for a new one.")
    _require_pending(rt, invitation)
    workspace = await rt.store.find_workspace(identity.platform, identity.workspace_id)
    org = await rt.store.get_organization(invitation.org_id)
    if workspace is None or workspace.org_id != invitation.org_id:
        raise Forbidden(f"This code joins {org.name}, which this workspace is not linked to: "
                        f"run it in a Slack workspace or Discord server of {org.name}.")
    return await _join(rt, org, invitation, identity, display_name or identity.user_id,
                       accepted_on=identity.platform, actor=chat_actor(identity))


async def pending_invitations(rt: Runtime, org: Organization) -> list[Invitation]:
    """The organization's invitations that can still be accepted, newest first."""
    now = rt.clock.now()
    return [i for i in await rt.store.list_invitations(org.id) if i.pending(now)]


async def revoke_invitation(rt: Runtime, org: Organization, invitation_id: str, *,
                            revoker_role: Role, actor: str) -> Invitation:
    """Revoke a pending invitation; its link and any join code stop working."""
    if not revoker_role.allows(Role.ADMIN):
        raise Forbidden("Revoking invitations needs an Admin or Owner role.",
                        details={"needed_role": Role.ADMIN.value, "your_role": revoker_role.value})
    try:
        invitation = await rt.store.get_invitation(org.id, invitation_id.strip())
    except NotFound:
        raise NotFound(f"No invitation {invitation_id.strip()!r} in {org.name}: "
                       "list them with `/postflow invite list`.") from None
    if invitation.role is Role.OWNER and revoker_role is not Role.OWNER:
        raise Forbidden("Only an Owner can revoke an Owner's invitation.",
                        details={"needed_role": Role.OWNER.value, "your_role": revoker_role.value})
    now = rt.clock.now()
    if not invitation.pending(now):
        raise Conflict(f"Invitation {invitation.id} is {_state(invitation, now)}: there is "
                       "nothing to revoke.")
    revoked = invitation.model_copy(update={"status": InvitationStatus.REVOKED,
                                            "finished_at": now, "finished_by": actor})
    if not await rt.store.replace_invitation(revoked, expected=InvitationStatus.PENDING):
        raise Conflict(f"Invitation {invitation.id} was accepted or revoked just now.")
    await record(rt, org.id, actor, "invitation.revoked", invitation.id, email=invitation.email)
    return revoked


def describe_state(invitation: Invitation, now: datetime) -> str:
    """``pending``, ``expired``, ``accepted`` or ``revoked``."""
    return "pending" if invitation.pending(now) else _state(invitation, now)


async def _join(rt: Runtime, org: Organization, invitation: Invitation,
                identity: ChatIdentity, display_name: str, *, accepted_on: str,
                actor: str) -> Joined:
    current = await rt.store.find_member(org.id, identity.platform, identity.workspace_id,
                                         identity.user_id)
    if current is not None:
        return await _join_as_member(rt, org, invitation, current, accepted_on=accepted_on,
                                     actor=actor)
    check_limit(rt.plans, org.plan, Limit.MEMBERS, await rt.store.count_members(org.id))
    now = rt.clock.now()
    member = Member(id=new_id("mem"), org_id=org.id, identity=identity, role=invitation.role,
                    display_name=display_name, created_at=now,
                    # Opening the mailed link proves the address: nothing to confirm again.
                    email=MemberEmail(address=invitation.email, confirmed_at=now,
                                      source="invitation"))
    accepted = invitation.model_copy(update={
        "status": InvitationStatus.ACCEPTED, "finished_at": now, "finished_by": actor,
        "member_id": member.id, "accepted_on": accepted_on})
    if not await rt.store.replace_invitation(accepted, expected=InvitationStatus.PENDING):
        raise _refused("accepted")
    try:
        await rt.store.insert_member(member)
    except Exception:
        # The member could not be written (the identity joined at the same moment): the
        # invitation stays open rather than naming a member that does not exist.
        await rt.store.replace_invitation(invitation, expected=InvitationStatus.ACCEPTED)
        raise
    await record(rt, org.id, actor, "member.joined", member.id, invitation_id=invitation.id,
                 role=member.role.value, platform=identity.platform)
    await rt.notices.notify(MemberRoleChanged(
        org.id, actor, member.id, member_name=f"{display_name} ({invitation.email})",
        old_role="", new_role=member.role.value))
    return Joined(org=org, member=member, invitation=accepted)


async def _join_as_member(rt: Runtime, org: Organization, invitation: Invitation,
                          current: Member, *, accepted_on: str, actor: str) -> Joined:
    """The identity is a member already (Discord admits everyone of a linked server at their
    first command): the invitation raises their role to its own, never lowers it, and gives
    them its address if they have no confirmed one."""
    now = rt.clock.now()
    role = invitation.role if invitation.role.rank > current.role.rank else current.role
    update: dict[str, object] = {"role": role}
    if current.email is None or not current.email.confirmed:
        update["email"] = MemberEmail(address=invitation.email, confirmed_at=now,
                                      source="invitation")
    member = current.model_copy(update=update)
    accepted = invitation.model_copy(update={
        "status": InvitationStatus.ACCEPTED, "finished_at": now, "finished_by": actor,
        "member_id": member.id, "accepted_on": accepted_on})
    if not await rt.store.replace_invitation(accepted, expected=InvitationStatus.PENDING):
        raise _refused("accepted")
    await rt.store.update_member(member)
    await record(rt, org.id, actor, "member.joined", member.id, invitation_id=invitation.id,
                 role=role.value, platform=accepted_on)
    if role is not current.role:
        await record(rt, org.id, actor, "member.role_changed", member.id,
                     old=current.role.value, new=role.value, invitation_id=invitation.id)
        await rt.notices.notify(MemberRoleChanged(
            org.id, actor, member.id, member_name=member.display_name or invitation.email,
            old_role=current.role.value, new_role=role.value))
    return Joined(org=org, member=member, invitation=accepted)


async def _from_form(rt: Runtime, token: str, csrf: str, browser_key: str) -> OpenInvitation:
    if not is_browser_form_token(rt, _FORM_PURPOSE, csrf, token, browser_key):
        raise Unauthorized("This form was not sent from the browser that opened the link.",
                           details={"reason": "browser"})
    return await read_invitation(rt, token)


def _require_pending(rt: Runtime, invitation: Invitation) -> None:
    now = rt.clock.now()
    if not invitation.pending(now):
        raise _refused(_state(invitation, now))


def _state(invitation: Invitation, now: datetime) -> str:
    if invitation.status is not InvitationStatus.PENDING:
        return invitation.status.value
    return "expired" if invitation.expired(now) else "pending"


def _refused(reason: str) -> Unauthorized:
    messages = {"invalid": "This invitation link is not valid.",
                "expired": "This invitation has expired.",
                "accepted": "This invitation was accepted already.",
                "revoked": "This invitation was revoked."}
    return Unauthorized(messages.get(reason, messages["invalid"]),
                        details={"reason": reason if reason in messages else "invalid"})


def _has_address(member: Member, address: str) -> bool:
    wanted = address.lower()
    return any(i.platform == EMAIL_PLATFORM and i.user_id == wanted
               for i in member.identities) or (
        member.email is not None and member.email.confirmed
        and member.email.address.lower() == wanted)


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _code_digest(code: str) -> str:
    return hashlib.sha256(f"invitation-join:{code}".encode()).hexdigest()


def _actor_name(actor: str) -> str:
    return "An operator of PostFlow" if actor == "cli" else "Someone"

