"""API keys: bearer secrets of one organization, each limited to a closed set of scopes.

A key reads ``pf_<key id>_<secret>``. The id finds the record (one indexed lookup); the secret
is never stored: only an HMAC-SHA256 of it, keyed by the key's id, is kept and compared in
constant time. The key is shown once, when it is created or rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from enum import StrEnum

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime
from postflow.errors import BadInput
from postflow.secret_compare import same_secret

KEY_PREFIX = "pf_"
#: Random bytes of a key's secret (hex: twice as many characters).
SECRET_BYTES = 24
_KEY_SHAPE = re.compile(r"pf_(?P<id>key_[0-9a-z]{1,40})_(?P<secret>[0-9a-f]{1,200})",
                        re.ASCII)


class ApiScope(StrEnum):
    """Everything an API key may be allowed; the one list routes, CLI, chat and docs use."""

    POSTS_READ = "posts:read"
    POSTS_WRITE = "posts:write"
    CONNECTIONS_READ = "connections:read"
    QUEUES_READ = "queues:read"
    QUEUES_WRITE = "queues:write"
    HOOKS_READ = "hooks:read"
    WEBHOOKS_READ = "webhooks:read"
    WEBHOOKS_WRITE = "webhooks:write"
    AUDIT_READ = "audit:read"
    USAGE_READ = "usage:read"


class ApiKey(BaseModel):
    id: str
    org_id: str
    name: str = Field(min_length=1, max_length=120)
    scopes: list[ApiScope]
    #: HMAC-SHA256 (hex) of the secret, keyed by ``id``.
    secret_hash: str
    created_by: str
    created_at: UtcDatetime
    #: Written at most once per :data:`postflow.usecases.api_keys.LAST_USE_EVERY`.
    last_used_at: UtcDatetime | None = None
    rotated_at: UtcDatetime | None = None
    revoked_at: UtcDatetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def allows(self, scope: ApiScope) -> bool:
        return scope in self.scopes


def parse_scopes(text: str | list[str]) -> list[ApiScope]:
    """``posts:read,posts:write`` -> scopes, in the catalogue's order; BadInput naming the
    unknown ones and listing the known."""
    words = text.split(",") if isinstance(text, str) else text
    wanted = {w.strip().lower() for w in words if w.strip()}
    known = {s.value for s in ApiScope}
    unknown = sorted(wanted - known)
    if unknown or not wanted:
        what = f"Unknown scope {', '.join(unknown)}" if unknown else "Give at least one scope"
        raise BadInput(f"{what}. Scopes: {', '.join(s.value for s in ApiScope)}.",
                       details={"unknown": unknown, "scopes": [s.value for s in ApiScope]})
    return [s for s in ApiScope if s.value in wanted]


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def hash_secret(key_id: str, secret: str) -> str:
    return hmac.new(key_id.encode(), secret.encode(), hashlib.sha256).hexdigest()


def full_key(key_id: str, secret: str) -> str:
    """What the caller sends: ``pf_key_..._<secret>``."""
    return f"{KEY_PREFIX}{key_id}_{secret}"


def split_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a token shaped like a key, else None: any other text (a header byte
    that is not UTF-8 arrives as a lone surrogate) never reaches a store or a hash."""
    match = _KEY_SHAPE.fullmatch(token)
    return None if match is None else (match["id"], match["secret"])


def secret_matches(key: ApiKey, secret: str) -> bool:
    return same_secret(hash_secret(key.id, secret), key.secret_hash)
