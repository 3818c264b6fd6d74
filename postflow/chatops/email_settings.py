"""``/postflow email``: a member's own address and what PostFlow mails them.

- ``/postflow email``: the address, whether it is confirmed, and the preferences;
- ``/postflow email set ADDRESS``: a new address, confirmed by a link mailed to it (without
  ADDRESS: the chat profile's, when the adapter read it: Slack with ``users:read.email``);
- ``/postflow email prefs [KIND on|off ...] [digest daily|weekly|none]``: choose what is mailed.
"""

from __future__ import annotations

from postflow.chatops.callers import Membership
from postflow.chatops.replies import Reply
from postflow.email.preferences import DigestFrequency, EmailKind
from postflow.errors import BadInput
from postflow.mailing.addresses import (
    describe_preferences,
    parse_digest,
    parse_kind,
    set_member_address,
    set_preferences,
)
from postflow.organizations import Member
from postflow.runtime import Runtime

USAGE = ("`/postflow email set you@example.com`, or `/postflow email prefs failures off "
         "digest weekly` (kinds: failures, connections, security, billing; digest: daily, "
         "weekly or none, at 08:00 in `timezone Europe/Paris`, else the organization's).")


async def email_command(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    if not args:
        return _show(who.member)
    action, rest = args[0].lower(), args[1:]
    if action == "set":
        if len(rest) > 1 or not (rest or who.caller.profile_email):
            raise BadInput(f"Say the address: {USAGE} (On Slack, `/postflow email set` alone "
                           "takes your profile's address when the app may read it.)")
        address, source = (rest[0], "chat") if rest else (who.caller.profile_email,
                                                          f"{who.caller.identity.platform}"
                                                          "_profile")
        sent = await set_member_address(rt, who.org, who.member, address, actor=who.actor,
                                        source=source)
        if sent is None:
            return Reply(text="Mail to that address keeps failing (it bounced or was refused), "
                              "so PostFlow will not mail it. Give another address.", error=True)
        return Reply(text=f"PostFlow mailed a confirmation link to {sent.to}: open it within "
                          "two days, and PostFlow mails you from then on.")
    if action in ("prefs", "preferences"):
        if not rest:
            return _show(who.member)
        turn, digest, timezone = parse_prefs(rest)
        member = await set_preferences(rt, who.org, who.member, turn=turn, digest=digest,
                                       timezone=timezone, actor=who.actor)
        return _show(member, "Saved.")
    raise BadInput(f"`{args[0]}` is not an email command: {USAGE}")


def parse_prefs(words: list[str]) -> tuple[dict[EmailKind, bool], DigestFrequency | None,
                                           str | None]:
    """``failures off digest weekly timezone Europe/Paris`` -> ({FAILURES: False}, WEEKLY,
    ``Europe/Paris``)."""
    if len(words) % 2:
        raise BadInput(f"Say each kind with on or off: {USAGE}")
    turn: dict[EmailKind, bool] = {}
    digest: DigestFrequency | None = None
    timezone: str | None = None
    for name, value in zip(words[::2], words[1::2], strict=True):
        if name.lower() == "timezone":
            timezone = value
            continue
        if name.lower() == "digest":
            digest = parse_digest(value)
            continue
        kind = parse_kind(name)
        if value.lower() not in ("on", "off"):
            raise BadInput(f"Say on or off after {name}: {USAGE}")
        turn[kind] = value.lower() == "on"
    return turn, digest, timezone


def _show(member: Member, first: str = "") -> Reply:
    if member.email is None:
        address = "You have no email address yet: `/postflow email set you@example.com`."
    elif member.email.confirmed:
        address = f"Mail goes to {member.email.address}."
    else:
        address = (f"{member.email.address} is not confirmed yet: open the link PostFlow "
                   "mailed to it (or set it again for a new link).")
    lines = "; ".join(describe_preferences(member))
    return Reply(text=" ".join(part for part in (first, address, f"Mail: {lines}.") if part))
