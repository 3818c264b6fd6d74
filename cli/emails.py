"""``postflow email list|unsuppress``: the mail PostFlow recorded for an organization, and
mailing an address again after it bounced or was refused."""

from __future__ import annotations

import argparse

from cli.context import CommandContext, Subcommands
from cli.output import iso, table, when
from postflow.email.message import OutgoingEmail, address_key
from postflow.runtime import Runtime

DEFAULT_LIMIT = 20


def register(commands: Subcommands, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("email", help="recorded mail; addresses no longer mailed")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", parents=[common],
                                 help="an organization's recorded mail, newest first")
    listing.add_argument("--org", required=True, metavar="ORG")
    listing.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N")
    listing.set_defaults(handler=list_emails)

    lift = actions.add_parser("unsuppress", parents=[common],
                              help="mail an address again after it bounced, complained or "
                                   "was refused")
    lift.add_argument("address", metavar="ADDRESS")
    lift.set_defaults(handler=unsuppress)


def list_emails(args: argparse.Namespace, ctx: CommandContext) -> None:
    limit = max(1, min(args.limit, 500))
    emails = ctx.run_in_org(args.org,
                            lambda rt, org: rt.store.list_outgoing_emails(org.id, limit))
    lines = table(["ID", "KIND", "TO", "STATUS", "ATTEMPTS", "CREATED", "ERROR"],
                  [[e.id, e.kind, e.to, e.status.value, e.attempts, when(e.created_at), e.error]
                   for e in emails])
    ctx.out.result({"emails": [email_view(e) for e in emails]},
                   lines if emails else ["No mail recorded for this organization."])


def unsuppress(args: argparse.Namespace, ctx: CommandContext) -> None:
    async def work(rt: Runtime) -> bool:
        return await rt.store.lift_email_suppression(args.address)

    lifted = ctx.run(work)
    address = address_key(args.address)
    ctx.out.result({"address": address, "lifted": lifted}, [
        f"PostFlow mails {address} again." if lifted
        else f"{address} was not suppressed: PostFlow mails it already."])


def email_view(email: OutgoingEmail) -> dict[str, object]:
    """Never the body or the headers: links in them carry tokens."""
    return {"id": email.id, "org_id": email.org_id, "member_id": email.member_id,
            "kind": email.kind, "to": email.to, "subject": email.subject,
            "status": email.status.value, "attempts": email.attempts, "error": email.error,
            "created_at": iso(email.created_at), "sent_at": iso(email.sent_at)}
