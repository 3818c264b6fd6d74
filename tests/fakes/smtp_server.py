"""A real SMTP server on loopback (aiosmtpd's Controller, in its own thread) that keeps what it
received, can insist on STARTTLS or speak TLS from the first byte, and can refuse recipients
with a chosen code (``550`` for good, ``451`` for now)."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes
    #: Whether the session was encrypted (STARTTLS or implicit TLS).
    tls: bool

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    #: address -> SMTP reply for RCPT TO (``550 5.1.1 No such user``).
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content,
                                      server.transport.get_extra_info("ssl_object")
                                      is not None))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"ada", b"s3cret pass")
    return AuthResult(success=ok)


def start_smtp_server(handler: RecordingHandler, *, starttls: ssl.SSLContext | None = None,
                      require_starttls: bool = False,
                      implicit_tls: ssl.SSLContext | None = None) -> Controller:
    """Start a server (stop it with ``.stop()``); ``.port`` is where it listens. It accepts
    login ``ada`` / ``s3cret pass`` when authentication is offered (over TLS only)."""
    kwargs: dict[str, Any] = {"authenticator": _authenticate, "auth_require_tls": True,
                              "auth_required": False}
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=require_starttls)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                            ssl_context=implicit_tls, server_hostname="localhost", **kwargs)
    controller.start()
    return controller


def server_tls_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
