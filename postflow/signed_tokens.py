"""Signed, expiring tokens: the one helper behind every kind PostFlow hands out (OAuth states and
pick tokens, the connect page's CSRF token, billing links, media URLs).

A token is ``<payload>.<expires>.<signature>``: the payload base64url (readable, not secret),
the expiry in Unix seconds, the signature an HMAC-SHA256 (base64url) of ``"<expires>.<payload>"``.
Its key is derived with HKDF from a secret key and the token's *purpose*, so a token of one kind
never opens as another. The newest secret key signs; every configured key opens, so rotating the
key (``POSTFLOW_PREVIOUS_SECRET_KEYS``) breaks no token before it expires. Expiry is read from the
injected clock. A *detached* signature (:meth:`TokenSigner.sign_detached`) signs a payload the
caller carries itself (a media URL's path) and hands back the expiry and the signature.

Opening refuses anything else with :class:`TokenRefused` (reason ``invalid`` or ``expired``) and
never raises another exception, whatever the text: length, alphabet and shape are checked first,
and the payload is decoded only once its signature matched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from postflow.clock import Clock
from postflow.errors import Unauthorized

#: Longer than any form field or URL the hub accepts (a pick token holds sealed accounts).
MAX_TOKEN_LENGTH = 512 * 1024
#: Expiries up to the year 5138: ``datetime`` cannot hold what 12 digits can say.
_MAX_EXPIRES_DIGITS = 11
_SIGNATURE_LENGTH = 43  # 32 bytes of HMAC-SHA256 in unpadded base64url
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_SALT = b"postflow signed tokens v1"

Reason = Literal["invalid", "expired"]


class TokenRefused(Unauthorized):
    """Raised when a token does not open: ``reason`` (also ``details["reason"]``) is
    ``invalid`` (forged, malformed, another purpose, an unknown key) or ``expired``.

    Callers map it to their own wording; its message is a neutral fallback.
    """

    def __init__(self, reason: Reason) -> None:
        super().__init__("This link has expired." if reason == "expired"
                         else "This link is not valid.", details={"reason": reason})
        self.reason: Reason = reason


@dataclass(frozen=True)
class OpenedToken:
    """What an accepted token carried, and when it stops being accepted."""

    payload: str
    expires_at: datetime


@dataclass(frozen=True)
class DetachedSignature:
    """A signature over a payload the caller carries itself, and the expiry it signs."""

    expires: int
    signature: str


class TokenSigner:
    """Signs with the first of ``secret_keys`` and opens with any of them; expiry by ``clock``."""

    def __init__(self, secret_keys: Sequence[str], clock: Clock) -> None:
        if not secret_keys:
            raise ValueError("Signing needs at least one secret key.")
        self._secret_keys = tuple(secret_keys)
        self._clock = clock

    def sign(self, purpose: str, payload: str, ttl: timedelta) -> str:
        """A token carrying ``payload`` for ``purpose``, accepted for ``ttl``."""
        encoded = base64.urlsafe_b64encode(payload.encode("utf-8")).decode().rstrip("=")
        detached = self.sign_detached(purpose, encoded, ttl)
        token = f"{encoded}.{detached.expires}.{detached.signature}"
        if len(token) > MAX_TOKEN_LENGTH:
            raise ValueError(f"A {purpose} token would be longer than {MAX_TOKEN_LENGTH} "
                             "characters, so it could never be opened.")
        return token

    def open(self, purpose: str, token: object) -> OpenedToken:
        """The payload of a token :meth:`sign` made for ``purpose``; TokenRefused otherwise."""
        if not (isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH and token.isascii()):
            raise TokenRefused("invalid")
        parts = token.split(".")
        if len(parts) != 3 or not _BASE64URL.issuperset(parts[0]):
            raise TokenRefused("invalid")
        encoded, expires, signature = parts
        expires_at = self.open_detached(purpose, encoded, expires, signature)
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
        except (binascii.Error, ValueError):  # signed by us, so only if a key was shared
            raise TokenRefused("invalid") from None
        return OpenedToken(payload=payload, expires_at=expires_at)

    def sign_detached(self, purpose: str, payload: str, ttl: timedelta) -> DetachedSignature:
        """The expiry and signature of ``payload`` for ``purpose``, accepted for ``ttl``."""
        expires = int((self._clock.now() + ttl).timestamp())
        key = _derive_key(self._secret_keys[0], purpose)
        return DetachedSignature(expires=expires,
                                 signature=_mac(key, _message(str(expires), payload)))

    def open_detached(self, purpose: str, payload: str, expires: object,
                      signature: object) -> datetime:
        """When a detached signature of ``payload`` expires; TokenRefused unless ``expires`` and
        ``signature`` are what :meth:`sign_detached` gave for it and it has not expired."""
        if not (isinstance(expires, str) and expires.isascii() and expires.isdigit()
                and len(expires) <= _MAX_EXPIRES_DIGITS and isinstance(signature, str)
                and len(signature) == _SIGNATURE_LENGTH and signature.isascii()):
            raise TokenRefused("invalid")
        message = _message(expires, payload)
        given = signature.encode("ascii")
        matched = False
        for secret_key in self._secret_keys:
            # Every key is tried: no early exit that would time which one matched.
            matched |= hmac.compare_digest(given, _mac(_derive_key(secret_key, purpose),
                                                       message).encode("ascii"))
        if not matched:
            raise TokenRefused("invalid")
        expires_at = datetime.fromtimestamp(int(expires), UTC)
        if expires_at <= self._clock.now():
            raise TokenRefused("expired")
        return expires_at

    def derive(self, purpose: str, message: str) -> str:
        """A secret (43 base64url characters) derived from the newest key, ``purpose`` and
        ``message``: every process with the same key derives the same one."""
        return _mac(_derive_key(self._secret_keys[0], purpose), message.encode("utf-8"))


def _derive_key(secret_key: str, purpose: str) -> bytes:
    if not (purpose and purpose.isascii() and purpose.isprintable()):
        raise ValueError(f"A token purpose must be printable ASCII, not {purpose!r}.")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode("ascii"))
    return hkdf.derive(secret_key.encode("utf-8"))


def _message(expires: str, payload: str) -> bytes:
    return f"{expires}.{payload}".encode("utf-8", "surrogatepass")


def _mac(key: bytes, message: bytes) -> str:
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
