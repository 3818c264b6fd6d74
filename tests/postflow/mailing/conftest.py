"""An outbox over a real SQLite store, a scripted transport and a recording queue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from integrations.email.templates import TemplateRenderer
from postflow.email.links import EmailLinks
from postflow.email.preferences import MemberEmail
from postflow.email.transport import Mail
from postflow.mailing.outbox import EmailOutbox
from postflow.organizations import Member, Organization, Role
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.fakes.scripted_transport import RecordingEmailQueue, ScriptedTransport
from tests.postflow.store.factories import make_member, make_org


@dataclass
class Mailing:
    rt: Runtime
    outbox: EmailOutbox
    transport: ScriptedTransport
    queue: RecordingEmailQueue
    clock: ManualClock
    org: Organization

    async def member(self, role: Role = Role.ADMIN, *, confirmed: bool = True,
                     **fields: Any) -> Member:
        email = MemberEmail(address=f"{fields.pop('name', 'ada')}@example.test",
                            confirmed_at=self.clock.now() if confirmed else None)
        member = make_member(self.org.id, role=role, email=email, **fields)
        await self.rt.store.insert_member(member)
        return member


@pytest.fixture
async def mailing(rt: Runtime, clock: ManualClock) -> AsyncIterator[Mailing]:
    transport, queue = ScriptedTransport(), RecordingEmailQueue()
    mail = Mail(sender="PostFlow <postflow@example.test>", transport=transport,
                renderer=TemplateRenderer(), queue=queue, public_url="https://postflow.test")
    outbox = EmailOutbox(rt.store, mail, EmailLinks(rt.tokens, "https://postflow.test"), clock)
    org = make_org(plan="free")
    await rt.store.insert_organization(org)
    yield Mailing(rt, outbox, transport, queue, clock, org)
