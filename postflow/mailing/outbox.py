"""Queueing an email: render it, record it (pending) with its id, then hand the id to the
``email`` queue. Recording comes first: an enqueue that fails loses nothing, the scheduler's
sweep hands the email out again (:func:`postflow.mailing.delivery.resend_unsent_emails`).

Mail a member can turn off carries a one-click unsubscribe (RFC 8058) for its kind:
``List-Unsubscribe: <https://.../email/unsubscribe?token=...>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from postflow.clock import Clock
from postflow.email.content import EmailContent
from postflow.email.links import EmailLinks
from postflow.email.message import OutgoingEmail
from postflow.email.preferences import EmailKind
from postflow.email.transport import Mail
from postflow.ids import new_id
from postflow.mailing import wording
from postflow.mailing.recipients import effective_preferences, mailable
from postflow.organizations import Member
from postflow.store.port import Store

log = logging.getLogger(__name__)


class EmailOutbox:
    """Records and queues mail; the one way the core sends an email."""

    def __init__(self, store: Store, mail: Mail, links: EmailLinks, clock: Clock) -> None:
        self.store = store
        self.mail = mail
        self.links = links
        self.clock = clock

    async def to_member(self, member: Member, kind: EmailKind, content: EmailContent, *,
                        dedupe_key: str = "") -> OutgoingEmail | None:
        """Mail ``content`` to ``member`` if they want ``kind`` and have a confirmed address
        that is not failing; with a one-click unsubscribe from ``kind``. None when not sent."""
        if not mailable(member) or not effective_preferences(member).wants(kind):
            return None
        assert member.email is not None
        unsubscribe = self.links.unsubscribe(member.org_id, member.id, kind)
        reason = content.reason or f"{wording.REASONS[kind]} {wording.PREFERENCES_HINT}"
        content = replace(content, reason=reason,
                          unsubscribe_url=unsubscribe,
                          unsubscribe_label=wording.unsubscribe_label(kind))
        headers = {"List-Unsubscribe": f"<{unsubscribe}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return await self.to_address(member.email.address, content, kind=kind.value,
                                     org_id=member.org_id, member_id=member.id,
                                     headers=headers, dedupe_key=dedupe_key)

    async def to_address(self, address: str, content: EmailContent, *, kind: str,
                         org_id: str = "", member_id: str = "",
                         headers: dict[str, str] | None = None,
                         dedupe_key: str = "") -> OutgoingEmail | None:
        """Mail ``content`` to ``address`` (an address confirmation, an invitation: mail
        nobody unsubscribes from); None when the address is suppressed. Conflict when an email
        with ``dedupe_key`` was recorded already (a digest's period): nothing is queued."""
        if await self.store.find_email_suppression(address) is not None:
            log.info("not mailing %s for organization %s: the address is failing", kind,
                     org_id or "-")
            return None
        # One line: a name with a line break in it (an account's, an organization's) must not
        # start a header of its own.
        content = replace(content, subject=" ".join(content.subject.split())[:200])
        body = self.mail.renderer.render(content)
        email_id = new_id("mail")
        email = OutgoingEmail(
            id=email_id, org_id=org_id, member_id=member_id, kind=kind, dedupe_key=dedupe_key,
            to=address, subject=content.subject, text=body.text, html=body.html,
            headers={"Message-ID": f"<{email_id}@{self.mail.sender_domain}>",
                     **(headers or {})},
            created_at=self.clock.now())
        await self.store.insert_outgoing_email(email)
        try:
            await self.mail.queue.enqueue(email.id)
        except Exception:
            log.warning("could not queue email %s (%s); the sweep sends it later", email.id,
                        kind, exc_info=True)
        return email
