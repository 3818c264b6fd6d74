"""Signed, expiring tokens: one helper for every kind (postflow/signed_tokens.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postflow.signed_tokens import MAX_TOKEN_LENGTH, TokenRefused, TokenSigner
from tests.fakes.clock import ManualClock

KEY = "current-key-0123456789"
OLD_KEY = "previous-key-0123456789"
TTL = timedelta(minutes=10)


def refusal(signer: TokenSigner, purpose: str, token: object) -> str:
    with pytest.raises(TokenRefused) as refused:
        signer.open(purpose, token)
    assert refused.value.details == {"reason": refused.value.reason}
    return refused.value.reason


def test_a_token_opens_to_its_payload_until_it_expires() -> None:
    clock = ManualClock()
    signer = TokenSigner([KEY], clock)

    opened = signer.open("billing", signer.sign("billing", '{"o": "org_1", "é": 1}', TTL))

    assert opened.payload == '{"o": "org_1", "é": 1}'
    assert opened.expires_at == clock.now() + TTL


def test_a_token_of_another_purpose_is_refused() -> None:
    signer = TokenSigner([KEY], ManualClock())

    assert refusal(signer, "billing", signer.sign("oauth-link:x", "org_1", TTL)) == "invalid"


def test_a_token_is_refused_as_expired_once_the_clock_passes_its_expiry() -> None:
    clock = ManualClock()
    signer = TokenSigner([KEY], clock)
    token = signer.sign("billing", "org_1", TTL)
    clock.advance(TTL.total_seconds() - 1)
    signer.open("billing", token)

    clock.advance(1)

    assert refusal(signer, "billing", token) == "expired"


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # signature
    lambda t: "b3JnXzI" + t[t.index("."):],  # payload: "org_2"
    lambda t: t.split(".")[0] + ".9" + t.split(".", 1)[1],  # expiry pushed back
    lambda t: t.split(".")[0] + "." + t.split(".")[1] + "0." + t.split(".")[2],
])
def test_a_tampered_token_is_refused(tamper: object) -> None:
    signer = TokenSigner([KEY], ManualClock())
    token = signer.sign("billing", "org_1", TTL)

    assert refusal(signer, "billing", tamper(token)) == "invalid"  # type: ignore[operator]


def test_a_token_signed_with_the_previous_key_opens_after_rotation() -> None:
    clock = ManualClock()
    token = TokenSigner([OLD_KEY], clock).sign("billing", "org_1", TTL)

    assert TokenSigner([KEY, OLD_KEY], clock).open("billing", token).payload == "org_1"


def test_a_rotated_signer_signs_with_the_newest_key() -> None:
    clock = ManualClock()
    token = TokenSigner([KEY, OLD_KEY], clock).sign("billing", "org_1", TTL)

    assert TokenSigner([KEY], clock).open("billing", token).payload == "org_1"
    assert refusal(TokenSigner([OLD_KEY], clock), "billing", token) == "invalid"


def test_a_token_signed_with_a_key_no_longer_configured_is_refused() -> None:
    clock = ManualClock()
    token = TokenSigner([OLD_KEY], clock).sign("billing", "org_1", TTL)

    assert refusal(TokenSigner([KEY], clock), "billing", token) == "invalid"


def test_a_detached_signature_opens_only_for_its_payload() -> None:
    clock = ManualClock()
    signer = TokenSigner([KEY], clock)
    detached = signer.sign_detached("media", "abc", TTL)

    assert signer.open_detached("media", "abc", str(detached.expires),
                                detached.signature) == clock.now() + TTL
    with pytest.raises(TokenRefused, match="not valid"):
        signer.open_detached("media", "abd", str(detached.expires), detached.signature)
    with pytest.raises(TokenRefused, match="not valid"):
        signer.open_detached("media", "abc", None, None)
    clock.advance(TTL.total_seconds())
    with pytest.raises(TokenRefused, match="expired"):
        signer.open_detached("media", "abc", str(detached.expires), detached.signature)


def test_a_derived_secret_depends_on_the_key_the_purpose_and_the_message() -> None:
    clock = ManualClock()
    derived = TokenSigner([KEY], clock).derive("pkce", "state_1")

    assert len(derived) == 43 and derived == TokenSigner([KEY, OLD_KEY], clock).derive(
        "pkce", "state_1")
    assert derived not in {TokenSigner([OLD_KEY], clock).derive("pkce", "state_1"),
                           TokenSigner([KEY], clock).derive("other", "state_1"),
                           TokenSigner([KEY], clock).derive("pkce", "state_2")}


@pytest.mark.parametrize("token", [
    "", ".", "..", "...", "a.b", "a.1.b.c", "a" * (MAX_TOKEN_LENGTH + 1), "é.1.x",
    "b3JnXzE.\u00b2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "b3JnXzE.99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "b3Jn!XzE.1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", None, 12, b"a.1.b",
])
def test_a_malformed_token_is_refused_as_invalid(token: object) -> None:
    assert refusal(TokenSigner([KEY], ManualClock()), "billing", token) == "invalid"


def test_a_valid_token_with_a_huge_payload_is_refused_before_it_is_read() -> None:
    signer = TokenSigner([KEY], ManualClock())
    token = signer.sign("pick", "x" * (MAX_TOKEN_LENGTH // 2), TTL)

    assert signer.open("pick", token).payload == "x" * (MAX_TOKEN_LENGTH // 2)
    with pytest.raises(ValueError, match="never be opened"):
        signer.sign("pick", "x" * MAX_TOKEN_LENGTH, TTL)
    assert refusal(signer, "pick", token + "x" * MAX_TOKEN_LENGTH) == "invalid"


#: Texts shaped like tokens: parts of any text, digits of other scripts, numbers out of range.
TOKEN_PARTS = st.one_of(st.text(max_size=50), st.sampled_from(["", "\u00b2", "\u0661", "é"]),
                        st.integers().map(str), st.text("0123456789", max_size=30),
                        st.text("ABCDEFabcdef0123456789-_=", min_size=43, max_size=44))


@given(parts=st.lists(TOKEN_PARTS, min_size=1, max_size=5))
def test_any_text_is_opened_or_refused_never_crashes(parts: list[str]) -> None:
    clock = ManualClock()
    signer = TokenSigner([KEY, OLD_KEY], clock)
    token = ".".join(parts)

    with pytest.raises(TokenRefused) as refused:
        signer.open("billing", token)
    assert refused.value.reason == "invalid"
    with pytest.raises(TokenRefused):
        signer.open_detached("media", parts[0], parts[-1], parts[len(parts) // 2])


@given(payload=st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
       purpose=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e), min_size=1,
                       max_size=30))
def test_any_payload_round_trips(payload: str, purpose: str) -> None:
    signer = TokenSigner([KEY], ManualClock())

    assert signer.open(purpose, signer.sign(purpose, payload, TTL)).payload == payload
