"""An :class:`~postflow.email.message.OutgoingEmail` as a MIME message: text and HTML
alternatives, our headers (Message-ID, List-Unsubscribe...) as recorded."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from postflow.email.message import OutgoingEmail


def mime_message(email: OutgoingEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message
