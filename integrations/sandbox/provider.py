"""The sandbox provider.

It behaves like a network — validation, an (instant) consent step, tokens, publish, check — but
"publishing" writes a record into PostFlow's own store, readable at ``/sandbox/posts/{id}``.
A few markers in the text script the failures real networks produce, so the retry and
reconciliation paths can be tried by hand (see docs/networks.md):

- ``[sandbox:reject]``      the network refuses the content (bad input, never retried)
- ``[sandbox:rate-limit]``  the first try is rate limited with Retry-After: 1
- ``[sandbox:lost-answer]`` the post is created but the answer is lost (outcome unknown)
- ``[sandbox:revoked]``     the account's access was revoked (reconnect)
"""

from __future__ import annotations

from urllib.parse import urlencode

from integrations.sandbox.records import SandboxPostRecords
from postflow.clock import Clock
from postflow.ids import new_id
from postflow.media import MediaLimits
from postflow.providers import (
    AccountContext,
    ConnectedAccount,
    ErrorKind,
    ProviderError,
    PublishContent,
    PublishResult,
    TokenSet,
    ValidationProblem,
    ValidationReport,
)
from postflow.sandbox_posts import SandboxPost

MAX_LENGTH = 5000
MAX_MEDIA = 4


class SandboxProvider:
    network = "sandbox"
    display_name = "Sandbox"
    #: Ten times the sandbox's 5,000.
    max_text_code_points = 50_000
    #: Connected by name (``postflow connect sandbox``), with no consent screen.
    connects_by_oauth = False
    account_noun = "a test account that publishes nowhere"

    def __init__(self, records: SandboxPostRecords, clock: Clock, public_url: str) -> None:
        self._posts = records
        self._clock = clock
        self._public_url = public_url.rstrip("/")

    @property
    def media_limits(self) -> MediaLimits:
        """Four media URLs, kept as URLs: the sandbox never has them fetched."""
        return MediaLimits(max_count=MAX_MEDIA)

    def validate(self, content: PublishContent) -> ValidationReport:
        problems: list[ValidationProblem] = []
        length = len(content.text)
        if length > MAX_LENGTH:
            problems.append(ValidationProblem(
                "too_long", f"The sandbox allows {MAX_LENGTH} characters; this is {length}."))
        if len(content.media_urls) > MAX_MEDIA:
            problems.append(ValidationProblem(
                "too_many_media", f"The sandbox allows {MAX_MEDIA} media per post."))
        problems.extend(
            ValidationProblem("bad_media_url", f"Media must be an http(s) URL: {url[:80]}")
            for url in content.media_urls if not url.startswith(("https://", "http://")))
        return ValidationReport(network=self.network, length=length, limit=MAX_LENGTH,
                                problems=tuple(problems))

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        # The sandbox has no consent screen: it sends the person straight back with a code.
        return f"{redirect_uri}?{urlencode({'code': f'sandbox:{state}', 'state': state})}"

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        name = code.removeprefix("sandbox:") or "sandbox"
        return ConnectedAccount(
            account_id=new_id("sbx"), display_name=name,
            tokens=TokenSet.model_validate({"access_token": new_id("sbxtok"),
                                            "refresh_token": new_id("sbxref")}))

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        return TokenSet.model_validate({"access_token": new_id("sbxtok")})

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        text = content.text
        if "[sandbox:reject]" in text:
            raise ProviderError(ErrorKind.BAD_INPUT, "The sandbox was asked to reject this post.",
                                platform_code="rejected")
        if "[sandbox:revoked]" in text:
            raise ProviderError(ErrorKind.RECONNECT, "The sandbox account's access was revoked.",
                                platform_code="revoked")
        if "[sandbox:rate-limit]" in text and not await self._rejected_before(account, text):
            await self._write(account, content, idempotency_key, outcome="rejected")
            raise ProviderError(ErrorKind.RETRY_AFTER, "The sandbox is rate limiting this account.",
                                retry_after=1.0, platform_code="429")
        record = await self._write(account, content, idempotency_key, outcome="published")
        if "[sandbox:lost-answer]" in text and len(
                await self._posts.find_sandbox_posts(account.connection_id, idempotency_key)) == 1:
            raise ProviderError(ErrorKind.UNKNOWN, "The sandbox created the post but its answer "
                                "was lost.", platform_code="502")
        return self._result(record)

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        for record in await self._posts.find_sandbox_posts(account.connection_id, idempotency_key):
            if record.outcome == "published":
                return self._result(record)
        return None

    async def published_post(self, sandbox_post_id: str) -> SandboxPost | None:
        """The record a publish wrote (what ``/sandbox/posts/{id}`` shows); None if unknown."""
        return await self._posts.get_sandbox_post(sandbox_post_id)

    async def _rejected_before(self, account: AccountContext, text: str) -> bool:
        return any(r.outcome == "rejected" and r.text == text
                   for r in await self._posts.find_sandbox_posts(account.connection_id))

    async def _write(self, account: AccountContext, content: PublishContent, key: str, *,
                     outcome: str) -> SandboxPost:
        record = SandboxPost(id=new_id("sbxpost"), connection_id=account.connection_id,
                             idempotency_key=key, text=content.text,
                             media_urls=list(content.media_urls), outcome=outcome,
                             created_at=self._clock.now())
        await self._posts.insert_sandbox_post(record)
        return record

    def _result(self, record: SandboxPost) -> PublishResult:
        return PublishResult(platform_post_id=record.id,
                             url=f"{self._public_url}/sandbox/posts/{record.id}",
                             raw=record.model_dump_json())
