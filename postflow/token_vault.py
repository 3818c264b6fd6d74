"""Sealing secrets at rest (connection tokens, hook secrets) with keys derived from the secret key.

Each configured secret key is stretched with HKDF into a Fernet key. The first key seals; all keys
open, so a key can be rotated: add the new key first, keep the old ones until ``reseal`` has run.
"""

from __future__ import annotations

import base64
from collections import OrderedDict

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from postflow.errors import ConfigurationError

_INFO = b"postflow token vault v1"


def _derive_fernet_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"postflow", info=_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8")))


class VaultError(Exception):
    """Raised when a sealed value cannot be opened with any configured key."""


class TokenVault:
    #: Opened values kept in memory, keyed by their sealed text: a hook secret is opened on every
    #: signed request, and decrypting costs more than the rest of the signature check.
    OPENED_CACHE_SIZE = 1024

    def __init__(self, secret_keys: list[str]) -> None:
        if not secret_keys or any(len(k) < 16 for k in secret_keys):
            raise ConfigurationError("Each secret key must be at least 16 characters long.")
        self._fernet = MultiFernet([Fernet(_derive_fernet_key(k)) for k in secret_keys])
        self._opened: OrderedDict[str, str] = OrderedDict()

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        opened = self._opened.get(sealed)
        if opened is not None:
            self._opened.move_to_end(sealed)
            return opened
        try:
            opened = self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError) as err:
            raise VaultError("A sealed secret could not be opened with the configured keys.") \
                from err
        self._opened[sealed] = opened
        if len(self._opened) > self.OPENED_CACHE_SIZE:
            self._opened.popitem(last=False)
        return opened

    def reseal(self, sealed: str) -> str:
        """Re-encrypt ``sealed`` under the first (newest) key."""
        try:
            return self._fernet.rotate(sealed.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError) as err:
            raise VaultError("A sealed secret could not be opened with the configured keys.") \
                from err
