"""Email end to end in embedded mode (``postflow up``): a post fails, the Admin gets a mail at
once with the cause and a link to the post; they unsubscribe from failure mail in one click
and the next failure mails nobody, while other kinds still come."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

from postflow.config import Settings
from postflow.email.message import EmailStatus, OutgoingEmail
from postflow.email.preferences import MemberEmail
from postflow.notices.events import PostFailed
from postflow.organizations import ChatIdentity, Role
from postflow.posts import Post, PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import mark_needs_reconnect
from postflow.usecases.organizations import add_member
from tests.e2e.conftest import Sender, make_sender
from tests.polling import eventually
from tests.workers.scenario import post_in_status


async def mailed_admin(rt: Runtime, sender: Sender) -> None:
    member = await add_member(rt, sender.account.org.id, ChatIdentity(
        platform="slack", workspace_id="T1", user_id="UADA"), Role.ADMIN, actor="test",
        display_name="Ada")
    await rt.store.update_member(member.model_copy(update={"email": MemberEmail(
        address="ada@example.test", confirmed_at=rt.clock.now())}))


async def sent_mail(rt: Runtime, org_id: str, count: int) -> list[OutgoingEmail]:
    async def all_sent() -> list[OutgoingEmail] | None:
        emails = await rt.store.list_outgoing_emails(org_id, 50)
        done = [e for e in emails if e.status is EmailStatus.SENT]
        return done if len(done) >= count and len(done) == len(emails) else None

    return await eventually(all_sent, timeout=15, what=f"{count} sent emails")


def eml(settings: Settings, email: OutgoingEmail) -> EmailMessage:
    [path] = Path(settings.data_dir, "outbox").glob(f"*-{email.id}.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def fail_a_post(rt: Runtime, sender: Sender, text: str) -> Post:
    post_id = await sender.send(f"{text} [sandbox:reject]")
    post = await rt.store.get_post(sender.account.org.id, post_id)
    failed = await post_in_status(rt, post, PostStatus.FAILED, timeout=15)
    assert failed.status is PostStatus.FAILED
    return failed


async def test_a_failed_post_mails_the_cause_and_a_link_until_unsubscribed(
        live_rt: Runtime, embedded: str, e2e_settings: Settings) -> None:
    sender = await make_sender(live_rt, embedded)
    await mailed_admin(live_rt, sender)
    org_id = sender.account.org.id

    await fail_a_post(live_rt, sender, "Not allowed")

    [email] = await sent_mail(live_rt, org_id, 1)
    message = eml(e2e_settings, email)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert message["To"] == "ada@example.test" and "not published" in message["Subject"]
    assert "the network refused the content" in text
    post_link = re.search(r"http://\S+/email/post\?token=\S+", text)
    unsubscribe = re.search(r"<(http://\S+/email/unsubscribe\?token=\S+)>",
                            message["List-Unsubscribe"])
    assert post_link is not None and unsubscribe is not None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    async with aiohttp.ClientSession(embedded) as hub:
        parts = urlsplit(post_link.group(0))
        async with hub.get(f"{parts.path}?{parts.query}") as page:
            assert page.status == 200 and "refused the content" in await page.text()
        parts = urlsplit(unsubscribe.group(1))
        async with hub.post(f"{parts.path}?{parts.query}", data="List-Unsubscribe=One-Click",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}
                            ) as done:
            assert done.status == 200

    again = await fail_a_post(live_rt, sender, "Not allowed either")
    # The worker's own notice may still be on its way: say it once more here, where it is
    # done when notify returns, so the check below cannot pass by arriving first.
    await live_rt.notices.notify(PostFailed(again))
    await mark_needs_reconnect(live_rt, sender.account.connection, "revoked in a test")

    emails = await sent_mail(live_rt, org_id, 2)
    assert sorted(e.kind for e in emails) == ["connections", "failures"]
