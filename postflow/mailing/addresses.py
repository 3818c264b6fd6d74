"""Members' addresses and mail preferences: set an address (confirmed by a signed link before
anything else is mailed to it), confirm it, choose what is mailed, unsubscribe in one click."""

from __future__ import annotations

import re

from postflow.email.links import EmailLinks
from postflow.email.message import OutgoingEmail
from postflow.email.preferences import DigestFrequency, EmailKind, EmailPreferences, MemberEmail
from postflow.errors import BadInput, ConfigurationError, NotFound
from postflow.mailing import wording
from postflow.mailing.outbox import EmailOutbox
from postflow.mailing.recipients import effective_preferences
from postflow.organizations import Member, Organization
from postflow.runtime import Runtime
from postflow.timezones import require_timezone
from postflow.usecases.audit_log import record

#: A deliberately plain check: one @, a dot in the domain, no spaces or angle brackets. The
#: confirmation mail is the real test.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$")
MAX_ADDRESS_LENGTH = 254


def email_outbox(rt: Runtime) -> EmailOutbox:
    """The runtime's way to mail; ConfigurationError when it was built without mail."""
    if rt.mail is None:
        raise ConfigurationError("This PostFlow process was started without email.")
    return EmailOutbox(rt.store, rt.mail, email_links(rt), rt.clock)


def email_links(rt: Runtime) -> EmailLinks:
    return EmailLinks(rt.tokens, rt.settings.base_url)


#: How Slack sends an address typed in a command (its manifest asks for escaped text):
#: ``<mailto:ada@example.com|ada@example.com>``.
_SLACK_MAILTO = re.compile(r"^<mailto:([^|<>]+)(?:\|[^<>]*)?>$", re.IGNORECASE)


def parse_address(text: str) -> str:
    mailto = _SLACK_MAILTO.match(text.strip())
    address = mailto.group(1) if mailto else text.strip().strip("<>").strip()
    if len(address) > MAX_ADDRESS_LENGTH or not _ADDRESS.match(address):
        raise BadInput(f"{text.strip()!r} is not an email address: write it as "
                       "name@example.com.", details={"email": text.strip()[:MAX_ADDRESS_LENGTH]})
    return address


async def set_member_address(rt: Runtime, org: Organization, member: Member, text: str, *,
                             actor: str, source: str) -> OutgoingEmail | None:
    """Give ``member`` the address ``text`` (unconfirmed) and mail it a confirmation link;
    the confirmation mail (None when the address is failing)."""
    address = parse_address(text)
    updated = member.model_copy(update={"email": MemberEmail(address=address, source=source)})
    await rt.store.update_member(updated)
    await record(rt, org.id, actor, "member.email_set", member.id, source=source)
    outbox = email_outbox(rt)
    link = outbox.links.confirm(org.id, member.id, address)
    return await outbox.to_address(address, wording.confirm_address(org.name, address, link),
                                   kind="confirm_address", org_id=org.id, member_id=member.id)


async def confirm_member_address(rt: Runtime, token: object) -> tuple[Organization, Member]:
    """Confirm the address a confirmation link was made for; TokenRefused for a bad link,
    NotFound when the member is gone or has another address now."""
    opened = email_links(rt).open_confirm(token)
    org, member = await member_by_id(rt, opened.org_id, opened.member_id)
    if member.email is None or member.email.address != opened.address:
        raise NotFound("This link is for an address the member no longer uses.")
    if not member.email.confirmed:
        member = member.model_copy(update={"email": member.email.model_copy(
            update={"confirmed_at": rt.clock.now()})})
        await rt.store.update_member(member)
        await record(rt, org.id, f"email:{member.id}", "member.email_confirmed", member.id)
    return org, member


async def set_preferences(rt: Runtime, org: Organization, member: Member, *,
                          turn: dict[EmailKind, bool] | None = None,
                          digest: DigestFrequency | None = None, timezone: str | None = None,
                          actor: str) -> Member:
    """Turn kinds of mail on or off and choose the digest, starting from what the member has
    now (their role's defaults if they never chose)."""
    prefs: EmailPreferences = effective_preferences(member)
    for kind, on in (turn or {}).items():
        prefs = prefs.with_kind(kind, on)
    if digest is not None:
        prefs = prefs.model_copy(update={"digest": digest})
    update: dict[str, object] = {"email_preferences": prefs}
    if timezone is not None:
        update["timezone"] = require_timezone(timezone)
    updated = member.model_copy(update=update)
    await rt.store.update_member(updated)
    await record(rt, org.id, actor, "member.email_preferences_set", member.id,
                 immediate=",".join(k.value for k in prefs.immediate),
                 digest=prefs.digest.value, timezone=updated.timezone or "")
    return updated


async def unsubscribe(rt: Runtime, token: object) -> tuple[Organization, Member, EmailKind]:
    """Turn off the kind of mail an unsubscribe link was made for (RFC 8058 one-click)."""
    opened = email_links(rt).open_unsubscribe(token)
    org, member = await member_by_id(rt, opened.org_id, opened.member_id)
    if effective_preferences(member).wants(opened.kind):
        member = await set_preferences(rt, org, member, turn={opened.kind: False},
                                       actor=f"email:{member.id}")
    return org, member, opened.kind


async def member_by_id(rt: Runtime, org_id: str, member_id: str) -> tuple[Organization, Member]:
    org = await rt.store.get_organization(org_id)
    for member in await rt.store.list_members(org_id):
        if member.id == member_id:
            return org, member
    raise NotFound("No such member.", details={"member_id": member_id})


def parse_kind(text: str) -> EmailKind:
    try:
        return EmailKind(text.strip().lower())
    except ValueError:
        raise BadInput(f"{text!r} is not a kind of mail: use "
                       f"{', '.join(k.value for k in EmailKind)}.") from None


def parse_digest(text: str) -> DigestFrequency:
    try:
        return DigestFrequency(text.strip().lower())
    except ValueError:
        raise BadInput(f"{text!r} is not a digest: use daily, weekly or none.") from None


def describe_preferences(member: Member) -> list[str]:
    """One line per kind: on or off; then the digest; then the address."""
    prefs = effective_preferences(member)
    lines = [f"{wording.KIND_NAMES[kind]} ({kind.value}): {'on' if prefs.wants(kind) else 'off'}"
             for kind in EmailKind if kind is not EmailKind.DIGEST]
    lines.append(f"digest: {prefs.digest.value}"
                 + (f" at 08:00 {member.timezone}" if member.timezone else ""))
    return lines
