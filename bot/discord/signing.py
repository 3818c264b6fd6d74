"""Checking that an interaction comes from Discord: an Ed25519 signature over
``X-Signature-Timestamp`` + the raw body with the application's public key, and a timestamp
within five minutes of PostFlow's clock.

``cryptography`` (already a dependency) verifies Ed25519, so PyNaCl is not needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from postflow.clock import Clock
from postflow.errors import ConfigurationError

#: How far a request's timestamp may be from PostFlow's clock.
TOLERANCE_SECONDS = 5 * 60
SIGNATURE_HEADER = "X-Signature-Ed25519"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
#: An Ed25519 signature is 64 bytes, a public key 32: in hex, 128 and 64 characters.
_SIGNATURE_HEX = 128
_KEY_HEX = 64
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class SignedRequest:
    """A request the verifier accepted: its unix timestamp and a fingerprint of what was
    signed (timestamp and body), the same however the signature's hex was written."""

    signed_at: int
    fingerprint: str


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and all(c in _HEX for c in text)


class DiscordRequestVerifier:
    def __init__(self, public_key_hex: str, clock: Clock) -> None:
        key = public_key_hex.strip()
        if not _is_hex(key, _KEY_HEX):
            raise ConfigurationError("POSTFLOW_DISCORD_PUBLIC_KEY must be the application's "
                                     "public key: 64 hexadecimal characters.")
        self._key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key))
        self._clock = clock

    def verify(self, body: bytes, headers: Mapping[str, str]) -> SignedRequest | None:
        """The signed request, or None for anything else: a missing or malformed header, a
        wrong signature, a timestamp more than five minutes from now."""
        signature = headers.get(SIGNATURE_HEADER, "")
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        # Bounded, ASCII-only checks before any parsing or cryptography.
        if not _is_hex(signature, _SIGNATURE_HEX):
            return None
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
            return None
        signed_at = int(timestamp)
        if abs(self._clock.now().timestamp() - signed_at) > TOLERANCE_SECONDS:
            return None
        signed = timestamp.encode("ascii") + body
        try:
            self._key.verify(bytes.fromhex(signature), signed)
        except InvalidSignature:
            return None
        return SignedRequest(signed_at=signed_at,
                             fingerprint=hashlib.sha256(signed).hexdigest())
