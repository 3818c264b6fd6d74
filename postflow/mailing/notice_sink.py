"""Email as a notice sink (:class:`~postflow.notices.router.NoticeSink`): each notice of a kind
a member can ask to be mailed about goes to the members it concerns (the one audience every
sink that addresses people shares, :func:`~postflow.notices.audience.notice_audience`), among
them to those who asked for that kind and have a confirmed, non-failing address. The mail is
recorded and queued here; the ``email`` queue sends it."""

from __future__ import annotations

from postflow.chat_actors import read_chat_actor
from postflow.connections import Connection
from postflow.email.content import EmailContent
from postflow.email.preferences import EmailKind
from postflow.errors import NotFound
from postflow.mailing import wording
from postflow.mailing.outbox import EmailOutbox
from postflow.mailing.recipients import effective_preferences, mailable
from postflow.notices.audience import notice_audience
from postflow.notices.events import (
    BILLING_NOTICES,
    BillingNotice,
    ConnectionAdded,
    ConnectionBroken,
    HookCreated,
    HookRotated,
    MemberRoleChanged,
    Notice,
    PlanLimitReached,
    PostFailed,
    PostPartiallyPublished,
    SecurityNotice,
    TokenExpiring,
)
from postflow.organizations import EMAIL_PLATFORM, Member, Organization
from postflow.posts import Post

#: The kind of mail each notice is, by notice class: the one list of what is mailed.
MAILED: dict[type[Notice], EmailKind] = {
    PostFailed: EmailKind.FAILURES,
    PostPartiallyPublished: EmailKind.FAILURES,
    ConnectionBroken: EmailKind.CONNECTIONS,
    TokenExpiring: EmailKind.CONNECTIONS,
    ConnectionAdded: EmailKind.SECURITY,
    MemberRoleChanged: EmailKind.SECURITY,
    HookCreated: EmailKind.SECURITY,
    HookRotated: EmailKind.SECURITY,
    PlanLimitReached: EmailKind.BILLING,
    **{billing: EmailKind.BILLING for billing in BILLING_NOTICES},
}


class EmailNoticeSink:
    name = "email"

    def __init__(self, outbox: EmailOutbox) -> None:
        self._outbox = outbox
        self._store = outbox.store

    def wants(self, notice: Notice) -> bool:
        return type(notice) in MAILED

    async def deliver(self, notice: Notice) -> None:
        kind = MAILED[type(notice)]
        members = [m for m in await notice_audience(self._store, notice)
                   if mailable(m) and effective_preferences(m).wants(kind)]
        if not members:
            return
        org = await self._store.get_organization(notice.org_id)
        shared = await self._content(org, notice)
        for member in members:
            await self._outbox.to_member(member, kind, await self._for(member, notice, shared))

    async def _content(self, org: Organization, notice: Notice) -> EmailContent | None:
        """The mail every recipient gets alike; None when it names the recipient (a link)."""
        match notice:
            case ConnectionBroken(connection=connection):
                return wording.connection_broken(org.name, connection)
            case TokenExpiring(connection=connection, days_left=days_left):
                return wording.token_expiring(org.name, connection, days_left)
            case PlanLimitReached(limit=limit, message=message):
                return wording.plan_limit(org.name, limit, message)
            case BillingNotice():
                return wording.billing_notice(org.name, notice)
            case SecurityNotice():
                return wording.security_change(org.name, _security_what(notice),
                                               await self._who(org, notice.actor))
        return None

    async def _for(self, member: Member, notice: Notice,
                   shared: EmailContent | None) -> EmailContent:
        if shared is not None:
            return shared
        assert isinstance(notice, PostFailed | PostPartiallyPublished)
        post = notice.post
        org = await self._store.get_organization(post.org_id)
        link = self._outbox.links.post(post.org_id, member.id, post.id)
        return wording.post_outcome(org.name, post, await self._accounts(post),
                                    link)

    async def _accounts(self, post: Post) -> dict[str, Connection]:
        """The connections ``post`` targets that still exist, by id."""
        found = {}
        for target in post.targets:
            try:
                found[target.connection_id] = await self._store.get_connection(
                    post.org_id, target.connection_id)
            except NotFound:
                continue
        return found

    async def _who(self, org: Organization, actor: str) -> str:
        identity = read_chat_actor(actor)
        if identity is None:
            if actor.startswith(f"{EMAIL_PLATFORM}:"):
                return f"{actor.partition(':')[2]}, accepting an invitation"
            return "an operator at the command line" if actor == "cli" else actor
        member = await self._store.find_member(org.id, identity.platform,
                                               identity.workspace_id, identity.user_id)
        name = member.display_name if member is not None and member.display_name else \
            identity.user_id
        return f"{name} on {identity.platform.title()}"


def _security_what(notice: SecurityNotice) -> str:
    match notice:
        case ConnectionAdded(network=network, account_name=account):
            return f"The {network} account {account} was connected: PostFlow may now post to it."
        case MemberRoleChanged(member_name=name, old_role="", new_role=new):
            return f"{name} was added to the organization as {new}."
        case MemberRoleChanged(member_name=name, old_role=old, new_role=new):
            return f"{name}'s role changed from {old} to {new}."
        case HookCreated(hook_name=name):
            return (f"The incoming hook {name!r} was created: whoever holds its secret can "
                    "create posts.")
        case HookRotated(hook_name=name):
            return f"The secret of the incoming hook {name!r} was rotated."
    return f"{notice.kind} ({notice.record_id})"
