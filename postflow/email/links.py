"""The signed links mails carry (one helper: :mod:`postflow.signed_tokens`): confirm an
address, unsubscribe from one kind of mail in one click (RFC 8058), and look at a post.

Each link names the organization and the member it was made for; opening it needs no login,
so a link only ever does that one thing for that one person.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from postflow.email.preferences import EmailKind
from postflow.signed_tokens import TokenRefused, TokenSigner

CONFIRM_PURPOSE = "email-confirm"
UNSUBSCRIBE_PURPOSE = "email-unsubscribe"
POST_PURPOSE = "email-post"
#: A confirmation link works for two days.
CONFIRM_TTL = timedelta(days=2)
#: An unsubscribe link must keep working long after the mail was read (mail clients offer
#: the one-click unsubscribe on old mail too).
UNSUBSCRIBE_TTL = timedelta(days=400)
#: A post's page, linked from a mail about it.
POST_TTL = timedelta(days=30)

CONFIRM_PATH = "/email/confirm"
UNSUBSCRIBE_PATH = "/email/unsubscribe"
POST_PATH = "/email/post"


@dataclass(frozen=True)
class AddressConfirmation:
    org_id: str
    member_id: str
    address: str


@dataclass(frozen=True)
class Unsubscription:
    org_id: str
    member_id: str
    kind: EmailKind


@dataclass(frozen=True)
class PostView:
    org_id: str
    member_id: str
    post_id: str


class EmailLinks:
    """Makes and opens the links, absolute from ``public_url``."""

    def __init__(self, tokens: TokenSigner, public_url: str) -> None:
        self._tokens = tokens
        self._public_url = public_url.rstrip("/")

    def confirm(self, org_id: str, member_id: str, address: str) -> str:
        return self._link(CONFIRM_PATH, CONFIRM_PURPOSE,
                          {"o": org_id, "m": member_id, "a": address}, CONFIRM_TTL)

    def unsubscribe(self, org_id: str, member_id: str, kind: EmailKind) -> str:
        return self._link(UNSUBSCRIBE_PATH, UNSUBSCRIBE_PURPOSE,
                          {"o": org_id, "m": member_id, "k": kind.value}, UNSUBSCRIBE_TTL)

    def post(self, org_id: str, member_id: str, post_id: str) -> str:
        return self._link(POST_PATH, POST_PURPOSE,
                          {"o": org_id, "m": member_id, "p": post_id}, POST_TTL)

    def open_confirm(self, token: object) -> AddressConfirmation:
        data = self._open(CONFIRM_PURPOSE, token)
        return AddressConfirmation(data["o"], data["m"], data["a"])

    def open_unsubscribe(self, token: object) -> Unsubscription:
        data = self._open(UNSUBSCRIBE_PURPOSE, token)
        try:
            kind = EmailKind(data["k"])
        except ValueError:
            raise TokenRefused("invalid") from None
        return Unsubscription(data["o"], data["m"], kind)

    def open_post(self, token: object) -> PostView:
        data = self._open(POST_PURPOSE, token)
        return PostView(data["o"], data["m"], data["p"])

    def _link(self, path: str, purpose: str, payload: dict[str, str], ttl: timedelta) -> str:
        token = self._tokens.sign(purpose, json.dumps(payload, separators=(",", ":")), ttl)
        return f"{self._public_url}{path}?{urlencode({'token': token})}"

    def _open(self, purpose: str, token: object) -> dict[str, str]:
        opened = self._tokens.open(purpose, token)
        try:
            data = json.loads(opened.payload)
        except ValueError:
            raise TokenRefused("invalid") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise TokenRefused("invalid")
        return data

