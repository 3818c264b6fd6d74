"""Comparing a secret someone sent with the one expected, in constant time, for any text.

``hmac.compare_digest`` raises TypeError on a ``str`` with a non-ASCII character; a token
from a query string or a cookie can hold anything, so both sides are compared as UTF-8 bytes
(a lone surrogate, which a decoded URL may carry, is kept rather than raising).
"""

from __future__ import annotations

import hmac


def same_secret(given: str, expected: str) -> bool:
    """Whether ``given`` equals ``expected``, without an early exit that would time it."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))
