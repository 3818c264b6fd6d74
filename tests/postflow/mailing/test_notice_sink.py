"""The email sink: who is mailed for which notice, with what, and with which unsubscribe."""

from __future__ import annotations

from email import message_from_string

from postflow.email.preferences import DigestFrequency, EmailKind, EmailPreferences
from postflow.mailing.notice_sink import EmailNoticeSink
from postflow.notices.events import (
    ConnectionBroken,
    HookRotated,
    PlanLimitReached,
    PostFailed,
    PostPublished,
)
from postflow.organizations import Role
from postflow.posts import PostStatus, PostTarget, TargetStatus
from postflow.providers import ErrorKind
from tests.postflow.mailing.conftest import Mailing
from tests.postflow.store.factories import make_connection, make_post


def failed_post(mailing: Mailing, text: str = "Launch day <b>soon</b>") -> PostFailed:
    target = PostTarget(connection_id="conn_gone", network="mastodon",
                        status=TargetStatus.FAILED, error_kind=ErrorKind.BAD_INPUT.value,
                        error_message="Text too long for this account")
    return PostFailed(make_post(mailing.org.id, text=text, status=PostStatus.FAILED,
                                targets=[target]))


async def sent_to(mailing: Mailing) -> list[str]:
    return [e.to for e in await mailing.rt.store.list_outgoing_emails(mailing.org.id, 50)]


async def test_a_failed_post_mails_admins_with_the_cause_and_a_link(mailing: Mailing) -> None:
    admin = await mailing.member(Role.ADMIN)
    await EmailNoticeSink(mailing.outbox).deliver(failed_post(mailing))

    [email] = await mailing.rt.store.list_outgoing_emails(mailing.org.id, 10)
    assert email.to == "ada@example.test" and email.member_id == admin.id
    assert "the network refused the content: Text too long for this account" in email.text
    assert "https://postflow.test/email/post?token=" in email.text
    assert "Launch day <b>soon</b>" in email.text
    assert "&lt;b&gt;soon&lt;/b&gt;" in email.html and "<b>soon</b>" not in email.html


async def test_every_mail_that_can_be_turned_off_carries_a_one_click_unsubscribe(
        mailing: Mailing) -> None:
    await mailing.member(Role.ADMIN)
    await EmailNoticeSink(mailing.outbox).deliver(failed_post(mailing))

    [email] = await mailing.rt.store.list_outgoing_emails(mailing.org.id, 10)
    assert email.headers["List-Unsubscribe"].startswith(
        "<https://postflow.test/email/unsubscribe?token=")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Stop mail about failed posts: https://postflow.test/email/unsubscribe" in email.text


async def test_members_by_default_and_unconfirmed_addresses_get_nothing(
        mailing: Mailing) -> None:
    await mailing.member(Role.MEMBER, name="mo")
    await mailing.member(Role.ADMIN, name="un", confirmed=False)

    await EmailNoticeSink(mailing.outbox).deliver(failed_post(mailing))

    assert await sent_to(mailing) == []


async def test_a_member_who_turned_failures_off_gets_none(mailing: Mailing) -> None:
    await mailing.member(Role.OWNER, email_preferences=EmailPreferences(
        immediate=(EmailKind.CONNECTIONS,), digest=DigestFrequency.NONE))

    await EmailNoticeSink(mailing.outbox).deliver(failed_post(mailing))

    assert await sent_to(mailing) == []


async def test_billing_mail_goes_to_owners_only(mailing: Mailing) -> None:
    await mailing.member(Role.OWNER, name="owner")
    await mailing.member(Role.ADMIN, name="admin", email_preferences=EmailPreferences(
        immediate=(EmailKind.BILLING,)))

    await EmailNoticeSink(mailing.outbox).deliver(PlanLimitReached(
        mailing.org.id, "posts_per_month", "The free plan allows 30 posts a month."))

    assert await sent_to(mailing) == ["owner@example.test"]


async def test_a_broken_connection_and_a_rotated_hook_are_mailed(mailing: Mailing) -> None:
    await mailing.member(Role.ADMIN)
    sink = EmailNoticeSink(mailing.outbox)
    await sink.deliver(ConnectionBroken(make_connection(mailing.org.id, display_name="@acme"),
                                        "revoked"))
    await sink.deliver(HookRotated(mailing.org.id, "cli", "hook_1", hook_name="CI"))

    subjects = [e.subject for e in await mailing.rt.store.list_outgoing_emails(
        mailing.org.id, 10)]
    assert any("Reconnect @acme" in s for s in subjects)
    assert any("Security change" in s for s in subjects)


def test_a_published_post_is_not_mailed(mailing: Mailing) -> None:
    sink = EmailNoticeSink(mailing.outbox)

    assert not sink.wants(PostPublished(make_post(mailing.org.id)))
    assert sink.wants(failed_post(mailing))


async def test_the_mail_is_a_multipart_message_readable_as_text(mailing: Mailing) -> None:
    from integrations.email.mime import mime_message

    await mailing.member(Role.ADMIN)
    await EmailNoticeSink(mailing.outbox).deliver(failed_post(mailing))
    [email] = await mailing.rt.store.list_outgoing_emails(mailing.org.id, 10)

    message = message_from_string(mime_message(email, mailing.outbox.mail.sender).as_string())
    assert message["Message-ID"] == f"<{email.id}@example.test>"
    assert [p.get_content_type() for p in message.walk()][1:] == ["text/plain", "text/html"]


async def test_a_line_break_in_a_name_cannot_add_a_header(mailing: Mailing) -> None:
    from integrations.email.mime import mime_message

    await mailing.member(Role.ADMIN)
    sneaky = make_connection(mailing.org.id, display_name="@acme\r\nBcc: all@evil.test")
    await EmailNoticeSink(mailing.outbox).deliver(ConnectionBroken(sneaky, "revoked"))

    [email] = await mailing.rt.store.list_outgoing_emails(mailing.org.id, 10)
    message = message_from_string(mime_message(email, mailing.outbox.mail.sender).as_string())
    assert message["Bcc"] is None and "\n" not in email.subject
