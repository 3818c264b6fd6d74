"""SMTP through aiosmtplib: ``POSTFLOW_SMTP_URL`` says where and how.

- ``smtp://user:pass@host:587``: STARTTLS when the server offers it, plain otherwise;
- ``smtp://...?tls=required``: STARTTLS or nothing is sent;
- ``smtps://user:pass@host:465``: TLS from the first byte.

Certificates are checked against the system's authorities, plus ``POSTFLOW_SMTP_CA_FILE``
when set (a private authority; tests trust their own). User and password may be
percent-encoded in the URL; neither is ever logged.

Answers are classified once: a 5xx refusal of the recipient or of the message is permanent
(the address is marked failing); anything else (no connection, a timeout, a 4xx, a login the
operator must fix) is tried again later.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from integrations.email.mime import mime_message
from integrations.email.mime_bytes import mime_bytes
from integrations.email.smtp_connections import SmtpConnections
from postflow.config import Settings
from postflow.email.message import OutgoingEmail
from postflow.email.transport import EmailRefusedError, TransientEmailError
from postflow.errors import ConfigurationError

SMTP_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    #: None: STARTTLS when offered; True: required.
    starttls: bool | None
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigurationError("POSTFLOW_SMTP_URL must look like smtp://user:pass@host:587 "
                                 "or smtps://user:pass@host:465.",
                                 details={"setting": "POSTFLOW_SMTP_URL"})
    tls = parse_qs(parts.query).get("tls", [""])[0].lower()
    if tls not in ("", "required", "auto"):
        raise ConfigurationError("POSTFLOW_SMTP_URL's tls= must be required or auto.",
                                 details={"setting": "POSTFLOW_SMTP_URL"})
    implicit = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if implicit else 587)
    except ValueError:
        raise ConfigurationError("POSTFLOW_SMTP_URL has a port that is not a number.",
                                 details={"setting": "POSTFLOW_SMTP_URL"}) from None
    return SmtpServer(host=parts.hostname, port=port, implicit_tls=implicit,
                      starttls=None if implicit else (True if tls == "required" else None),
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None)


class SmtpTransport:
    name = "smtp"

    def __init__(self, server: SmtpServer, sender: str, *,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self._server = server
        self._sender = sender
        self._tls_context = tls_context or ssl.create_default_context()
        self.connections = SmtpConnections(self._new_client)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        assert settings.smtp_url is not None
        context = ssl.create_default_context()
        if settings.smtp_ca_file is not None:
            context.load_verify_locations(cafile=str(settings.smtp_ca_file))
        return cls(parse_smtp_url(settings.smtp_url.get_secret_value()), settings.email_from,
                   tls_context=context)

    def describe(self) -> str:
        server = self._server
        how = ("TLS" if server.implicit_tls else
               "STARTTLS required" if server.starttls else "STARTTLS when offered")
        return f"sent by SMTP to {server.host}:{server.port} ({how})"

    def _new_client(self) -> aiosmtplib.SMTP:
        server = self._server
        return aiosmtplib.SMTP(
            hostname=server.host, port=server.port, username=server.username,
            password=server.password, use_tls=server.implicit_tls,
            start_tls=False if server.implicit_tls else server.starttls,
            tls_context=self._tls_context, timeout=SMTP_TIMEOUT_SECONDS)

    async def send(self, email: OutgoingEmail) -> str:
        try:
            if (self._sender + email.to).isascii():
                # Our own MIME writer's bytes, on a connection kept open between mails.
                message = mime_bytes(email, self._sender)
                async with self.connections.connection() as client:
                    await client.sendmail(self._sender, [email.to], message)
            else:
                # A non-ASCII address: the standard library's message, which aiosmtplib sends
                # with SMTPUTF8, on a connection of its own.
                async with self._new_client() as client:
                    await client.send_message(mime_message(email, self._sender),
                                              sender=self._sender, recipients=[email.to])
        except aiosmtplib.SMTPRecipientsRefused as err:
            codes = [refused.code for refused in err.recipients]
            raise _by_code(min(codes) if codes else 550, "recipient refused") from err
        except aiosmtplib.SMTPAuthenticationError as err:
            raise TransientEmailError(f"smtp_{err.code}", "login refused") from err
        except aiosmtplib.SMTPResponseException as err:
            raise _by_code(err.code, type(err).__name__) from err
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            raise TransientEmailError(type(err).__name__) from err
        return ""


def _by_code(code: int, what: str) -> TransientEmailError | EmailRefusedError:
    if 500 <= code < 600:
        return EmailRefusedError(f"smtp_{code}", what)
    return TransientEmailError(f"smtp_{code}", what)
