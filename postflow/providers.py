"""The Provider protocol: what the core needs from every social network.

Providers live in ``integrations/<network>/`` and return plain data; they never touch the store,
never notify anyone and never read the environment. Every failure leaves a provider as a
:class:`ProviderError` whose ``kind`` is one of a closed set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, SecretStr, SerializationInfo, field_serializer

from postflow.clock import UtcDatetime
from postflow.errors import BadInput
from postflow.media import MediaAttachment


class ErrorKind(StrEnum):
    """The closed set every platform failure is classified into."""

    #: Try again after ``retry_after`` seconds (rate limits, 5xx, timeouts before sending).
    RETRY_AFTER = "retry_after"
    #: The access token expired: refresh it, then try again.
    REFRESH_TOKEN = "refresh_token"  # noqa: S105 - an error kind, not a token
    #: The grant is gone (revoked, password changed): a person must reconnect the account.
    RECONNECT = "reconnect"
    #: The platform refused the content; trying again cannot help.
    BAD_INPUT = "bad_input"
    #: The outcome is unknown (it may have been published): reconcile through ``check`` first.
    UNKNOWN = "unknown"


class ProviderError(Exception):
    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None,
                 platform_code: str | None = None, raw: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.retry_after = retry_after
        self.platform_code = platform_code
        self.raw = raw


class TokenSet(BaseModel):
    """OAuth tokens. They print masked; only sealing asks for them in clear (``reveal_secrets``)."""

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_at: UtcDatetime | None = None
    #: When the refresh token itself ends (LinkedIn fixes it at the first consent); None:
    #: no refresh token, or the network does not say.
    refresh_expires_at: UtcDatetime | None = None
    scopes: list[str] = []

    @field_serializer("access_token", "refresh_token", when_used="json")
    def _reveal_for_sealing(self, value: SecretStr | None, info: SerializationInfo) -> str | None:
        if value is None:
            return None
        if isinstance(info.context, dict) and info.context.get("reveal_secrets"):
            return value.get_secret_value()
        return str(value)


class ConnectedAccount(BaseModel):
    """What a finished OAuth exchange yields."""

    account_id: str
    display_name: str
    tokens: TokenSet
    avatar_url: str | None = None
    #: Scopes the provider asked for that the grant does not hold, by name.
    missing_scopes: list[str] = []


@dataclass(frozen=True)
class AccountContext:
    """The account a provider acts as, with its opened tokens."""

    connection_id: str
    account_id: str
    tokens: TokenSet


@dataclass(frozen=True)
class PublishContent:
    text: str
    media_urls: tuple[str, ...] = ()
    #: The stored media, for providers that upload them (``postflow.media.MediaUploader``).
    media: tuple[MediaAttachment, ...] = ()
    #: Further parts of a thread, published in order, each as a reply to the one before
    #: (today only X reads them).
    thread: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublishResult:
    platform_post_id: str
    url: str | None = None
    raw: str | None = None


@dataclass(frozen=True)
class ValidationProblem:
    code: str
    message: str


@dataclass(frozen=True)
class ValidationReport:
    network: str
    length: int
    limit: int
    problems: tuple[ValidationProblem, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.problems


#: No network's hard text cap may be above this (code points); docs/networks.md.
MAX_TEXT_CAP = 65_536


class Provider(Protocol):
    network: str
    display_name: str
    #: The hard cap on a text for this network, in code points: well above what the network
    #: takes, at most :data:`MAX_TEXT_CAP`. A longer text is refused before ``validate`` counts
    #: or parses it (``postflow.text_caps``), so ``validate`` only ever sees bounded texts.
    #: A plugin provider without it gets ``MAX_TEXT_CAP``.
    max_text_code_points: int
    #: True when an account connects through the network's consent screen (OAuth); the sandbox
    #: connects without one. A plugin provider without it is taken to connect by consent.
    connects_by_oauth: bool
    #: What one connection brings, for people: "an X account", "Facebook Pages". A plugin
    #: provider without it gets "a <display name> account".
    account_noun: str

    def validate(self, content: PublishContent) -> ValidationReport:
        """Check ``content`` against the network's rules without calling it."""
        ...

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """The URL that asks a person to let PostFlow post for them."""
        ...

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        """Turn the callback's code into tokens and the account they belong to."""
        ...

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """Return fresh tokens; a missing refresh token in the answer keeps the old one."""
        ...

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        """Publish once. A success without a platform id is an error, never a result."""
        ...

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        """Find what an earlier ``publish`` with this key created; ``None`` if nothing.

        Raises ``ProviderError(UNKNOWN)`` when the network offers no way to find out.
        """
        ...


@runtime_checkable
class AccountPicker(Protocol):
    """A provider whose one consent yields several accounts a person picks from (Facebook:
    the Pages they manage). The hub shows the choice instead of connecting at once."""

    picks_accounts: bool

    async def exchange_code_for_accounts(self, *, code: str, redirect_uri: str,
                                         code_verifier: str) -> list[ConnectedAccount]:
        """Turn the callback's code into every account it grants, each with its own tokens."""
        ...


class ProviderRegistry:
    """Providers by network name: the one place the rest of the code finds a network."""

    def __init__(self, providers: Mapping[str, Provider]) -> None:
        self._providers = dict(providers)

    def get(self, network: str) -> Provider:
        try:
            return self._providers[network]
        except KeyError:
            known = ", ".join(sorted(self._providers))
            raise BadInput(f"Unknown network {network!r}. Known networks: {known}.",
                           details={"network": network}) from None

    def networks(self) -> list[str]:
        return sorted(self._providers)

    def consent_networks(self) -> list[str]:
        """The networks whose accounts connect through a consent screen (OAuth)."""
        return [n for n in self.networks()
                if getattr(self._providers[n], "connects_by_oauth", True) is not False]

    def account_noun(self, network: str) -> str:
        """What connecting ``network`` brings, for people: "an X account", "Facebook Pages"."""
        provider = self.get(network)
        noun = getattr(provider, "account_noun", None)
        return noun if isinstance(noun, str) and noun else f"a {provider.display_name} account"
