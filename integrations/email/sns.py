"""Amazon SNS messages (how SES reports bounces and complaints), verified before anything in
them is believed:

- the signing certificate must come from ``https://sns.<region>.amazonaws.com/`` (or
  ``.amazonaws.com.cn``) and nowhere else; it is fetched once and cached;
- the signature (``SignatureVersion`` 1: RSA SHA1; 2: RSA SHA256) must verify over the fields
  SNS signs, in SNS's order;
- a subscription is confirmed by fetching its ``SubscribeURL``, under the same host rule.

Tests serve their own certificate from loopback; only the test-only setting
``POSTFLOW_SES_SNS_TEST_URL_PREFIX`` lets a URL that is not SNS's through.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
#: The fields each message type signs, in the order SNS signs them.
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERT_BYTES = 64 * 1024
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10)
CACHED_CERTS = 16


class SnsRefused(Exception):
    """The message is not a genuine SNS message for us; ``reason`` says why (for the log and
    the answer: never a body)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SnsMessage:
    type: str
    topic_arn: str
    message_id: str
    message: str
    subscribe_url: str
    fields: dict[str, str]


def parse_sns_message(body: bytes) -> SnsMessage:
    """The message's fields; SnsRefused for anything that is not an SNS message's shape."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SnsRefused("not_json") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise SnsRefused("not_an_sns_message")
    kind = data.get("Type", "")
    if kind not in SIGNED_FIELDS or not data.get("TopicArn") or not data.get("Signature"):
        raise SnsRefused("not_an_sns_message")
    return SnsMessage(type=kind, topic_arn=data["TopicArn"], message_id=data.get("MessageId", ""),
                      message=data.get("Message", ""), subscribe_url=data.get("SubscribeURL", ""),
                      fields=data)


def signed_text(message: SnsMessage) -> bytes:
    """What SNS signs: ``Name\\nvalue\\n`` for each signed field present, in order."""
    out = []
    for name in SIGNED_FIELDS[message.type]:
        if name in message.fields:
            out.append(f"{name}\n{message.fields[name]}\n")
    return "".join(out).encode("utf-8")


class SnsVerifier:
    """Checks signatures with certificates fetched from SNS hosts only (cached)."""

    def __init__(self, *, test_url_prefix: str | None = None) -> None:
        self._test_url_prefix = test_url_prefix
        self._keys: OrderedDict[str, rsa.RSAPublicKey] = OrderedDict()

    def url_allowed(self, url: str) -> bool:
        """An https URL on an SNS host (default port), or the tests' own prefix."""
        if self._test_url_prefix and url.startswith(self._test_url_prefix):
            return True
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        return (parts.scheme == "https" and port in (None, 443) and not parts.username
                and _SNS_HOST.match(parts.hostname or "") is not None)

    async def verify(self, message: SnsMessage) -> None:
        """Raise SnsRefused unless SNS signed ``message``."""
        version = message.fields.get("SignatureVersion", "")
        algorithm = _HASHES.get(version)
        if algorithm is None:
            raise SnsRefused("unknown_signature_version")
        cert_url = message.fields.get("SigningCertURL", "")
        if not self.url_allowed(cert_url):
            raise SnsRefused("certificate_not_from_sns")
        try:
            signature = base64.b64decode(message.fields["Signature"], validate=True)
        except (binascii.Error, ValueError):
            raise SnsRefused("bad_signature") from None
        key = await self._public_key(cert_url)
        try:
            key.verify(signature, signed_text(message), padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise SnsRefused("bad_signature") from None

    async def confirm_subscription(self, message: SnsMessage) -> None:
        """Fetch the ``SubscribeURL`` of a verified SubscriptionConfirmation."""
        if not self.url_allowed(message.subscribe_url):
            raise SnsRefused("subscribe_url_not_from_sns")
        await _fetch(message.subscribe_url)

    async def _public_key(self, url: str) -> rsa.RSAPublicKey:
        key = self._keys.get(url)
        if key is not None:
            self._keys.move_to_end(url)
            return key
        try:
            cert = x509.load_pem_x509_certificate(await _fetch(url))
        except ValueError:
            raise SnsRefused("bad_certificate") from None
        public = cert.public_key()
        if not isinstance(public, rsa.RSAPublicKey):
            raise SnsRefused("bad_certificate")
        self._keys[url] = public
        while len(self._keys) > CACHED_CERTS:
            self._keys.popitem(last=False)
        return public


async def _fetch(url: str) -> bytes:
    try:
        async with aiohttp.ClientSession(timeout=FETCH_TIMEOUT) as session, \
                session.get(url, allow_redirects=False) as answer:
            if answer.status != 200:
                raise SnsRefused(f"sns_answered_{answer.status}")
            body = await answer.content.read(MAX_CERT_BYTES + 1)
    except (aiohttp.ClientError, TimeoutError):
        raise SnsRefused("sns_unreachable") from None
    if len(body) > MAX_CERT_BYTES:
        raise SnsRefused("sns_answer_too_large")
    return body


def ses_feedback(message: str) -> tuple[str, list[str], str]:
    """What an SES notification (the SNS ``Message``) says: (``bounce``, ``complaint`` or "",
    the addresses to stop mailing, a short detail). A transient bounce stops nothing."""
    try:
        data: Any = json.loads(message)
    except ValueError:
        return "", [], ""
    if not isinstance(data, dict):
        return "", [], ""
    kind = str(data.get("notificationType") or data.get("eventType") or "")
    if kind == "Bounce":
        bounce = data.get("bounce") or {}
        if not isinstance(bounce, dict) or bounce.get("bounceType") != "Permanent":
            return "", [], ""
        return "bounce", _addresses(bounce.get("bouncedRecipients")), str(
            bounce.get("bounceSubType", ""))[:40]
    if kind == "Complaint":
        complaint = data.get("complaint") or {}
        if not isinstance(complaint, dict):
            return "", [], ""
        return "complaint", _addresses(complaint.get("complainedRecipients")), str(
            complaint.get("complaintFeedbackType", ""))[:40]
    return "", [], ""


def _addresses(recipients: object) -> list[str]:
    if not isinstance(recipients, list):
        return []
    return [r["emailAddress"] for r in recipients
            if isinstance(r, dict) and isinstance(r.get("emailAddress"), str)][:50]
