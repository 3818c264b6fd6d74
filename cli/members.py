"""``postflow member list|email|prefs`` (and ``invite|invitations|revoke-invite``, in
cli/invitations.py): an organization's members, their email addresses and what PostFlow mails
them. ``--member`` is a member id or the member's chat user id."""

from __future__ import annotations

import argparse

from cli.context import CLI_ACTOR, CommandContext, Subcommands
from cli.invitations import register_actions as register_invitation_actions
from cli.member_refs import find_member
from cli.output import iso, table, when
from postflow.email.preferences import EmailKind
from postflow.mailing.addresses import (
    parse_digest,
    parse_kind,
    set_member_address,
    set_preferences,
)
from postflow.mailing.recipients import effective_preferences
from postflow.organizations import Member, Organization
from postflow.runtime import Runtime


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("member", help="list members; set their email and mail "
                                               "preferences")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[common], help="list an organization's members")
    listing.add_argument("--org", required=True, metavar="ORG", help="organization id or name")
    listing.set_defaults(handler=list_members)

    email = actions.add_parser("email", help="a member's email address")
    email_actions = email.add_subparsers(dest="email_action", required=True, metavar="ACTION")
    set_email = email_actions.add_parser(
        "set", parents=[common],
        help="give a member an address; PostFlow mails it a confirmation link")
    set_email.add_argument("--org", required=True, metavar="ORG")
    set_email.add_argument("--member", required=True, metavar="M",
                           help="member id or chat user id")
    set_email.add_argument("--email", required=True, metavar="E")
    set_email.set_defaults(handler=set_email_address)

    prefs = actions.add_parser("prefs", parents=[common],
                               help="show or change what PostFlow mails a member")
    prefs.add_argument("--org", required=True, metavar="ORG")
    prefs.add_argument("--member", required=True, metavar="M")
    prefs.add_argument("--on", action="append", default=[], metavar="KIND",
                       help="mail this kind at once: failures, connections, security, billing")
    prefs.add_argument("--off", action="append", default=[], metavar="KIND")
    prefs.add_argument("--digest", metavar="FREQ", help="daily, weekly or none")
    prefs.add_argument("--timezone", metavar="ZONE",
                       help="the IANA zone the digest comes at 08:00 in (default: the org's)")
    prefs.set_defaults(handler=member_prefs)
    register_invitation_actions(actions, common)


def list_members(args: argparse.Namespace, ctx: CommandContext) -> None:
    members = ctx.run_in_org(args.org, lambda rt, org: rt.store.list_members(org.id))
    lines = table(["ID", "NAME", "ROLE", "IDENTITY", "EMAIL", "CREATED"],
                  [[m.id, m.display_name, m.role.value, _identity(m), _email_cell(m),
                    when(m.created_at)] for m in members])
    ctx.out.result({"members": [member_view(m) for m in members]},
                   lines if members else ["No members yet."])


def set_email_address(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime, org: Organization) -> tuple[Member, bool]:
        member = await find_member(rt, org, args.member)
        sent = await set_member_address(rt, org, member, args.email, actor=CLI_ACTOR,
                                        source="cli")
        return await find_member(rt, org, member.id), sent is not None

    member, sent = ctx.run_in_org(args.org, work)
    assert member.email is not None
    line = (f"PostFlow mailed a confirmation link to {member.email.address}; it is used once "
            "its owner opens the link." if sent else
            f"{member.email.address} is saved, but mail to it keeps failing (bounced or "
            "refused): PostFlow will not mail it.")
    ctx.out.result({"member": member_view(member), "confirmation_sent": sent}, [line])


def member_prefs(args: argparse.Namespace, ctx: CommandContext) -> None:
    turn: dict[EmailKind, bool] = {parse_kind(k): True for k in args.on}
    turn.update({parse_kind(k): False for k in args.off})
    digest = parse_digest(args.digest) if args.digest else None

    async def work(rt: Runtime, org: Organization) -> Member:
        member = await find_member(rt, org, args.member)
        if not turn and digest is None and args.timezone is None:
            return member
        return await set_preferences(rt, org, member, turn=turn, digest=digest,
                                     timezone=args.timezone, actor=CLI_ACTOR)

    member = ctx.run_in_org(args.org, work)
    prefs = member_view(member)["email_preferences"]
    assert isinstance(prefs, dict)
    ctx.out.result({"member": member_view(member)}, [
        f"Immediate mail: {', '.join(prefs['immediate']) or 'none'}",
        f"Digest: {prefs['digest']}, at 08:00 {member.timezone or 'in the organization zone'}"])


def member_view(member: Member) -> dict[str, object]:
    prefs = effective_preferences(member)
    return {"id": member.id, "org_id": member.org_id, "display_name": member.display_name,
            "role": member.role.value,
            "identities": [i.model_dump() for i in member.identities],
            "email_only": member.chat_identity is None and member.identity.platform == "email",
            "email": None if member.email is None else {
                "address": member.email.address, "confirmed": member.email.confirmed,
                "confirmed_at": iso(member.email.confirmed_at), "source": member.email.source},
            "email_preferences": {"immediate": [k.value for k in prefs.immediate],
                                  "digest": prefs.digest.value,
                                  "chosen": member.email_preferences is not None},
            "timezone": member.timezone,
            "created_at": iso(member.created_at)}


def _identity(member: Member) -> str:
    who = member.identity
    return f"{who.platform}:{who.user_id}"


def _email_cell(member: Member) -> str:
    if member.email is None:
        return ""
    return member.email.address + ("" if member.email.confirmed else " (unconfirmed)")
