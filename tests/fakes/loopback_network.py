"""The "loopback" network: a real HTTP provider for the fake platform in
``tests/fakes/platform_server.py``, added through ``POSTFLOW_PROVIDER_PLUGINS``.

It maps the platform's answers the way a real provider must:

| Answer | Error kind |
|---|---|
| 201 with an id | a :class:`PublishResult` |
| 201 without an id | UNKNOWN (it says it published; reconcile) |
| 429 | RETRY_AFTER with the ``Retry-After`` seconds |
| 500, 503 (other 5xx) | RETRY_AFTER, no time: nothing was created |
| 502, 504 | UNKNOWN: a gateway lost the answer, the post may exist |
| timeout or connection lost after sending | UNKNOWN |
| connection refused (nothing sent) | RETRY_AFTER |
| 400, 422 (other 4xx) | BAD_INPUT |
| 401 | REFRESH_TOKEN |
| 403 | RECONNECT |

``check`` looks the attempt id up with ``GET /posts?client_ref=``; a lookup is safe to repeat,
so its transient failures are RETRY_AFTER.

Use it with ``POSTFLOW_PROVIDER_PLUGINS=tests.fakes.loopback_network:plugin``; the plugin reads
the platform's address from ``POSTFLOW_TEST_LOOPBACK_URL`` and the client timeout from
``POSTFLOW_TEST_LOOPBACK_TIMEOUT`` (the plugin is the composition root here: the provider itself
reads no environment).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from urllib.parse import urlencode

import aiohttp

from integrations.http_session import http_session
from postflow.clock import Clock
from postflow.config import Settings
from postflow.errors import ConfigurationError
from postflow.ids import new_id
from postflow.providers import (
    AccountContext,
    ConnectedAccount,
    ErrorKind,
    Provider,
    ProviderError,
    PublishContent,
    PublishResult,
    TokenSet,
    ValidationProblem,
    ValidationReport,
)
from postflow.store.port import Store

NETWORK = "loopback"
URL_VARIABLE = "POSTFLOW_TEST_LOOPBACK_URL"
TIMEOUT_VARIABLE = "POSTFLOW_TEST_LOOPBACK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 2.0
MAX_LENGTH = 1000
#: Gateway errors: the platform behind may have acted before the answer was lost.
OUTCOME_UNKNOWN_STATUSES = frozenset({502, 504})


class LoopbackProvider:
    network = NETWORK
    display_name = "Loopback (fake platform)"
    max_text_code_points = 65_536
    connects_by_oauth = True
    account_noun = "a Loopback account"

    def __init__(self, base_url: str, *,
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    def validate(self, content: PublishContent) -> ValidationReport:
        length = len(content.text)
        problems = (() if length <= MAX_LENGTH else (ValidationProblem(
            "too_long", f"Loopback allows {MAX_LENGTH} characters; this is {length}."),))
        return ValidationReport(network=self.network, length=length, limit=MAX_LENGTH,
                                problems=problems)

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        return f"{redirect_uri}?{urlencode({'code': f'loopback:{state}', 'state': state})}"

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        name = code.removeprefix("loopback:") or "loopback"
        return ConnectedAccount(account_id=new_id("lba"), display_name=name,
                                tokens=TokenSet.model_validate(
                                    {"access_token": new_id("lbtok"),
                                     "refresh_token": new_id("lbref")}))

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        return TokenSet.model_validate({"access_token": new_id("lbtok")})

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        headers = {"Authorization": f"Bearer {account.tokens.access_token.get_secret_value()}",
                   "Idempotency-Key": idempotency_key}
        payload = {"text": content.text, "media_urls": list(content.media_urls)}
        session = await http_session()
        try:
            async with session.post(f"{self._base_url}/posts", json=payload, headers=headers,
                                    timeout=self._timeout) as response:
                status, body = response.status, await response.text()
                retry_after = _retry_after(response.headers.get("Retry-After"))
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as err:
            raise ProviderError(ErrorKind.RETRY_AFTER, "The platform could not be reached.",
                                raw=type(err).__name__) from err
        except (TimeoutError, aiohttp.ClientError) as err:
            # The request may have been sent and acted on: only ``check`` can tell.
            raise ProviderError(ErrorKind.UNKNOWN, "The platform's answer was lost "
                                f"({type(err).__name__}).", raw=type(err).__name__) from err
        if status in (200, 201):
            result = _result(body)
            if result is None:
                raise ProviderError(ErrorKind.UNKNOWN, "The platform said it published but "
                                    "gave no post id.", platform_code=str(status), raw=body)
            return result
        raise _error(status, body, retry_after)

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        headers = {"Authorization": f"Bearer {account.tokens.access_token.get_secret_value()}"}
        session = await http_session()
        try:
            async with session.get(f"{self._base_url}/posts",
                                   params={"client_ref": idempotency_key}, headers=headers,
                                   timeout=self._timeout) as response:
                status, body = response.status, await response.text()
                retry_after = _retry_after(response.headers.get("Retry-After"))
        except (TimeoutError, aiohttp.ClientError) as err:
            raise ProviderError(ErrorKind.RETRY_AFTER, "The platform could not be asked.",
                                raw=type(err).__name__) from err
        if status == 200:
            try:
                posts = json.loads(body)["posts"]
            except (ValueError, KeyError, TypeError) as err:
                raise ProviderError(ErrorKind.UNKNOWN, "The platform's lookup answer was "
                                    "unreadable.", raw=body) from err
            return _result(json.dumps(posts[0])) if posts else None
        if status == 429 or status >= 500:
            raise ProviderError(ErrorKind.RETRY_AFTER, f"The lookup failed ({status}).",
                                retry_after=retry_after, platform_code=str(status), raw=body)
        raise _error(status, body, retry_after)


def _result(body: str) -> PublishResult | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    post_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(post_id, str) or not post_id:
        return None
    url = data.get("url")
    return PublishResult(platform_post_id=post_id, url=url if isinstance(url, str) else None,
                         raw=body)


def _retry_after(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        return None


def _error(status: int, body: str, retry_after: float | None) -> ProviderError:
    code = str(status)
    if status == 429:
        return ProviderError(ErrorKind.RETRY_AFTER, "The platform is rate limiting this account.",
                             retry_after=retry_after, platform_code=code, raw=body)
    if status in OUTCOME_UNKNOWN_STATUSES:
        return ProviderError(ErrorKind.UNKNOWN, f"The platform's gateway failed ({status}); "
                             "the post may exist.", platform_code=code, raw=body)
    if status >= 500:
        return ProviderError(ErrorKind.RETRY_AFTER, f"The platform is unavailable ({status}).",
                             retry_after=retry_after, platform_code=code, raw=body)
    if status == 401:
        return ProviderError(ErrorKind.REFRESH_TOKEN, "The access token expired.",
                             platform_code=code, raw=body)
    if status == 403:
        return ProviderError(ErrorKind.RECONNECT, "The account's access was revoked.",
                             platform_code=code, raw=body)
    if 400 <= status < 500:
        return ProviderError(ErrorKind.BAD_INPUT, f"The platform refused the post ({status}).",
                             platform_code=code, raw=body)
    return ProviderError(ErrorKind.UNKNOWN, f"Unexpected answer {status}.", platform_code=code,
                         raw=body)


def plugin(store: Store, clock: Clock, settings: Settings) -> Mapping[str, Provider]:
    """The ``POSTFLOW_PROVIDER_PLUGINS`` entry point: ``{"loopback": LoopbackProvider}``."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    if not url:
        raise ConfigurationError(f"{URL_VARIABLE} must hold the fake platform's URL.")
    timeout = float(os.environ.get(TIMEOUT_VARIABLE) or DEFAULT_TIMEOUT_SECONDS)
    return {NETWORK: LoopbackProvider(url, timeout_seconds=timeout)}
