"""Signed, expiring URLs for media the hub serves itself (the local store).

``GET /media/{id}?exp=<unix s>&sig=<signature>``: ``exp`` and ``sig`` are a detached signature of
the media id (:meth:`postflow.signed_tokens.TokenSigner.sign_detached`, its own purpose, so it
signs nothing else). Every key in ``POSTFLOW_PREVIOUS_SECRET_KEYS`` still verifies, so rotating
the secret key breaks no link early.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from postflow.errors import Forbidden
from postflow.signed_tokens import TokenRefused, TokenSigner

_PURPOSE = "media-url"


def signed_media_url(base_url: str, signer: TokenSigner, media_id: str,
                     expires_in: timedelta) -> str:
    """The hub's URL for ``media_id``, valid for ``expires_in``."""
    signed = signer.sign_detached(_PURPOSE, media_id, expires_in)
    query = urlencode({"exp": signed.expires, "sig": signed.signature})
    return f"{base_url.rstrip('/')}/media/{media_id}?{query}"


def verify_media_signature(signer: TokenSigner, media_id: str, exp: str | None,
                           sig: str | None) -> None:
    """Raise Forbidden unless ``exp``/``sig`` sign ``media_id`` and have not expired."""
    try:
        signer.open_detached(_PURPOSE, media_id, exp, sig)
    except TokenRefused as refused:
        if refused.reason == "expired":
            raise Forbidden("This media link has expired.",
                            details={"reason": "expired"}) from None
        raise Forbidden("This media link is not valid.", details={"reason": "invalid"}) from None
