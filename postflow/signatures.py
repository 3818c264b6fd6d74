"""The incoming-webhook signature scheme.

Header: ``PostFlow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``. The HMAC is over
``"<t>." + raw body`` (for a GET, the body is the request path) with the hook's secret. Several
``v1=`` values may be sent while a secret is being rotated; one match is enough.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from postflow.errors import Unauthorized

HEADER = "PostFlow-Signature"


def compute_signature(secret: str, timestamp: int, payload: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def request_fingerprint(timestamp: int, payload: bytes) -> str:
    """What makes a signed request the same request: its timestamp and payload, whatever
    secret or secrets signed it (so a replay cannot pass by dropping one ``v1=`` value)."""
    return hashlib.sha256(str(timestamp).encode("ascii") + b"." + payload).hexdigest()


def signature_header(secret: str, timestamp: int, payload: bytes) -> str:
    """Build the header value a sender puts on a request."""
    return f"t={timestamp},v1={compute_signature(secret, timestamp, payload)}"


def verify_signature(header: str | None, payload: bytes, secrets: list[str], *, now: datetime,
                     tolerance_seconds: int) -> int:
    """Return the signed timestamp (unix seconds) if ``header`` signs ``payload`` with one of
    ``secrets``; raise :class:`Unauthorized` otherwise."""
    if not header:
        raise Unauthorized(f"The {HEADER} header is missing.")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise Unauthorized(f"The {HEADER} timestamp is not a number.") from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise Unauthorized(f"The {HEADER} header must look like t=<unix seconds>,v1=<hex>.")
    try:
        skew = now.timestamp() - timestamp
    except OverflowError:  # a timestamp too large for a float: garbage, not a server error
        raise Unauthorized(f"The {HEADER} timestamp is out of range.") from None
    if skew > tolerance_seconds:
        raise Unauthorized(f"The signature timestamp is more than {tolerance_seconds} s old; "
                           "sign each request when you send it.",
                           details={"skew_seconds": int(skew)})
    if skew < -tolerance_seconds:
        raise Unauthorized(f"The signature timestamp is more than {tolerance_seconds} s in the "
                           "future; check the sender's clock.", details={"skew_seconds": int(skew)})
    expected = [compute_signature(secret, timestamp, payload) for secret in secrets]
    matched = False
    for candidate in candidates:
        for good in expected:
            # compare_digest on every pair: no early exit that would leak which one matched.
            matched |= hmac.compare_digest(candidate.encode("ascii", "replace"),
                                           good.encode("ascii"))
    if not matched:
        raise Unauthorized("The signature does not match this hook's secret.")
    return timestamp


#: GitHub's own webhooks (a hook with ``--signature github``): ``sha256=<hex HMAC of the body>``.
GITHUB_HEADER = "X-Hub-Signature-256"
_GITHUB_PREFIX = "sha256="


def github_signature_header(secret: str, payload: bytes) -> str:
    """The header value GitHub sends for ``payload`` signed with ``secret``."""
    return _GITHUB_PREFIX + hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).hexdigest()


def verify_github_signature(header: str | None, payload: bytes, secrets: list[str]) -> None:
    """Raise :class:`Unauthorized` unless ``header`` is GitHub's signature of ``payload`` with
    one of ``secrets``. GitHub signs no timestamp: replays are refused by the body's
    fingerprint instead (postflow/usecases/hooks.py)."""
    if not header:
        raise Unauthorized(f"The {GITHUB_HEADER} header is missing.")
    if not header.startswith(_GITHUB_PREFIX):
        raise Unauthorized(f"The {GITHUB_HEADER} header must look like sha256=<hex>.")
    candidate = header.encode("ascii", "replace")
    matched = False
    for secret in secrets:
        matched |= hmac.compare_digest(candidate,
                                       github_signature_header(secret, payload).encode("ascii"))
    if not matched:
        raise Unauthorized("The signature does not match this hook's secret.")
