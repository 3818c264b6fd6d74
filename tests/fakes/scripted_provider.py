"""A Provider whose answers are scripted call by call, for the publish paths.

Each ``publish`` takes the next answer from ``publish_answers``:

- ``PUBLISH`` (also when the script has run out): the post is created and its result returned;
- a :class:`ProviderError` (or any exception): raised, nothing created;
- ``Lost(error)``: the post is created, then ``error`` is raised (the answer got lost).

``check`` answers from ``check_answers`` the same way: ``LOOKUP`` (the default) finds what a
publish with that key created, ``None`` or a result is returned as is, an exception is raised.
``refresh`` answers from ``refresh_answers``: a TokenSet or an exception; by default fresh tokens.
Every call is recorded, and ``created`` holds the posts that exist "on the platform".

Tokens-aware mode, for the refresh races: a ``publish`` made with an access token listed in
``expired_tokens`` raises REFRESH_TOKEN before taking an answer, and ``refresh`` awaits
``refresh_pause`` seconds before answering, so concurrent jobs overlap inside it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from postflow.providers import (
    AccountContext,
    ConnectedAccount,
    ErrorKind,
    Provider,
    ProviderError,
    ProviderRegistry,
    PublishContent,
    PublishResult,
    TokenSet,
    ValidationProblem,
    ValidationReport,
)
from postflow.runtime import Runtime

PUBLISH: Final = "publish"
LOOKUP: Final = "lookup"


@dataclass(frozen=True)
class Lost:
    """Create the post, then fail with ``error`` as if the platform's answer never arrived."""

    error: Exception


@dataclass(frozen=True)
class PublishCall:
    account: AccountContext
    content: PublishContent
    idempotency_key: str


PublishAnswer = str | Exception | Lost
CheckAnswer = str | PublishResult | Exception | None
RefreshAnswer = TokenSet | Exception


class ScriptedProvider:
    display_name = "Scripted"
    max_text_code_points = 65_536
    connects_by_oauth = True
    account_noun = "a Scripted account"

    def __init__(self, network: str = "scripted", *,
                 publish_answers: list[PublishAnswer] | None = None,
                 check_answers: list[CheckAnswer] | None = None,
                 refresh_answers: list[RefreshAnswer] | None = None,
                 max_length: int = 280,
                 before_publish: Callable[[PublishCall], Awaitable[None]] | None = None,
                 expired_tokens: set[str] | None = None,
                 refresh_pause: float = 0.0) -> None:
        self.network = network
        self.publish_answers = list(publish_answers or [])
        self.check_answers = list(check_answers or [])
        self.refresh_answers = list(refresh_answers or [])
        self.max_length = max_length
        #: Awaited at the start of every publish, before the answer: lets a test look around.
        self.before_publish = before_publish
        #: Access tokens the platform refuses as expired (REFRESH_TOKEN).
        self.expired_tokens = set(expired_tokens or ())
        self.refresh_pause = refresh_pause
        self.publish_calls: list[PublishCall] = []
        self.check_calls: list[str] = []
        self.refresh_calls: list[TokenSet] = []
        self.created: dict[str, PublishResult] = {}
        self._accounts = 0

    def validate(self, content: PublishContent) -> ValidationReport:
        length = len(content.text)
        problems = () if length <= self.max_length else (ValidationProblem(
            "too_long", f"{self.display_name} allows {self.max_length} characters; "
                        f"this is {length}."),)
        return ValidationReport(network=self.network, length=length, limit=self.max_length,
                                problems=problems)

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        return f"https://scripted.test/consent?state={state}"

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        self._accounts += 1
        return ConnectedAccount(
            account_id=f"acct-{self._accounts}", display_name=code,
            tokens=TokenSet.model_validate({"access_token": f"access-{self._accounts}",
                                            "refresh_token": f"refresh-{self._accounts}"}))

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        self.refresh_calls.append(tokens)
        if self.refresh_pause:
            await asyncio.sleep(self.refresh_pause)
        answer: RefreshAnswer = (self.refresh_answers.pop(0) if self.refresh_answers else
                                 TokenSet.model_validate({"access_token": "access-refreshed",
                                                          "refresh_token": "refresh-refreshed"}))
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        call = PublishCall(account, content, idempotency_key)
        self.publish_calls.append(call)
        if self.before_publish is not None:
            await self.before_publish(call)
        if account.tokens.access_token.get_secret_value() in self.expired_tokens:
            raise ProviderError(ErrorKind.REFRESH_TOKEN, "The access token expired.")
        answer = self.publish_answers.pop(0) if self.publish_answers else PUBLISH
        if isinstance(answer, Exception):
            raise answer
        result = PublishResult(platform_post_id=f"p{len(self.created) + 1}",
                               url=f"https://scripted.test/p{len(self.created) + 1}",
                               raw='{"ok": true}')
        self.created[idempotency_key] = result
        if isinstance(answer, Lost):
            raise answer.error
        return result

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        self.check_calls.append(idempotency_key)
        answer = self.check_answers.pop(0) if self.check_answers else LOOKUP
        if isinstance(answer, Exception):
            raise answer
        if answer == LOOKUP:
            return self.created.get(idempotency_key)
        assert not isinstance(answer, str)
        return answer


def runtime_with(rt: Runtime, *providers: Provider) -> Runtime:
    """``rt`` (same store, vault, clock) with ``providers`` added next to the sandbox."""
    registry: dict[str, Provider] = {"sandbox": rt.providers.get("sandbox")}
    registry.update((p.network, p) for p in providers)
    return dataclasses.replace(rt, providers=ProviderRegistry(registry))
