"""A billing page link by mail, for an Owner without chat (an email-only member cannot run
``/postflow billing``): ``postflow member billing-link``."""

from __future__ import annotations

from postflow.chatops.billing_link import LINK_TTL, billing_url
from postflow.email.message import OutgoingEmail
from postflow.errors import BadInput
from postflow.mailing import wording
from postflow.mailing.addresses import email_outbox
from postflow.organizations import Member, Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record


async def mail_billing_link(rt: Runtime, org: Organization, member: Member) -> OutgoingEmail:
    """Mail an Owner a billing page link (``postflow member billing-link``): the way back to
    the billing page for an Owner without chat. BadInput unless they are an Owner with a
    confirmed address that is not failing."""
    if member.role is not Role.OWNER:
        raise BadInput("Only an Owner opens the billing page.",
                       details={"member_id": member.id})
    if member.email is None or not member.email.confirmed:
        raise BadInput("This member has no confirmed address to mail.",
                       details={"member_id": member.id})
    link = billing_url(rt, org.id, member.id)
    email = await email_outbox(rt).to_address(
        member.email.address, wording.billing_link(org.name, link,
                                                   int(LINK_TTL.total_seconds() // 60)),
        kind="billing_link", org_id=org.id, member_id=member.id)
    if email is None:
        raise BadInput(f"Mail to {member.email.address} keeps failing (bounced or refused).")
    await record(rt, org.id, "cli", "member.billing_link_mailed", member.id)
    return email
