"""An :class:`~postflow.email.message.OutgoingEmail` written straight to RFC 5322 bytes, as
:func:`integrations.email.mime.mime_message` builds it but without the standard library's
header objects (parsing and refolding every header cost ~2.7 ms of CPU per digest; this takes
a tenth of that).

The same protection as the standard library's: a header value with a line break in it (any of
``str.splitlines``'s, or NUL) raises ValueError, so no value can start a header of its own;
header names must be printable ASCII without a colon. Non-ASCII text in a header is written as
RFC 2047 encoded words; bodies are 7bit when they are ASCII with short lines, quoted-printable
otherwise. Messages this writer does not handle (a non-ASCII address, a line too long for SMTP)
are left to the standard library: :func:`mime_bytes` falls back to it.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from email import policy
from email.utils import format_datetime

from integrations.email.mime import mime_message
from postflow.email.message import OutgoingEmail

#: Every character ``str.splitlines`` breaks on, and NUL.
_LINE_BREAK = re.compile("[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00]")
_HEADER_NAME = re.compile("[!-9;-~]+")
#: RFC 5321's limit on a line, without its CRLF.
MAX_LINE = 998
#: UTF-8 bytes per encoded word: 45 bytes are 60 base64 characters, 72 with the ``=?utf-8?b?``
#: frame, under RFC 2047's 75.
_WORD_BYTES = 45


class NeedsStandardLibrary(Exception):
    """This writer leaves the message to the standard library (it stays correct, only slower)."""


def mime_bytes(email: OutgoingEmail, sender: str) -> bytes:
    """The email as the bytes of a MIME message (text and HTML alternatives, our headers)."""
    try:
        return write_mime(email, sender)
    except NeedsStandardLibrary:
        return mime_message(email, sender).as_bytes(policy=policy.SMTP)


def write_mime(email: OutgoingEmail, sender: str) -> bytes:
    """The fast writer; NeedsStandardLibrary for what it does not handle, ValueError for a
    header value with a line break or a bad header name."""
    head = [_address_header("From", sender), _address_header("To", email.to),
            _header("Subject", email.subject), _header("Date", format_datetime(email.created_at))]
    head.extend(_header(name, value) for name, value in email.headers.items())
    text = _text_part(email.text, "plain")
    if not email.html:
        return b"".join([*head, text[0], b"MIME-Version: 1.0\r\n\r\n", text[1]])
    html = _text_part(email.html, "html")
    boundary = f"=_postflow_{secrets.token_hex(12)}".encode()
    if boundary in text[1] or boundary in html[1]:
        raise NeedsStandardLibrary("boundary in a body")
    return b"".join([
        *head, b"MIME-Version: 1.0\r\n",
        b'Content-Type: multipart/alternative; boundary="', boundary, b'"\r\n\r\n',
        # Each body ends in CRLF, and the CRLF before a delimiter belongs to the delimiter.
        b"--", boundary, b"\r\n", text[0], b"\r\n", text[1],
        b"\r\n--", boundary, b"\r\n", html[0], b"\r\n", html[1],
        b"\r\n--", boundary, b"--\r\n"])


def _check(name: str, value: str) -> None:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"Invalid header name {name!r}")
    if _LINE_BREAK.search(value):
        raise ValueError("Header values may not contain linefeed or carriage return characters")


def _header(name: str, value: str) -> bytes:
    _check(name, value)
    if value.isascii():
        line = f"{name}: {value}\r\n".encode("ascii")
        if len(line) > MAX_LINE + 2:
            raise NeedsStandardLibrary("a header longer than SMTP's line")
        return line
    return f"{name}: {_encoded_words(value)}\r\n".encode("ascii")


def _address_header(name: str, value: str) -> bytes:
    _check(name, value)
    if not value.isascii():
        # A display name or an address in UTF-8: the standard library's address parser.
        raise NeedsStandardLibrary("a non-ASCII address header")
    return _header(name, value)


def _encoded_words(value: str) -> str:
    """RFC 2047 base64 encoded words, one per folded line, split between characters."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in value:
        width = len(char.encode("utf-8"))
        if size + width > _WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(char)
        size += width
    words.append("".join(chunk))
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words)


def _text_part(text: str, subtype: str) -> tuple[bytes, bytes]:
    """(the part's headers, its body ending in CRLF)."""
    lines = text.encode("utf-8").splitlines()
    if text.isascii() and all(len(line) <= MAX_LINE for line in lines):
        encoding, body = b"7bit", b"\r\n".join(lines) + b"\r\n"
    else:
        encoding = b"quoted-printable"
        # Lines end in "\n" only here (bytes.splitlines took every "\r"), so the "\n" of the
        # encoded text, soft breaks included, are all line ends.
        body = binascii.b2a_qp(b"\n".join(lines) + b"\n", istext=True).replace(b"\n", b"\r\n")
    head = (b"Content-Type: text/" + subtype.encode() + b'; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: " + encoding + b"\r\n")
    return head, body
