"""The email sink mails the members a notice concerns (``notice_audience``, the notification
center's answer too), among them those who want that kind: a Member who turned failure mail
on hears about their own posts, not everyone's."""

from __future__ import annotations

from postflow.chat_actors import chat_actor
from postflow.email.preferences import DigestFrequency, EmailKind, EmailPreferences
from postflow.mailing.notice_sink import EmailNoticeSink
from postflow.notices.audience import notice_audience
from postflow.notices.events import ConnectionBroken, MemberRoleChanged, PostFailed
from postflow.organizations import Role
from postflow.posts import PostStatus, PostTarget, TargetStatus
from tests.postflow.mailing.conftest import Mailing
from tests.postflow.store.factories import make_connection, make_post

EVERYTHING = EmailPreferences(immediate=(EmailKind.FAILURES, EmailKind.CONNECTIONS,
                                         EmailKind.SECURITY), digest=DigestFrequency.NONE)


def failed(mailing: Mailing, author: str) -> PostFailed:
    return PostFailed(make_post(mailing.org.id, status=PostStatus.FAILED, created_by=author,
                                targets=[PostTarget(connection_id="conn_1", network="sandbox",
                                                    status=TargetStatus.FAILED,
                                                    error_kind="unknown")]))


async def mailed(mailing: Mailing) -> set[str]:
    return {e.member_id for e in await mailing.rt.store.list_outgoing_emails(mailing.org.id, 50)}


async def test_a_member_with_failure_mail_on_hears_of_their_own_posts_only(
        mailing: Mailing) -> None:
    mo = await mailing.member(Role.MEMBER, name="mo", email_preferences=EVERYTHING)
    other = await mailing.member(Role.MEMBER, name="other", email_preferences=EVERYTHING)
    sink = EmailNoticeSink(mailing.outbox)

    await sink.deliver(failed(mailing, chat_actor(other.identity)))
    assert await mailed(mailing) == {other.id}

    await sink.deliver(failed(mailing, chat_actor(mo.identity)))
    assert await mailed(mailing) == {other.id, mo.id}


async def test_mail_goes_to_the_notification_centers_audience_that_wants_it(
        mailing: Mailing) -> None:
    admin = await mailing.member(Role.ADMIN, name="admin")
    author = await mailing.member(Role.MEMBER, name="author", email_preferences=EVERYTHING)
    await mailing.member(Role.VIEWER, name="viewer", email_preferences=EVERYTHING)
    notice = failed(mailing, chat_actor(author.identity))

    await EmailNoticeSink(mailing.outbox).deliver(notice)

    audience = {m.id for m in await notice_audience(mailing.rt.store, notice)}
    assert await mailed(mailing) == audience == {admin.id, author.id}


async def test_connection_and_security_mail_goes_to_owners_and_admins(
        mailing: Mailing) -> None:
    owner = await mailing.member(Role.OWNER, name="owner")
    admin = await mailing.member(Role.ADMIN, name="admin")
    await mailing.member(Role.MEMBER, name="mo", email_preferences=EVERYTHING)
    sink = EmailNoticeSink(mailing.outbox)
    connection = make_connection(mailing.org.id)
    await mailing.rt.store.insert_connection(connection)

    await sink.deliver(ConnectionBroken(connection, "revoked"))
    await sink.deliver(MemberRoleChanged(mailing.org.id, "cli", admin.id, member_name="Ada",
                                         old_role="member", new_role="admin"))

    emails = await mailing.rt.store.list_outgoing_emails(mailing.org.id, 50)
    assert sorted((e.kind, e.member_id) for e in emails) == sorted(
        (kind, m.id) for kind in ("connections", "security") for m in (owner, admin))


async def test_a_member_joining_by_email_is_told_to_admins_as_such(mailing: Mailing) -> None:
    await mailing.member(Role.ADMIN, name="admin")

    await EmailNoticeSink(mailing.outbox).deliver(MemberRoleChanged(
        mailing.org.id, "email:bo@example.test", "mem_bo", member_name="Bo (bo@example.test)",
        old_role="", new_role="member"))

    [email] = await mailing.rt.store.list_outgoing_emails(mailing.org.id, 5)
    assert "Bo (bo@example.test) was added to the organization as member" in email.text
    assert "bo@example.test, accepting an invitation" in email.text
