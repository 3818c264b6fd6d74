"""``postflow member invite|invitations|revoke-invite``: invitations by email (see
:mod:`postflow.mailing.invitations`), and ``postflow member billing-link``, the way back to the
billing page for an Owner without chat. The shell acts with an Owner's rights."""

from __future__ import annotations

import argparse
from datetime import datetime

from cli.context import CLI_ACTOR, CommandContext
from cli.member_refs import find_member
from cli.output import iso, table, when
from postflow.chatops.billing_mail import mail_billing_link
from postflow.chatops.roles import parse_role
from postflow.invitations import Invitation
from postflow.mailing.invitations import (
    SentInvitation,
    describe_state,
    invite,
    revoke_invitation,
)
from postflow.organizations import Organization, Role
from postflow.runtime import Runtime


def register_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser],
                     common: argparse.ArgumentParser) -> None:
    inviting = actions.add_parser("invite", parents=[common],
                                  help="mail someone an invitation to join (7 days)")
    inviting.add_argument("--org", required=True, metavar="ORG")
    inviting.add_argument("--email", required=True, metavar="E")
    inviting.add_argument("--role", default="member", metavar="R",
                          help="viewer, member (default), admin or owner")
    inviting.set_defaults(handler=invite_member)

    listing = actions.add_parser("invitations", parents=[common],
                                 help="list an organization's invitations")
    listing.add_argument("--org", required=True, metavar="ORG")
    listing.add_argument("--all", action="store_true",
                         help="also accepted, revoked and expired ones")
    listing.set_defaults(handler=list_invitations)

    revoking = actions.add_parser("revoke-invite", parents=[common],
                                  help="revoke a pending invitation (its link stops working)")
    revoking.add_argument("--org", required=True, metavar="ORG")
    revoking.add_argument("--id", required=True, metavar="ID", dest="invitation_id")
    revoking.set_defaults(handler=revoke_invite)

    billing = actions.add_parser("billing-link", parents=[common],
                                 help="mail an Owner a billing page link (15 minutes)")
    billing.add_argument("--org", required=True, metavar="ORG")
    billing.add_argument("--member", required=True, metavar="M",
                         help="member id, chat user id or (email-only) address")
    billing.set_defaults(handler=mail_billing)


def invite_member(args: argparse.Namespace, ctx: CommandContext) -> None:
    role = parse_role(args.role)

    async def work(rt: Runtime, org: Organization) -> SentInvitation:
        return await invite(rt, org, args.email, role, inviter_role=Role.OWNER,
                            actor=CLI_ACTOR)

    sent = ctx.run_in_org(args.org, work)
    invitation = sent.invitation
    line = (f"PostFlow mailed {invitation.email} an invitation to join as {role.value} "
            f"(id {invitation.id}, until {when(invitation.expires_at)})." if sent.email else
            f"Invitation {invitation.id} is recorded, but mail to {invitation.email} keeps "
            "failing (bounced or refused): it was not sent.")
    ctx.out.result({"invitation": invitation_view(invitation, invitation.created_at),
                    "mailed": sent.email is not None}, [line])


def list_invitations(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[list[Invitation], Runtime]:
        return await rt.store.list_invitations(org.id), rt

    found, rt = ctx.run_in_org(args.org, work)
    now = rt.clock.now()
    shown = [i for i in found if args.all or i.pending(now)]
    lines = table(["ID", "EMAIL", "ROLE", "STATE", "INVITED BY", "EXPIRES"],
                  [[i.id, i.email, i.role.value, describe_state(i, now), i.invited_by,
                    when(i.expires_at)] for i in shown])
    ctx.out.result({"invitations": [invitation_view(i, now) for i in shown]},
                   lines if shown else ["No pending invitations."])


def revoke_invite(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> Invitation:
        return await revoke_invitation(rt, org, args.invitation_id, revoker_role=Role.OWNER,
                                       actor=CLI_ACTOR)

    revoked = ctx.run_in_org(args.org, work)
    ctx.out.result({"invitation": invitation_view(revoked, revoked.created_at)},
                   [f"Invitation {revoked.id} of {revoked.email} is revoked."])


def mail_billing(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> str:
        member = await find_member(rt, org, args.member)
        return (await mail_billing_link(rt, org, member)).to

    address = ctx.run_in_org(args.org, work)
    ctx.out.result({"mailed": address}, [f"PostFlow mailed a billing page link to {address} "
                                         "(for them only; it works once, for 15 minutes)."])


def invitation_view(invitation: Invitation, now: datetime) -> dict[str, object]:
    """The invitation as ``--json`` shows it; ``state`` as of ``now``."""
    return {"id": invitation.id, "org_id": invitation.org_id, "email": invitation.email,
            "role": invitation.role.value, "state": describe_state(invitation, now),
            "invited_by": invitation.invited_by,
            "created_at": iso(invitation.created_at), "expires_at": iso(invitation.expires_at),
            "finished_at": iso(invitation.finished_at), "member_id": invitation.member_id or None,
            "accepted_on": invitation.accepted_on or None}
