"""A process's email side: the transport these settings choose (SMTP, SES or the outbox
folder), the one layout, and where recorded mail is handed (the ``email`` Dramatiq queue when
this process configured its broker, else sent at once), plus the notice sink that mails
members. Built once per process by :func:`composition.runtime.open_backends`."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.email import open_email_transport
from integrations.email.templates import TemplateRenderer
from postflow.clock import Clock
from postflow.config import Settings
from postflow.email.links import EmailLinks
from postflow.email.transport import EmailQueue, EmailTransport, Mail
from postflow.mailing.delivery import deliver_email
from postflow.mailing.notice_sink import EmailNoticeSink
from postflow.mailing.outbox import EmailOutbox
from postflow.signed_tokens import TokenSigner
from postflow.store.port import Store
from workers.broker import BrokerNotConfigured, configured_broker


@dataclass(frozen=True)
class Email:
    mail: Mail
    sink: EmailNoticeSink


def open_email(settings: Settings, store: Store, clock: Clock) -> Email:
    transport = open_email_transport(settings)
    mail = Mail(sender=settings.email_from, transport=transport, renderer=TemplateRenderer(),
                queue=email_queue(settings, store, transport, clock),
                public_url=settings.base_url)
    links = EmailLinks(TokenSigner(settings.secret_keys(), clock), settings.base_url)
    return Email(mail=mail, sink=EmailNoticeSink(EmailOutbox(store, mail, links, clock)))


class InlineEmailQueue:
    """Sends at once, without retries: for a process with no broker (a one-off CLI command),
    where a queued message would never be consumed. A mail that fails for a passing reason
    stays pending, and a running PostFlow's sweep sends it."""

    def __init__(self, store: Store, transport: EmailTransport, clock: Clock) -> None:
        self._store = store
        self._transport = transport
        self._clock = clock

    async def enqueue(self, email_id: str) -> None:
        await deliver_email(self._store, self._transport, self._clock, email_id)


def email_queue(settings: Settings, store: Store, transport: EmailTransport,
                clock: Clock) -> EmailQueue:
    """The ``email`` Dramatiq queue when this process configured its broker for ``settings``,
    else at once (see :func:`composition.chat.chat_outbox`, chosen the same way)."""
    try:
        configured = configured_broker()
    except BrokerNotConfigured:
        return InlineEmailQueue(store, transport, clock)
    if configured.settings != settings:
        return InlineEmailQueue(store, transport, clock)
    from workers.email_actors import DramatiqEmailQueue  # declares its actor on that broker

    return DramatiqEmailQueue()
