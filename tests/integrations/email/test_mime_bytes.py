"""The fast MIME writer: what a mail client reads from it is what the standard library's
message says, and a line break in a header value is refused as the standard library refuses it."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from integrations.email.mime import mime_message
from integrations.email.mime_bytes import mime_bytes, write_mime
from tests.integrations.email.emails import make_email

SENDER = "PostFlow <postflow@example.test>"
HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
           "List-Unsubscribe-Post", "MIME-Version")


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def as_read(message: EmailMessage) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Headers and (type, decoded text) of each part, line ends as a reader sees them."""
    headers = {name: str(message[name]) for name in HEADERS}
    parts = [(part.get_content_type(), part.get_content().replace("\r\n", "\n"))
             for part in message.walk() if not part.is_multipart()]
    return headers, parts


def standard(**fields: Any) -> EmailMessage:
    email = make_email(**fields)
    return parsed(mime_message(email, SENDER).as_bytes(policy=policy.SMTP))


@pytest.mark.parametrize("fields", [
    {},
    {"html": ""},
    {"subject": "Your digest — 5 published · 1 failed, Zoë's café " * 3},
    {"text": "Héllo\nline with trailing space  \n= sign =3D\n.\nFrom the start\n" + "x" * 1200,
     "html": "<p>Ünïcode ✓ 👍🏽</p>\r\n<p>two</p>"},
    {"text": "no newline at the end", "html": "<p>" + "y" * 2000 + "</p>"},
    {"text": "", "html": "<p>empty text</p>"},
    {"subject": "日本語の件名" * 10, "headers": {"Message-ID": "<m@example.test>"}},
], ids=["plain", "text-only", "non-ascii-subject", "non-ascii-bodies", "long-lines",
        "empty-text", "cjk-subject"])
def test_a_reader_sees_what_the_standard_library_writes(fields: dict[str, Any]) -> None:
    email = make_email(**fields)

    assert as_read(parsed(write_mime(email, SENDER))) == as_read(standard(**fields))


def test_every_line_ends_in_crlf_and_fits_smtp() -> None:
    email = make_email(subject="Ünïcode " * 40, text="é" * 3000, html="<p>" + "a" * 3000)

    data = write_mime(email, SENDER)

    assert b"\n" not in data.replace(b"\r\n", b"") and b"\r" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


@pytest.mark.parametrize("field", ["subject", "to"])
@pytest.mark.parametrize("sneaky", ["\r\nBcc: all@evil.test", "\nBcc: all@evil.test",
                                    "\rBcc: x@evil.test", "\x0bBcc: x", "\u2028Bcc: x",
                                    "\x85Bcc: x", "nul\x00"])
def test_a_line_break_in_a_header_value_is_refused(field: str, sneaky: str) -> None:
    email = make_email(**{field: f"a@example.test{sneaky}"})

    with pytest.raises(ValueError, match="linefeed or carriage return"):
        mime_bytes(email, SENDER)


def test_a_line_break_in_an_extra_header_or_the_sender_is_refused() -> None:
    with pytest.raises(ValueError):
        mime_bytes(make_email(headers={"List-Unsubscribe": "<x>\r\nBcc: all@evil.test"}),
                   SENDER)
    with pytest.raises(ValueError):
        mime_bytes(make_email(), "PostFlow <p@example.test>\nBcc: all@evil.test")


@pytest.mark.parametrize("name", ["Bad Name", "Bad:Name", "Bcc:\r\nX", "", "Näme"])
def test_a_header_name_that_is_not_a_field_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="header name"):
        mime_bytes(make_email(headers={name: "value"}), SENDER)


def test_a_non_ascii_address_is_left_to_the_standard_library() -> None:
    email = make_email(to="zoë@exämple.test")

    message = parsed(mime_bytes(email, "Pöstflow <postflow@example.test>"))

    assert message["To"] == "zoë@exämple.test" and "Pöstflow" in str(message["From"])


def test_a_body_holding_the_boundary_is_left_to_the_standard_library(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("integrations.email.mime_bytes.secrets.token_hex", lambda n: "fixed")
    email = make_email(text="--=_postflow_fixed\nnot a delimiter\n")

    message = parsed(mime_bytes(email, SENDER))

    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/alternative", "text/plain", "text/html"]
    assert "not a delimiter" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
