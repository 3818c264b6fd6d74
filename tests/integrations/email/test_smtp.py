"""SMTP against a real aiosmtpd server on loopback: STARTTLS when offered, required, implicit
TLS, login, and refusals classified (5xx for good, 4xx for now)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest

from integrations.email.smtp import SmtpTransport, parse_smtp_url
from integrations.email.smtp_connections import SmtpConnections
from postflow.config import Settings
from postflow.email.transport import EmailRefusedError, TransientEmailError
from postflow.errors import ConfigurationError
from tests.fakes.smtp_server import (
    RecordingHandler,
    free_port,
    server_tls_context,
    start_smtp_server,
)
from tests.fakes.tls_certs import SelfSigned, make_self_signed
from tests.integrations.email.emails import make_email

SENDER = "PostFlow <postflow@example.test>"


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> SelfSigned:
    return make_self_signed(tmp_path_factory.mktemp("smtp-cert"))


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


def transport_for(url: str, cert: SelfSigned | None = None) -> SmtpTransport:
    settings = Settings(smtp_url=url, email_from=SENDER,  # type: ignore[arg-type]
                        smtp_ca_file=cert.cert_file if cert else None)
    return SmtpTransport.from_settings(settings)


@pytest.fixture
def starttls_server(handler: RecordingHandler, cert: SelfSigned) -> Iterator[int]:
    controller = start_smtp_server(handler, starttls=server_tls_context(
        str(cert.cert_file), str(cert.key_file)), require_starttls=True)
    yield controller.port
    controller.stop()


@pytest.fixture
def plain_server(handler: RecordingHandler) -> Iterator[int]:
    controller = start_smtp_server(handler)
    yield controller.port
    controller.stop()


async def test_starttls_is_used_when_the_server_offers_it(
        starttls_server: int, handler: RecordingHandler, cert: SelfSigned) -> None:
    email = make_email()

    await transport_for(f"smtp://ada:s3cret%20pass@127.0.0.1:{starttls_server}",
                        cert).send(email)

    [got] = handler.received
    assert got.tls is True and got.recipients == ["ada@example.test"]
    message = got.message
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == email.subject and "postflow@example.test" in message["From"]


async def test_a_certificate_nobody_vouches_for_is_not_trusted(starttls_server: int) -> None:
    with pytest.raises(TransientEmailError):
        await transport_for(f"smtp://127.0.0.1:{starttls_server}").send(make_email())


async def test_a_server_without_starttls_gets_mail_in_the_clear_unless_required(
        plain_server: int, handler: RecordingHandler) -> None:
    await transport_for(f"smtp://127.0.0.1:{plain_server}").send(make_email())

    assert [r.tls for r in handler.received] == [False]


async def test_required_tls_sends_nothing_to_a_server_without_starttls(
        plain_server: int, handler: RecordingHandler) -> None:
    with pytest.raises(TransientEmailError):
        await transport_for(f"smtp://127.0.0.1:{plain_server}?tls=required").send(make_email())

    assert handler.received == []


async def test_smtps_speaks_tls_from_the_first_byte(handler: RecordingHandler,
                                                     cert: SelfSigned) -> None:
    controller = start_smtp_server(handler, implicit_tls=server_tls_context(
        str(cert.cert_file), str(cert.key_file)))
    try:
        await transport_for(f"smtps://127.0.0.1:{controller.port}",
                            cert).send(make_email())
    finally:
        controller.stop()

    assert [r.tls for r in handler.received] == [True]


async def test_a_5xx_refusal_of_the_recipient_is_permanent(
        plain_server: int, handler: RecordingHandler) -> None:
    handler.refuse["ada@example.test"] = "550 5.1.1 No such user"

    with pytest.raises(EmailRefusedError) as refused:
        await transport_for(f"smtp://127.0.0.1:{plain_server}").send(make_email())

    assert refused.value.code == "smtp_550"


async def test_a_4xx_refusal_is_tried_again_later(plain_server: int,
                                                  handler: RecordingHandler) -> None:
    handler.refuse["ada@example.test"] = "451 4.3.0 Try again later"

    with pytest.raises(TransientEmailError) as later:
        await transport_for(f"smtp://127.0.0.1:{plain_server}").send(make_email())

    assert later.value.code == "smtp_451"


async def test_an_unreachable_server_is_tried_again_later() -> None:
    with pytest.raises(TransientEmailError):
        await transport_for(f"smtp://127.0.0.1:{free_port()}").send(make_email())


def test_the_url_says_how_to_connect() -> None:
    assert parse_smtp_url("smtp://u:p%40ss@mail.test").port == 587
    assert parse_smtp_url("smtp://u:p%40ss@mail.test").password == "p@ss"
    assert parse_smtp_url("smtps://mail.test").port == 465
    assert parse_smtp_url("smtp://mail.test:25?tls=required").starttls is True


def test_a_url_that_is_not_smtp_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_smtp_url("http://user:hunter2@mail.test")

    assert "hunter2" not in refused.value.message


def test_describe_names_no_password(cert: SelfSigned) -> None:
    described = transport_for("smtp://ada:hunter2@mail.test:587", cert).describe()

    assert "hunter2" not in described and "mail.test:587" in described


def test_ssl_module_is_what_checks_certificates() -> None:
    assert ssl.create_default_context().verify_mode is ssl.CERT_REQUIRED


async def test_mails_in_a_row_share_one_connection(
        starttls_server: int, handler: RecordingHandler, cert: SelfSigned) -> None:
    transport = transport_for(f"smtp://ada:s3cret%20pass@127.0.0.1:{starttls_server}", cert)

    for n in range(3):
        await transport.send(make_email(to=f"m{n}@example.test"))

    assert [r.recipients for r in handler.received] == [
        ["m0@example.test"], ["m1@example.test"], ["m2@example.test"]]
    assert all(r.tls for r in handler.received) and transport.connections.opened == 1


async def test_a_connection_whose_send_failed_is_not_used_again(
        plain_server: int, handler: RecordingHandler) -> None:
    transport = transport_for(f"smtp://127.0.0.1:{plain_server}")
    handler.refuse["ada@example.test"] = "451 4.3.0 Try again later"
    with pytest.raises(TransientEmailError):
        await transport.send(make_email())

    await transport.send(make_email(to="bob@example.test"))

    assert transport.connections.opened == 2
    assert [r.recipients for r in handler.received] == [["bob@example.test"]]


async def test_a_connection_idle_too_long_is_closed_not_used(
        plain_server: int, handler: RecordingHandler) -> None:
    transport = transport_for(f"smtp://127.0.0.1:{plain_server}")
    transport.connections = SmtpConnections(transport._new_client, idle_seconds=0.0)

    await transport.send(make_email())
    await transport.send(make_email())

    assert transport.connections.opened == 2 and len(handler.received) == 2


async def test_a_connection_carries_a_bounded_number_of_mails(
        plain_server: int, handler: RecordingHandler) -> None:
    transport = transport_for(f"smtp://127.0.0.1:{plain_server}")
    transport.connections = SmtpConnections(transport._new_client, mails_per_connection=2)

    for _ in range(5):
        await transport.send(make_email())

    assert transport.connections.opened == 3 and len(handler.received) == 5


async def test_a_line_break_in_the_subject_sends_nothing(
        plain_server: int, handler: RecordingHandler) -> None:
    transport = transport_for(f"smtp://127.0.0.1:{plain_server}")

    with pytest.raises(ValueError):
        await transport.send(make_email(subject="Hi\r\nBcc: all@evil.test"))

    assert handler.received == []


async def test_a_non_ascii_address_is_sent_with_smtputf8(
        plain_server: int, handler: RecordingHandler) -> None:
    await transport_for(f"smtp://127.0.0.1:{plain_server}").send(
        make_email(to="zoë@example.test"))

    [got] = handler.received
    assert got.recipients == ["zoë@example.test"]
