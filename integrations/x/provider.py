"""The X provider: OAuth 2.0 with PKCE, publishing posts and threads through the v2 API.

Only plain data leaves this module: X's JSON is read into small pydantic models here and errors
are classified in :mod:`integrations.x.errors`. The provider keeps no connection pool: each call
opens a short-lived aiohttp session, so it needs no start or stop and works from any event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import aiohttp
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from pydantic import BaseModel, SecretStr, ValidationError

from integrations.http_answers import Answer, call
from integrations.http_answers import parse_answer as _parse
from integrations.x import errors
from integrations.x.counting import MAX_WEIGHTED_LENGTH, weighted_count
from integrations.x.media import XMediaSettings, XMediaUploader, media_ids_body, media_problems
from postflow.clock import Clock
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

#: Media per post X accepts (4 images, or 1 video or GIF).
MAX_MEDIA = 4
REQUEST_TIMEOUT_SECONDS = 30.0
TOKEN_PATH = "/2/oauth2/token"  # noqa: S105 - a path, not a secret
ME_PATH = "/2/users/me"
TWEETS_PATH = "/2/tweets"
POST_URL = "https://x.com/i/web/status/{id}"



@dataclass(frozen=True)
class XConfig:
    """The app registered in X's developer portal, and where X lives."""

    client_id: str
    client_secret: SecretStr
    api_url: str = "https://api.x.com"
    authorize_url: str = "https://x.com/i/oauth2/authorize"
    scopes: tuple[str, ...] = ("tweet.read", "tweet.write", "users.read", "offline.access",
                               "media.write")
    media: XMediaSettings = field(default_factory=XMediaSettings)


class _TokenAnswer(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - a token type name
    expires_in: int | None = None
    refresh_token: str | None = None
    scope: str = ""


class _User(BaseModel):
    id: str
    username: str
    name: str = ""
    profile_image_url: str | None = None


class _UserAnswer(BaseModel):
    data: _User


class _Created(BaseModel):
    id: str


class _CreatedAnswer(BaseModel):
    data: _Created


class XProvider:
    network = "x"
    display_name = "X"
    #: 280 weighted characters, but a link counts 23 whatever its length: room for long links,
    #: small enough that the count stays within a few milliseconds (bench/validate.py).
    max_text_code_points = 4_096
    connects_by_oauth = True
    account_noun = "an X account"
    #: X takes media as uploaded bytes: posts to X get their media stored at submit time.
    uploads_media = True

    @property
    def media_limits(self) -> MediaLimits:
        """Four images, or one GIF or video, each within its kind's size (settings)."""
        return self._config.media.limits()

    def __init__(self, config: XConfig, clock: Clock, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._config = config
        self._clock = clock
        self._api = config.api_url.rstrip("/")
        self._media = XMediaUploader(self._request, config.media, sleep, clock.now)

    # -- validation ----------------------------------------------------------------------------

    def validate(self, content: PublishContent) -> ValidationReport:
        """Every part against X's weighted 280; stored media against X's count, mix, types and
        sizes (media given only as URLs: their count)."""
        problems: list[ValidationProblem] = []
        parts = (content.text, *content.thread)
        first_length = 0
        for index, text in enumerate(parts):
            where = "" if index == 0 else f" (thread part {index + 1})"
            count = weighted_count(text)
            if index == 0:
                first_length = count.length
            if not text.strip() and (index > 0 or not content.media_urls):
                problems.append(ValidationProblem("empty", f"A post to X needs text{where}."))
            elif count.length > MAX_WEIGHTED_LENGTH:
                problems.append(ValidationProblem(
                    "too_long", f"X counts {count.length} characters{where}; the limit is "
                    f"{MAX_WEIGHTED_LENGTH} (links count 23, emoji and CJK characters 2)."))
            elif not count.valid:
                problems.append(ValidationProblem(
                    "invalid_characters", f"The text holds characters X refuses{where}."))
        if content.media:
            problems.extend(media_problems(content.media, self._config.media))
        elif len(content.media_urls) > MAX_MEDIA:
            problems.append(ValidationProblem(
                "too_many_media", f"X takes at most {MAX_MEDIA} media per post."))
        return ValidationReport(network=self.network, length=first_length,
                                limit=MAX_WEIGHTED_LENGTH, problems=tuple(problems))

    # -- OAuth 2.0 with PKCE -------------------------------------------------------------------

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        url: str = prepare_grant_uri(
            self._config.authorize_url, self._config.client_id, "code", redirect_uri,
            scope=" ".join(self._config.scopes), state=state, code_challenge=code_challenge,
            code_challenge_method="S256")
        return url

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        tokens = await self._token_call({
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": code_verifier, "client_id": self._config.client_id},
            refreshing=False)
        answer = await self._request("GET", ME_PATH, token=tokens.access_token,
                                     params={"user.fields": "profile_image_url"})
        if answer.status >= 300:
            raise errors.api_error(answer.status, answer.body, answer.headers, self._clock.now(),
                                   created_something=False)
        user = _parse(_UserAnswer, answer.body, "X's answer about the account").data
        granted = set(tokens.scopes)
        return ConnectedAccount(
            account_id=user.id, display_name=user.username, tokens=tokens,
            avatar_url=user.profile_image_url,
            missing_scopes=[s for s in self._config.scopes if s not in granted])

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens; X rotates the refresh token, so the answer's replaces the stored one."""
        if tokens.refresh_token is None:
            raise ProviderError(ErrorKind.RECONNECT, "X gave this account no refresh token; "
                                "reconnect it with `postflow connect x`.",
                                platform_code="no_refresh_token")
        fresh = await self._token_call({
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token.get_secret_value(),
            "client_id": self._config.client_id}, refreshing=True)
        if not fresh.scopes:
            fresh = fresh.model_copy(update={"scopes": list(tokens.scopes)})
        return fresh

    async def _token_call(self, form: dict[str, str], *, refreshing: bool) -> TokenSet:
        answer = await self._request("POST", TOKEN_PATH, form=form, basic_auth=True)
        if answer.status >= 300:
            raise errors.token_error(answer.status, answer.body, answer.headers,
                                     self._clock.now(), refreshing=refreshing)
        parsed = _parse(_TokenAnswer, answer.body, "X's token answer")
        expires_at = (self._clock.now() + timedelta(seconds=parsed.expires_in)
                      if parsed.expires_in else None)
        return TokenSet.model_validate({
            "access_token": parsed.access_token, "refresh_token": parsed.refresh_token,
            "expires_at": expires_at, "scopes": parsed.scope.split()})

    # -- publishing ----------------------------------------------------------------------------

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        """One post, or a thread: each further part replies to the one before.

        The media are uploaded first and go with the first part. X takes no idempotency key,
        so ``idempotency_key`` is not sent (see :meth:`check`).
        """
        if content.media_urls and not content.media:
            raise ProviderError(ErrorKind.BAD_INPUT, "The post's media were not stored, so "
                                "they cannot be uploaded to X.", platform_code="media_not_stored")
        media_ids = await self._media.upload_all(account.tokens.access_token.get_secret_value(),
                                                 content.media)
        parts = (content.text, *content.thread)
        ids: list[str] = []
        for text in parts:
            body: dict[str, Any] = {"text": text}
            if ids:
                body["reply"] = {"in_reply_to_tweet_id": ids[-1]}
            else:
                body.update(media_ids_body(media_ids))
            try:
                ids.append(await self._create_post(account, body))
            except ProviderError as err:
                if not ids:
                    raise
                # Part of the thread is out: trying again would post its start twice.
                raise ProviderError(
                    ErrorKind.BAD_INPUT,
                    f"X published {len(ids)} of the thread's {len(parts)} parts, then: "
                    f"{err.message} The published part starts at {POST_URL.format(id=ids[0])}.",
                    platform_code="thread_partial", raw=json.dumps({"published_ids": ids})) \
                    from err
        return PublishResult(platform_post_id=ids[0], url=POST_URL.format(id=ids[0]),
                             raw=json.dumps({"ids": ids}))

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        """X cannot find a post by PostFlow's attempt id, so an unknown outcome stays unknown
        and the target becomes Unconfirmed for a person to decide (docs/networks.md)."""
        raise ProviderError(ErrorKind.UNKNOWN,
                            "X cannot say whether an interrupted post went out; look at the "
                            "account on X, then mark the post published or retry it.",
                            platform_code="no_lookup")

    async def _create_post(self, account: AccountContext, body: dict[str, Any]) -> str:
        answer = await self._request("POST", TWEETS_PATH, json_body=body,
                                     token=account.tokens.access_token.get_secret_value(),
                                     creates=True)
        if answer.status >= 300:
            raise errors.api_error(answer.status, answer.body, answer.headers, self._clock.now(),
                                   created_something=True)
        try:
            return _CreatedAnswer.model_validate_json(answer.body).data.id
        except ValidationError:
            raise ProviderError(ErrorKind.UNKNOWN, "X answered without the new post's id; it "
                                "may have been published.", platform_code="no_id",
                                raw=answer.body[:errors.RAW_LIMIT]) from None

    # -- HTTP ----------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *, token: str | SecretStr | None = None,
                       basic_auth: bool = False, form: Mapping[str, str] | None = None,
                       json_body: Mapping[str, Any] | None = None,
                       params: Mapping[str, str] | None = None,
                       creates: bool = False,
                       multipart: aiohttp.FormData | None = None) -> Answer:
        headers = {"Accept": "application/json"}
        if isinstance(token, SecretStr):
            token = token.get_secret_value()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if basic_auth:
            pair = f"{self._config.client_id}:{self._config.client_secret.get_secret_value()}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        return await call("X", method, self._api + path, timeout_seconds=REQUEST_TIMEOUT_SECONDS,
                          creates=creates, headers=headers, data=multipart or form,
                          json=json_body, params=params)
