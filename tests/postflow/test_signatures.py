"""Incoming-webhook signatures: what is accepted and what is refused, without crashing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postflow.errors import Unauthorized
from postflow.signatures import compute_signature, signature_header, verify_signature

SECRET = "whsec_current"
OLD_SECRET = "whsec_previous"
BODY = b'{"text": "Hello"}'
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
TOLERANCE = 300


def verify(header: str | None, secrets: list[str] | None = None, body: bytes = BODY) -> int:
    return verify_signature(header, body, secrets or [SECRET], now=NOW, tolerance_seconds=TOLERANCE)


def test_a_valid_signature_is_accepted() -> None:
    assert verify(signature_header(SECRET, TS, BODY)) == TS


def test_a_signature_within_the_tolerance_is_accepted() -> None:
    assert verify(signature_header(SECRET, TS - TOLERANCE, BODY)) == TS - TOLERANCE


def test_a_missing_header_is_refused() -> None:
    with pytest.raises(Unauthorized, match="missing"):
        verify(None)


def test_an_empty_header_is_refused() -> None:
    with pytest.raises(Unauthorized, match="missing"):
        verify("")


@pytest.mark.parametrize("header", [
    "garbage", f"t={TS}", "v1=abcd", "t=,v1=abcd", f"v1={'a' * 64},x=1",
], ids=["no-parts", "no-v1", "no-t", "empty-t", "unknown-part"])
def test_a_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(Unauthorized):
        verify(header)


def test_a_non_numeric_timestamp_is_refused() -> None:
    with pytest.raises(Unauthorized, match="not a number"):
        verify(f"t=yesterday,v1={compute_signature(SECRET, TS, BODY)}")


def test_a_stale_timestamp_is_refused() -> None:
    with pytest.raises(Unauthorized, match="old") as caught:
        verify(signature_header(SECRET, TS - TOLERANCE - 1, BODY))

    assert caught.value.details["skew_seconds"] == TOLERANCE + 1


def test_a_future_timestamp_is_refused() -> None:
    with pytest.raises(Unauthorized, match="future"):
        verify(signature_header(SECRET, TS + TOLERANCE + 1, BODY))


def test_a_signature_made_with_another_secret_is_refused() -> None:
    with pytest.raises(Unauthorized, match="does not match"):
        verify(signature_header("whsec_someone_else", TS, BODY))


def test_a_signature_over_another_body_is_refused() -> None:
    with pytest.raises(Unauthorized, match="does not match"):
        verify(signature_header(SECRET, TS, b'{"text": "Tampered"}'))


def test_one_matching_value_among_several_v1_values_is_enough() -> None:
    good = compute_signature(SECRET, TS, BODY)

    assert verify(f"t={TS},v1={'0' * 64},v1={good},v1=deadbeef") == TS


def test_a_signature_made_with_a_previous_secret_is_accepted() -> None:
    assert verify(signature_header(OLD_SECRET, TS, BODY), secrets=[SECRET, OLD_SECRET]) == TS


def test_spaces_around_parts_are_tolerated() -> None:
    assert verify(f" t={TS} , v1={compute_signature(SECRET, TS, BODY)} ") == TS


@pytest.mark.parametrize("value", ["zz-not-hex", "é" * 64, "\x00" * 64, "", "=" * 10])
def test_non_hex_garbage_is_refused_without_crashing(value: str) -> None:
    with pytest.raises(Unauthorized, match="does not match"):
        verify(f"t={TS},v1={value}")


@pytest.mark.parametrize("timestamp", ["9" * 400, "-" + "9" * 400, "1e10", "nan", "9" * 5000])
def test_an_absurd_timestamp_is_refused_without_crashing(timestamp: str) -> None:
    with pytest.raises(Unauthorized):
        verify(f"t={timestamp},v1={'a' * 64}")
