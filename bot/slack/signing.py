"""Checking that a request comes from Slack: the v0 signature over ``v0:{ts}:{body}`` with the
signing secret, and a timestamp within five minutes of PostFlow's clock."""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.signature import Clock as SlackClock
from slack_sdk.signature import SignatureVerifier

from postflow.clock import Clock


class _CoreClock(SlackClock):
    """slack-sdk's clock interface over PostFlow's (tests move it by hand)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock.now().timestamp()


#: How far a request's timestamp may be from PostFlow's clock (slack-sdk's own window).
TOLERANCE_SECONDS = 5 * 60
SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"


def signed_by(headers: Mapping[str, str]) -> tuple[str, int]:
    """The signature and its unix timestamp, of a request :meth:`SlackRequestVerifier.is_valid`
    accepted (so both are there and well formed)."""
    return headers[SIGNATURE_HEADER], int(headers[TIMESTAMP_HEADER])


class SlackRequestVerifier:
    def __init__(self, signing_secret: str, clock: Clock) -> None:
        self._verifier = SignatureVerifier(signing_secret, clock=_CoreClock(clock))

    def is_valid(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """True for a correctly signed, fresh request; False for anything else."""
        # slack-sdk raises on what it cannot parse (a timestamp too large for a float, a
        # non-ASCII signature hmac.compare_digest refuses): such headers are refused first.
        timestamp = headers.get(TIMESTAMP_HEADER, "")
        signature = headers.get(SIGNATURE_HEADER, "")
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12
                and signature.isascii() and len(signature) <= 128):
            return False
        return self._verifier.is_valid_request(body, headers)
