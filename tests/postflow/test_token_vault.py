"""The token vault: sealing secrets at rest, opening them, and rotating the keys."""

from __future__ import annotations

import pytest

from postflow.errors import ConfigurationError
from postflow.token_vault import TokenVault, VaultError

OLD_KEY = "old-secret-key-0123456789abcdef"
NEW_KEY = "new-secret-key-fedcba9876543210"
PLAINTEXT = '{"access_token": "tok_live_abc123"}'


def test_a_sealed_value_opens_to_the_plaintext() -> None:
    vault = TokenVault([NEW_KEY])

    assert vault.open(vault.seal(PLAINTEXT)) == PLAINTEXT


def test_a_sealed_value_does_not_contain_the_plaintext() -> None:
    sealed = TokenVault([NEW_KEY]).seal(PLAINTEXT)

    assert sealed != PLAINTEXT
    assert "tok_live_abc123" not in sealed


def test_sealing_twice_gives_different_ciphertexts() -> None:
    vault = TokenVault([NEW_KEY])

    assert vault.seal(PLAINTEXT) != vault.seal(PLAINTEXT)


def test_non_ascii_plaintext_round_trips() -> None:
    vault = TokenVault([NEW_KEY])

    assert vault.open(vault.seal("clé ✓")) == "clé ✓"


def test_a_vault_with_new_and_old_keys_opens_values_sealed_with_the_old_key() -> None:
    sealed_with_old = TokenVault([OLD_KEY]).seal(PLAINTEXT)

    assert TokenVault([NEW_KEY, OLD_KEY]).open(sealed_with_old) == PLAINTEXT


def test_a_resealed_value_opens_with_the_new_key_alone() -> None:
    sealed_with_old = TokenVault([OLD_KEY]).seal(PLAINTEXT)

    resealed = TokenVault([NEW_KEY, OLD_KEY]).reseal(sealed_with_old)

    assert TokenVault([NEW_KEY]).open(resealed) == PLAINTEXT


def test_a_resealed_value_no_longer_opens_with_the_old_key() -> None:
    resealed = TokenVault([NEW_KEY, OLD_KEY]).reseal(TokenVault([OLD_KEY]).seal(PLAINTEXT))

    with pytest.raises(VaultError):
        TokenVault([OLD_KEY]).open(resealed)


def test_the_wrong_key_raises_vault_error() -> None:
    sealed = TokenVault([OLD_KEY]).seal(PLAINTEXT)

    with pytest.raises(VaultError):
        TokenVault([NEW_KEY]).open(sealed)


@pytest.mark.parametrize("garbage", ["not-a-token", "", "clé-non-ascii"])
def test_garbage_raises_vault_error(garbage: str) -> None:
    with pytest.raises(VaultError):
        TokenVault([NEW_KEY]).open(garbage)


def test_resealing_garbage_raises_vault_error() -> None:
    with pytest.raises(VaultError):
        TokenVault([NEW_KEY]).reseal("not-a-token")


def test_the_vault_error_does_not_echo_the_sealed_value() -> None:
    sealed = TokenVault([OLD_KEY]).seal(PLAINTEXT)

    with pytest.raises(VaultError) as caught:
        TokenVault([NEW_KEY]).open(sealed)

    assert sealed not in str(caught.value)


@pytest.mark.parametrize("keys", [["short"], [NEW_KEY, "short"], []],
                         ids=["short", "short-previous", "none"])
def test_a_short_or_missing_key_is_a_configuration_error(keys: list[str]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        TokenVault(keys)

    assert "short" not in str(caught.value)
