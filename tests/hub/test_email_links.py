"""The links mails carry: confirming an address, one-click unsubscribe (RFC 8058), a post's
page; each signed for one member, refused when forged or expired."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

from postflow.config import Settings
from postflow.email.preferences import EmailKind, MemberEmail
from postflow.mailing.addresses import email_links, email_outbox, member_by_id, set_member_address
from postflow.mailing.notice_sink import EmailNoticeSink
from postflow.notices.events import ConnectionBroken, PostFailed
from postflow.organizations import Member, Organization, Role
from postflow.posts import PostStatus, PostTarget, TargetStatus
from postflow.runtime import Runtime
from postflow.usecases.organizations import create_organization
from tests.fakes.clock import ManualClock
from tests.hub.conftest import HubClient
from tests.postflow.store.factories import make_connection, make_member, make_post


async def new_member(rt: Runtime, role: Role = Role.ADMIN,
                     confirmed: bool = True) -> tuple[Organization, Member]:
    org = await create_organization(rt, "Acme", actor="cli")
    member = make_member(org.id, role=role, email=MemberEmail(
        address="ada@example.test", confirmed_at=rt.clock.now() if confirmed else None))
    await rt.store.insert_member(member)
    return org, member


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def outbox_mails(settings: Settings) -> list[bytes]:
    return [p.read_bytes() for p in sorted((settings.data_dir / "outbox").glob("*.eml"))]


def failed(org_id: str) -> PostFailed:
    return PostFailed(make_post(org_id, status=PostStatus.FAILED, targets=[PostTarget(
        connection_id="conn_1", network="sandbox", status=TargetStatus.FAILED,
        error_kind="unknown")]))


async def test_the_confirmation_link_mailed_to_an_address_confirms_it(
        rt: Runtime, client: HubClient, settings: Settings) -> None:
    org, member = await new_member(rt, confirmed=False)
    await set_member_address(rt, org, member, "ada@example.test", actor="cli", source="cli")

    [mail] = outbox_mails(settings)
    text = message_from_bytes(mail, policy=policy.default).get_body(  # type: ignore[attr-defined]
        ("plain",)).get_content()
    link = re.search(r"https?://\S+/email/confirm\?token=\S+", text)
    assert link is not None
    answer = await client.get(path_of(link.group(0)))

    assert answer.status == 200 and "Address confirmed" in await answer.text()
    _, confirmed = await member_by_id(rt, org.id, member.id)
    assert confirmed.email is not None and confirmed.email.confirmed


async def test_an_expired_confirmation_link_is_refused(rt: Runtime, client: HubClient,
                                                       clock: ManualClock) -> None:
    org, member = await new_member(rt, confirmed=False)
    link = email_links(rt).confirm(org.id, member.id, "ada@example.test")
    clock.advance(3 * 24 * 3600)

    answer = await client.get(path_of(link))

    assert answer.status == 401
    _, still = await member_by_id(rt, org.id, member.id)
    assert still.email is not None and not still.email.confirmed


async def test_opening_an_unsubscribe_link_changes_nothing_until_confirmed(
        rt: Runtime, client: HubClient) -> None:
    org, member = await new_member(rt)
    link = email_links(rt).unsubscribe(org.id, member.id, EmailKind.FAILURES)

    page = await client.get(path_of(link))

    assert page.status == 200 and "<form method=\"post\"" in await page.text()
    _, same = await member_by_id(rt, org.id, member.id)
    assert same.email_preferences is None


async def test_one_click_unsubscribe_stops_that_kind_of_mail_only(
        rt: Runtime, client: HubClient) -> None:
    org, member = await new_member(rt)
    link = email_links(rt).unsubscribe(org.id, member.id, EmailKind.FAILURES)

    answer = await client.post(path_of(link), data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status == 200
    sink = EmailNoticeSink(email_outbox(rt))
    await sink.deliver(failed(org.id))
    assert await rt.store.list_outgoing_emails(org.id, 10) == []
    await sink.deliver(ConnectionBroken(make_connection(org.id), "revoked"))
    assert [e.kind for e in await rt.store.list_outgoing_emails(org.id, 10)] == ["connections"]


async def test_a_forged_unsubscribe_token_is_refused_and_changes_nothing(
        rt: Runtime, client: HubClient) -> None:
    org, member = await new_member(rt)
    link = email_links(rt).unsubscribe(org.id, member.id, EmailKind.FAILURES)
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")

    answer = await client.post(path_of(forged), data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status == 401
    _, same = await member_by_id(rt, org.id, member.id)
    assert same.email_preferences is None


async def test_a_confirm_token_does_not_open_as_an_unsubscribe(rt: Runtime,
                                                               client: HubClient) -> None:
    org, member = await new_member(rt)
    confirm = email_links(rt).confirm(org.id, member.id, "ada@example.test")

    answer = await client.post(path_of(confirm).replace("/email/confirm", "/email/unsubscribe"),
                               data="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})

    assert answer.status == 401


async def test_the_post_link_shows_why_it_failed(rt: Runtime, client: HubClient) -> None:
    org, member = await new_member(rt)
    notice = failed(org.id)
    await rt.store.insert_post(notice.post)

    answer = await client.get(path_of(email_links(rt).post(org.id, member.id, notice.post.id)))

    body = await answer.text()
    assert answer.status == 200 and "the network did not answer clearly" in body


def test_links_are_absolute_from_the_public_url(rt: Runtime, tmp_path: Path) -> None:
    link = email_links(rt).unsubscribe("org_1", "mem_1", EmailKind.DIGEST)

    assert link.startswith("http://127.0.0.1:8080/email/unsubscribe?token=")
