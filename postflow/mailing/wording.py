"""Every word PostFlow mails, in one voice: plain sentences, what happened first, then what to
do. The layout (templates/email/) only places these; nothing here is markup (the HTML part is
autoescaped), and every mail reads whole in plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from postflow.connections import Connection, ConnectionStatus
from postflow.email.content import EmailAction, EmailContent
from postflow.email.preferences import DigestFrequency, EmailKind
from postflow.mailing.digests import DigestFacts
from postflow.notices.events import (
    BillingNotice,
    GraceEnding,
    PaymentFailed,
    PlanChanged,
    TrialEnding,
)
from postflow.plans import LIMIT_NOUNS, shown_amount
from postflow.posts import Post, PostStatus, TargetStatus
from postflow.publish_causes import one_line, target_cause

#: Why a member gets each kind of mail (the footer).
REASONS: dict[EmailKind, str] = {
    EmailKind.FAILURES: "You get this mail because you asked PostFlow to mail you when a post "
                        "fails.",
    EmailKind.CONNECTIONS: "You get this mail because you asked PostFlow to mail you when a "
                           "connected account needs attention.",
    EmailKind.SECURITY: "You get this mail because you asked PostFlow to mail you about "
                        "security changes in your organization.",
    EmailKind.BILLING: "You get this mail because you are an Owner and asked PostFlow to mail "
                       "you about billing.",
    EmailKind.DIGEST: "You get this mail because you asked PostFlow for a digest.",
}

#: How each kind is named in preferences and on the unsubscribe page.
KIND_NAMES: dict[EmailKind, str] = {
    EmailKind.FAILURES: "failed posts",
    EmailKind.CONNECTIONS: "accounts that need attention",
    EmailKind.SECURITY: "security changes",
    EmailKind.BILLING: "billing",
    EmailKind.DIGEST: "the digest",
}

#: Said under the reason of mail a member chose.
PREFERENCES_HINT = "Change what PostFlow mails you with `/postflow email prefs` in chat."


def unsubscribe_label(kind: EmailKind) -> str:
    return f"Stop mail about {KIND_NAMES[kind]}"


def confirm_address(org_name: str, address: str, link: str) -> EmailContent:
    return EmailContent(
        subject="Confirm your email address for PostFlow",
        headline=f"Confirm that PostFlow may mail {address} for {org_name}.",
        paragraphs=("PostFlow mails you only once you confirm, and only the kinds of mail you "
                    "choose. The link works for two days.",
                    "If you did not ask for this, ignore this mail: nothing will be sent to "
                    "this address."),
        action=EmailAction("Confirm my address", link),
        reason=f"Someone in {org_name} gave this address to PostFlow.")


def invitation(org_name: str, role: str, inviter: str, link: str,
               expires: str) -> EmailContent:
    """An invitation to join an organization (mail nobody unsubscribes from)."""
    return EmailContent(
        subject=f"You are invited to join {org_name} on PostFlow",
        headline=f"{inviter} invited you to join {org_name} on PostFlow as {role}.",
        paragraphs=("PostFlow composes, reviews and schedules an organization's social posts "
                    "from Slack or Discord. Open the link to see the invitation and accept "
                    "it, with this address alone or from your Slack or Discord.",
                    f"The invitation can be accepted once, until {expires}.",
                    "If you did not expect it, ignore this mail: nothing happens."),
        facts=(("Organization", org_name), ("Role", role)),
        action=EmailAction("See the invitation", link),
        reason=f"Someone in {org_name} invited this address to PostFlow.")


def billing_link(org_name: str, link: str, minutes: int) -> EmailContent:
    """A billing page link for an Owner (one without chat cannot run ``/postflow billing``)."""
    return EmailContent(
        subject=f"Your billing page link for {org_name}",
        headline=f"Open the billing page of {org_name} on PostFlow.",
        paragraphs=(f"The link is for you only and works once, for {minutes} minutes.",
                    "If you did not expect it, ignore this mail: nothing happens."),
        action=EmailAction("Open the billing page", link),
        reason=f"You are an Owner of {org_name} on PostFlow.")


def post_outcome(org_name: str, post: Post, accounts: Mapping[str, Connection],
                 link: str) -> EmailContent:
    """A post that went out nowhere, or only on some accounts: which, why, where to look."""
    missed = [t for t in post.targets if t.status is not TargetStatus.PUBLISHED]
    quoted = f"“{one_line(post.text, 80)}”"
    if post.status is PostStatus.PARTIAL:
        subject = f"A post went out on {len(post.targets) - len(missed)} of " \
                  f"{len(post.targets)} accounts"
        headline = f"Post {post.id} went out on some accounts only: {quoted}"
    else:
        subject = "A post was not published"
        headline = f"Post {post.id} was not published: {quoted}"
    facts = []
    for target in post.targets:
        name = _account_name(accounts, target.connection_id, target.network)
        if target.status is TargetStatus.PUBLISHED:
            facts.append((name, f"published: {target.url or 'yes'}"))
        else:
            facts.append((name, f"not published: {target_cause(target)}."))
    return EmailContent(
        subject=f"{subject} ({org_name})", headline=headline, facts=tuple(facts),
        paragraphs=("An Admin can publish it again (only the accounts it missed are tried) or "
                    "cancel it: `/postflow list failed` in chat, or the buttons on the notice.",),
        action=EmailAction("See the post", link))


def connection_broken(org_name: str, connection: Connection) -> EmailContent:
    return EmailContent(
        subject=f"Reconnect {connection.display_name} on {connection.network} ({org_name})",
        headline=f"PostFlow can no longer post to the {connection.network} account "
                 f"{connection.display_name}.",
        paragraphs=("Its access was revoked or expired, so posts to it fail until an Admin "
                    f"connects it again: `/postflow connect {connection.network}` in chat.",))


def token_expiring(org_name: str, connection: Connection, days_left: int) -> EmailContent:
    when = "within a day" if days_left <= 1 else f"in {days_left} days"
    return EmailContent(
        subject=f"{connection.display_name} on {connection.network} stops working {when} "
                f"({org_name})",
        headline=f"The {connection.network} account {connection.display_name} stops working "
                 f"{when}.",
        paragraphs=(f"{connection.network} does not let PostFlow renew its access. An Admin "
                    f"keeps it working by connecting it again: `/postflow connect "
                    f"{connection.network}` in chat.",))


def security_change(org_name: str, what: str, who: str) -> EmailContent:
    """``what``: a sentence saying what changed; ``who``: who did it."""
    return EmailContent(
        subject=f"Security change in {org_name} on PostFlow",
        headline=what,
        facts=(("Done by", who), ("Organization", org_name)),
        paragraphs=("If this was expected, there is nothing to do. If not, tell an Owner of "
                    "the organization at once.",))


def plan_limit(org_name: str, limit: str, message: str) -> EmailContent:
    return EmailContent(
        subject=f"{org_name} reached a limit of its PostFlow plan",
        headline=f"{org_name} reached its plan's limit of {limit.replace('_', ' ')}.",
        paragraphs=(message, "An Owner can see the plan and its limits with `/postflow billing` "
                             "in chat."))


#: What an Owner does about billing, said in every billing mail.
BILLING_HINT = "An Owner opens the billing page with `/postflow billing` in chat."


def billing_notice(org_name: str, notice: BillingNotice) -> EmailContent:
    """A billing notice to an organization's Owners: what happened to the plan, by when, and
    what to do (the same facts chat's billing notice says)."""
    plan = notice.plan_name
    match notice:
        case PaymentFailed(grace_until=until):
            return EmailContent(
                subject=f"A payment for {org_name}'s PostFlow plan failed",
                headline=f"A payment for the {plan} plan of {org_name} failed.",
                facts=(("Plan", plan), ("The plan stays until", f"{until:%Y-%m-%d}")),
                paragraphs=(f"Update the card before {until:%Y-%m-%d}, or the organization "
                            "moves to the free plan.", BILLING_HINT))
        case TrialEnding(trial_end=end):
            return EmailContent(
                subject=f"{org_name}'s {plan} trial ends on {end:%Y-%m-%d}",
                headline=f"The {plan} trial of {org_name} ends on {end:%Y-%m-%d}.",
                paragraphs=("Add a card before then to keep the plan; without one the "
                            "organization moves to the free plan.", BILLING_HINT))
        case GraceEnding(grace_until=until):
            return EmailContent(
                subject=f"{org_name}'s grace period on the {plan} plan ends on "
                        f"{until:%Y-%m-%d}",
                headline=f"The grace period for {org_name}'s failed payment ends on "
                         f"{until:%Y-%m-%d %H:%M} UTC.",
                paragraphs=(f"Then the organization leaves the {plan} plan. Update the card "
                            "before then to keep it.", BILLING_HINT))
        case PlanChanged():
            return _plan_changed(org_name, notice)
    return EmailContent(subject=f"Billing changed for {org_name} on PostFlow",
                        headline=f"Billing changed for the {plan} plan of {org_name}.",
                        paragraphs=(BILLING_HINT,))


def _plan_changed(org_name: str, notice: PlanChanged) -> EmailContent:
    facts = [("Was on", notice.old_plan_name), ("Now on", notice.plan_name),
             ("Why", notice.reason)]
    if notice.paused:
        facts.append(("Paused over the new limit (kept, not publishing)",
                      ", ".join(notice.paused)))
    if notice.resumed:
        facts.append(("Resumed", ", ".join(notice.resumed)))
    paragraphs = []
    if notice.held_posts:
        paragraphs.append(f"{_count(notice.held_posts, 'scheduled post')} wait until the plan "
                          "allows them; nothing was deleted.")
    paragraphs.append(BILLING_HINT)
    return EmailContent(
        subject=f"{org_name} is now on the {notice.plan_name} plan of PostFlow",
        headline=f"{org_name} moved from the {notice.old_plan_name} plan to the "
                 f"{notice.plan_name} plan.",
        facts=tuple(facts), paragraphs=tuple(paragraphs))


def _account_name(accounts: Mapping[str, Connection], connection_id: str, network: str) -> str:
    account = accounts.get(connection_id)
    return f"{account.display_name} ({network})" if account is not None else f"{network} account"


#: How many upcoming posts and waiting reviews a digest lists one by one.
DIGEST_LISTED = 5


def digest(facts: DigestFacts) -> EmailContent:
    """A daily or weekly digest: what happened in the period, what comes next, what waits."""
    daily = facts.period.frequency is DigestFrequency.DAILY
    span = "yesterday" if daily else "last week"
    since = _local(facts.period.since, facts.zone)
    headline = (f"{span.capitalize()} in {facts.org_name}: {_count(facts.published, 'post')} "
                f"published, {facts.failed} failed.")
    lines: list[tuple[str, str]] = [
        ("Published", f"{facts.published} (since {since})"),
        ("Failed", f"{facts.failed}" + (" — `/postflow list failed` in chat shows them"
                                        if facts.failed else "")),
        ("Coming up in the next 7 days", f"{_count(len(facts.upcoming), 'scheduled post')}"),
    ]
    for post in facts.upcoming[:DIGEST_LISTED]:
        due = post.due_at or post.scheduled_at
        assert due is not None
        lines.append((_local(due, facts.zone), f"“{one_line(post.text, 70)}”"))
    if len(facts.upcoming) > DIGEST_LISTED:
        lines.append(("And", f"{len(facts.upcoming) - DIGEST_LISTED} more"))
    if facts.waiting:
        lines.append(("Waiting for your approval", _count(len(facts.waiting), "post")))
        for waiting in facts.waiting[:DIGEST_LISTED]:
            lines.append((f"Post {waiting.post.id}",
                          f"“{one_line(waiting.post.text, 70)}” {waiting.link}"))
    for account in facts.accounts:
        lines.append((f"{account.display_name} ({account.network})",
                      _account_state(account, facts)))
    for line in facts.usage:
        if line.allowed is not None:
            lines.append((f"Plan: {LIMIT_NOUNS[line.limit].removeprefix('of ')}",
                          f"{shown_amount(line.limit, line.used)} of "
                          f"{shown_amount(line.limit, line.allowed)}"))
    paragraphs = []
    if facts.accounts:
        paragraphs.append("An Admin reconnects an account with `/postflow connect NETWORK` "
                          "in chat.")
    if any(line.near for line in facts.usage):
        paragraphs.append("The organization is near a limit of its plan: an Owner sees the "
                          "plan with `/postflow billing` in chat.")
    return EmailContent(
        subject=f"Your {'daily' if daily else 'weekly'} PostFlow digest for {facts.org_name}",
        headline=headline, facts=tuple(lines), paragraphs=tuple(paragraphs),
        action=(EmailAction("Review the first post waiting for you", facts.waiting[0].link)
                if facts.waiting else None))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _local(instant: datetime, zone: ZoneInfo) -> str:
    local = instant.astimezone(zone)
    return f"{local:%a %d %b %H:%M} ({zone.key})"


def _account_state(account: Connection, facts: DigestFacts) -> str:
    if account.status is ConnectionStatus.NEEDS_RECONNECT or account.token_expires_at is None:
        return "needs reconnecting"
    return f"stops working {_local(account.token_expires_at, facts.zone)}"
