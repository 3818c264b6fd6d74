"""The LinkedIn provider: OAuth 2.0 (authorization code), the member and the Pages they
administer, text, image and video posts through the versioned Posts, Images and Videos APIs.

Only plain data leaves this module: LinkedIn's JSON is read into small pydantic models here and
errors are classified in :mod:`integrations.linkedin.errors`. Like X's provider it keeps no
connection pool: each call opens a short-lived aiohttp session.

A connection's ``account_id`` is the author URN it posts as: ``urn:li:person:{sub}`` for the
member, ``urn:li:organization:{id}`` for a Page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel, SecretStr, ValidationError

from integrations.http_answers import Answer, call
from integrations.http_answers import parse_answer as _parse
from integrations.linkedin import errors
from integrations.linkedin.images import (
    IMAGE_CONTENT_TYPES,
    IMAGE_EXTENSIONS,
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    MAX_PIXELS,
    MP4_EXTENSIONS,
    VIDEO_EXTENSIONS,
    image_info,
)
from integrations.linkedin.text import MAX_COMMENTARY_LENGTH, commentary_length, escape_little
from integrations.linkedin.videos import (
    LinkedInVideoSettings,
    LinkedInVideoUploader,
    is_video,
    video_problems,
)
from postflow.clock import Clock
from postflow.media import MediaAttachment, MediaKind, MediaLimits
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

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_SECONDS = 30.0
USERINFO_PATH = "/v2/userinfo"
ACLS_PATH = "/rest/organizationAcls"
ORGANIZATION_PATH = "/rest/organizations/{id}"
POSTS_PATH = "/rest/posts"
IMAGES_PATH = "/rest/images"
POST_URL = "https://www.linkedin.com/feed/update/{urn}/"
PERSON_URN = "urn:li:person:"
ORGANIZATION_URN = "urn:li:organization:"
#: Any of these granted means the member's Pages can be discovered and posted to.
PAGE_SCOPES = frozenset({"r_organization_admin", "rw_organization_admin"})
#: Pages read per connect (organizationAcls pages beyond the first are not read).
MAX_PAGES = 100



@dataclass(frozen=True)
class LinkedInConfig:
    """The app registered in LinkedIn's developer portal, and where LinkedIn lives."""

    client_id: str
    client_secret: SecretStr
    api_url: str = "https://api.linkedin.com"
    auth_url: str = "https://www.linkedin.com/oauth/v2"
    api_version: str = "202605"
    scopes: tuple[str, ...] = ("openid", "profile", "w_member_social")
    video: LinkedInVideoSettings = field(default_factory=LinkedInVideoSettings)


class _TokenAnswer(BaseModel):
    access_token: str
    expires_in: int | None = None
    refresh_token: str | None = None
    refresh_token_expires_in: int | None = None
    scope: str | None = None


class _UserInfo(BaseModel):
    sub: str
    name: str = ""
    picture: str | None = None


class _Acl(BaseModel):
    organization: str | None = None
    #: The field's name before the versioned API.
    organizationalTarget: str | None = None
    role: str = ""
    state: str = ""


class _Acls(BaseModel):
    elements: list[_Acl] = []


class _Organization(BaseModel):
    localizedName: str = ""


class _UploadValue(BaseModel):
    uploadUrl: str
    image: str


class _UploadAnswer(BaseModel):
    value: _UploadValue


class LinkedInProvider:
    network = "linkedin"
    display_name = "LinkedIn"
    #: Ten times LinkedIn's 3,000.
    max_text_code_points = 30_000
    connects_by_oauth = True
    #: Images are stored by PostFlow when the post is submitted (fetched safely, see
    #: integrations/media/fetch.py) and uploaded from the store, never read from the sender's URL.
    uploads_media = True

    def __init__(self, config: LinkedInConfig, clock: Clock, *,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._config = config
        self._clock = clock
        self._api = config.api_url.rstrip("/")
        self._auth = config.auth_url.rstrip("/")
        self._videos = LinkedInVideoUploader(self._request, self._api, config.video, sleep,
                                             self._trusted)
        #: With Page scopes the hub lets the person pick the member and Pages to connect.
        self.picks_accounts = bool(PAGE_SCOPES & set(config.scopes))
        self.account_noun = ("a LinkedIn profile or Pages" if self.picks_accounts
                             else "a LinkedIn profile")

    @property
    def media_limits(self) -> MediaLimits:
        """Up to 20 images (JPG, PNG, GIF) of at most 20 MB, or one MP4 video (a setting)."""
        return MediaLimits(max_count=MAX_IMAGES, max_bytes={
            MediaKind.IMAGE: MAX_IMAGE_BYTES, MediaKind.GIF: MAX_IMAGE_BYTES,
            MediaKind.VIDEO: self._config.video.max_bytes})

    # -- validation ----------------------------------------------------------------------------

    def validate(self, content: PublishContent) -> ValidationReport:
        """The text against 3,000 characters, and the media LinkedIn can take from PostFlow:
        up to 20 images, or one MP4 video (its size, duration and shape when known)."""
        problems: list[ValidationProblem] = []
        length = commentary_length(content.text)
        if not content.text.strip() and not content.media_urls:
            problems.append(ValidationProblem("empty", "A post to LinkedIn needs text."))
        elif length > MAX_COMMENTARY_LENGTH:
            problems.append(ValidationProblem(
                "too_long", f"LinkedIn counts {length} characters; the limit is "
                f"{MAX_COMMENTARY_LENGTH} (an emoji counts 2)."))
        if content.thread:
            problems.append(ValidationProblem(
                "thread_not_supported", "LinkedIn has no threads; post the parts separately."))
        videos = sum(1 for a in content.media if is_video(a)) if content.media else sum(
            1 for url in content.media_urls if urlsplit(url).path.lower().endswith(
                VIDEO_EXTENSIONS))
        count = len(content.media) or len(content.media_urls)
        if videos and count > 1:
            problems.append(ValidationProblem(
                "media_mix", "LinkedIn takes one video per post, with no other media."))
        elif count > MAX_IMAGES:
            problems.append(ValidationProblem(
                "too_many_media", f"LinkedIn takes at most {MAX_IMAGES} images per post."))
        for url in content.media_urls:
            path = urlsplit(url).path.lower()
            if urlsplit(url).scheme not in ("http", "https"):
                problems.append(ValidationProblem(
                    "bad_media_url", f"PostFlow reads media from http(s) links, not {url!r}."))
            elif path.endswith(VIDEO_EXTENSIONS) and not path.endswith(MP4_EXTENSIONS):
                problems.append(ValidationProblem(
                    "unsupported_media_type", "LinkedIn takes video as MP4 only."))
            elif "." in path.rsplit("/", 1)[-1] and not path.endswith(
                    (*IMAGE_EXTENSIONS, *MP4_EXTENSIONS)):
                problems.append(ValidationProblem(
                    "unsupported_media_type", "LinkedIn takes JPG, PNG and GIF images and MP4 "
                    "video."))
        for number, attachment in enumerate(content.media, start=1):
            problems.extend(self._stored_problems(attachment, number))
        return ValidationReport(network=self.network, length=length,
                                limit=MAX_COMMENTARY_LENGTH, problems=tuple(problems))

    def _stored_problems(self, attachment: MediaAttachment,
                         number: int) -> list[ValidationProblem]:
        media = attachment.media
        if is_video(attachment):
            return video_problems(media, self._config.video, number)
        if media.content_type not in IMAGE_CONTENT_TYPES:
            return [ValidationProblem("unsupported_media_type", "LinkedIn takes JPG, PNG and "
                                      f"GIF images and MP4 video; medium {number} is "
                                      f"{media.content_type}.")]
        if media.size > MAX_IMAGE_BYTES:
            return [ValidationProblem("image_too_large", f"LinkedIn takes images up to "
                                      f"{MAX_IMAGE_BYTES // (1024 * 1024)} MB.")]
        if media.width and media.height and media.width * media.height >= MAX_PIXELS:
            return [ValidationProblem("image_too_large", f"Image {number} has "
                                      f"{media.width}x{media.height} pixels; LinkedIn takes "
                                      f"fewer than {MAX_PIXELS:,}.")]
        return []

    # -- OAuth 2.0 -----------------------------------------------------------------------------

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """LinkedIn's consent screen. No PKCE: LinkedIn offers it to native apps only; a web
        app's code is bound by the client secret, and the state by the hub's cookie."""
        return self._auth + "/authorization?" + urlencode({
            "response_type": "code", "client_id": self._config.client_id,
            "redirect_uri": redirect_uri, "state": state,
            "scope": " ".join(self._config.scopes)})

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        """The member the code belongs to (posting as themselves)."""
        tokens = await self._exchange(code, redirect_uri)
        return await self._member(tokens)

    async def exchange_code_for_accounts(self, *, code: str, redirect_uri: str,
                                         code_verifier: str) -> list[ConnectedAccount]:
        """The member, then each Page they administer, all under the member's tokens."""
        tokens = await self._exchange(code, redirect_uri)
        member = await self._member(tokens)
        if not PAGE_SCOPES & set(tokens.scopes):
            return [member]
        return [member, *await self._pages(tokens, member.missing_scopes)]

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens from the refresh token LinkedIn gives approved partners. Its own life is
        fixed at the first consent; the answer says what is left of it."""
        if tokens.refresh_token is None:
            raise ProviderError(ErrorKind.RECONNECT, "LinkedIn gives this app no refresh token, "
                                "so the account must be reconnected when its access ends: "
                                "`postflow connect linkedin`.", platform_code="no_refresh_token")
        fresh = await self._token_call({
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token.get_secret_value()}, refreshing=True)
        if not fresh.scopes:
            fresh = fresh.model_copy(update={"scopes": list(tokens.scopes)})
        if fresh.refresh_token is None:
            fresh = fresh.model_copy(update={"refresh_expires_at": tokens.refresh_expires_at})
        return fresh

    async def _exchange(self, code: str, redirect_uri: str) -> TokenSet:
        return await self._token_call({"grant_type": "authorization_code", "code": code,
                                       "redirect_uri": redirect_uri}, refreshing=False)

    async def _token_call(self, form: dict[str, str], *, refreshing: bool) -> TokenSet:
        form = {**form, "client_id": self._config.client_id,
                "client_secret": self._config.client_secret.get_secret_value()}
        answer = await self._request("POST", self._auth + "/accessToken", form=form)
        if answer.status >= 300:
            raise errors.token_error(answer.status, answer.body, answer.headers,
                                     refreshing=refreshing)
        parsed = _parse(_TokenAnswer, answer.body, "LinkedIn's token answer")
        now = self._clock.now()
        scopes = (parsed.scope.replace(",", " ").split() if parsed.scope is not None
                  else list(self._config.scopes))
        return TokenSet.model_validate({
            "access_token": parsed.access_token, "refresh_token": parsed.refresh_token,
            "expires_at": now + timedelta(seconds=parsed.expires_in)
            if parsed.expires_in else None,
            "refresh_expires_at": now + timedelta(seconds=parsed.refresh_token_expires_in)
            if parsed.refresh_token and parsed.refresh_token_expires_in else None,
            "scopes": scopes})

    async def _member(self, tokens: TokenSet) -> ConnectedAccount:
        answer = await self._request("GET", self._api + USERINFO_PATH, token=tokens.access_token)
        if answer.status >= 300:
            raise errors.api_error(answer.status, answer.body, answer.headers,
                                   created_something=False)
        user = _parse(_UserInfo, answer.body, "LinkedIn's answer about the member")
        granted = set(tokens.scopes)
        return ConnectedAccount(
            account_id=PERSON_URN + user.sub, display_name=user.name or user.sub,
            tokens=tokens, avatar_url=user.picture,
            missing_scopes=[s for s in self._config.scopes if s not in granted])

    async def _pages(self, tokens: TokenSet, missing: list[str]) -> list[ConnectedAccount]:
        """The Pages the member is an approved administrator of; none when LinkedIn will not
        say (the member is still connected)."""
        answer = await self._request(
            "GET", self._api + ACLS_PATH, token=tokens.access_token, versioned=True,
            params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED",
                    "count": str(MAX_PAGES)})
        if answer.status >= 300:
            err = errors.api_error(answer.status, answer.body, answer.headers,
                                   created_something=False)
            log.warning("LinkedIn would not list the member's Pages: %s (%s)", err.kind.value,
                        err.platform_code)
            return []
        pages: list[ConnectedAccount] = []
        for acl in _parse(_Acls, answer.body, "LinkedIn's list of Pages").elements:
            urn = acl.organization or acl.organizationalTarget or ""
            if not urn.startswith(ORGANIZATION_URN) or acl.role != "ADMINISTRATOR" \
                    or acl.state != "APPROVED":
                continue
            pages.append(ConnectedAccount(
                account_id=urn, display_name=await self._page_name(tokens, urn), tokens=tokens,
                missing_scopes=list(missing)))
        return pages

    async def _page_name(self, tokens: TokenSet, urn: str) -> str:
        page_id = urn.removeprefix(ORGANIZATION_URN)
        answer = await self._request("GET", self._api + ORGANIZATION_PATH.format(id=page_id),
                                     token=tokens.access_token, versioned=True)
        if answer.status < 300:
            try:
                name = _Organization.model_validate_json(answer.body).localizedName
            except ValidationError:
                name = ""
            if name:
                return name
        return f"LinkedIn Page {page_id}"

    # -- publishing ----------------------------------------------------------------------------

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        """One post as the member or the Page, with its images or its video uploaded first.

        LinkedIn takes no idempotency key, so ``idempotency_key`` is not sent (see :meth:`check`).
        """
        author = account.account_id
        if not author.startswith((PERSON_URN, ORGANIZATION_URN)):
            raise ProviderError(ErrorKind.RECONNECT, "This LinkedIn connection has no author "
                                "URN; reconnect it.", platform_code="bad_author")
        if content.thread:
            raise ProviderError(ErrorKind.BAD_INPUT, "LinkedIn has no threads.",
                                platform_code="thread_not_supported")
        if content.media_urls and not content.media:
            raise ProviderError(ErrorKind.BAD_INPUT, "The post's media were not stored, so "
                                "they cannot be uploaded to LinkedIn.",
                                platform_code="media_not_stored")
        if any(is_video(a) for a in content.media) and len(content.media) > 1:
            raise ProviderError(ErrorKind.BAD_INPUT, "LinkedIn takes one video per post, with "
                                "no other media.", platform_code="media_mix")
        if content.media and is_video(content.media[0]):
            uploaded = [await self._videos.upload(account.tokens.access_token, author,
                                                  content.media[0])]
        else:
            uploaded = [await self._upload_image(account, attachment, number)
                        for number, attachment in enumerate(content.media, start=1)]
        body: dict[str, Any] = {
            "author": author, "commentary": escape_little(content.text), "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if len(uploaded) == 1:
            body["content"] = {"media": {"id": uploaded[0]}}
        elif uploaded:
            body["content"] = {"multiImage": {"images": [{"id": urn} for urn in uploaded]}}
        answer = await self._request("POST", self._api + POSTS_PATH, json_body=body,
                                     token=account.tokens.access_token, versioned=True,
                                     creates=True)
        if answer.status >= 300:
            raise errors.api_error(answer.status, answer.body, answer.headers,
                                   created_something=True)
        urn = answer.headers.get("x-restli-id", "").strip()
        if not urn:
            raise ProviderError(ErrorKind.UNKNOWN, "LinkedIn answered without the new post's id "
                                "(x-restli-id); it may have been published.",
                                platform_code="no_id", raw=answer.body[:errors.RAW_LIMIT] or None)
        return PublishResult(platform_post_id=urn, url=POST_URL.format(urn=urn))

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        """LinkedIn cannot find a post by PostFlow's attempt id, so an unknown outcome stays
        unknown and the target becomes Unconfirmed for a person to decide (docs/networks.md)."""
        raise ProviderError(ErrorKind.UNKNOWN,
                            "LinkedIn cannot say whether an interrupted post went out; look at "
                            "the account on LinkedIn, then mark the post published or retry it.",
                            platform_code="no_lookup")

    async def _upload_image(self, account: AccountContext, attachment: MediaAttachment,
                            number: int) -> str:
        """initializeUpload, then PUT the bytes: the image URN to put in the post."""
        data = await attachment.read()
        info = image_info(data)
        if info is None:
            raise ProviderError(ErrorKind.BAD_INPUT, "LinkedIn takes JPG, PNG and GIF images; "
                                f"image {number} is none of these.",
                                platform_code="unsupported_media_type")
        if info.width and info.height and info.width * info.height >= MAX_PIXELS:
            raise ProviderError(ErrorKind.BAD_INPUT, f"Image {number} has "
                                f"{info.width}x{info.height} pixels; LinkedIn takes fewer than "
                                f"{MAX_PIXELS:,}.", platform_code="image_too_large")
        token = account.tokens.access_token
        init = await self._request(
            "POST", self._api + IMAGES_PATH, token=token, versioned=True,
            params={"action": "initializeUpload"},
            json_body={"initializeUploadRequest": {"owner": account.account_id}})
        if init.status >= 300:
            raise errors.api_error(init.status, init.body, init.headers, created_something=False)
        upload = _parse(_UploadAnswer, init.body, "LinkedIn's image upload answer").value
        put = await self._request("PUT", upload.uploadUrl, data=data,
                                  content_type=info.content_type,
                                  token=token if self._trusted(upload.uploadUrl) else None)
        if put.status >= 300:
            raise errors.api_error(put.status, put.body, put.headers, created_something=False)
        return upload.image

    def _trusted(self, url: str) -> bool:
        """Whether the upload URL is LinkedIn's own (the access token goes nowhere else)."""
        host = (urlsplit(url).hostname or "").lower()
        return host == (urlsplit(self._api).hostname or "").lower() or host == "linkedin.com" \
            or host.endswith(".linkedin.com")

    # -- HTTP ----------------------------------------------------------------------------------

    async def _request(self, method: str, url: str, *, token: SecretStr | None = None,
                       versioned: bool = False, form: Mapping[str, str] | None = None,
                       json_body: Mapping[str, Any] | None = None, data: bytes | None = None,
                       content_type: str | None = None, params: Mapping[str, str] | None = None,
                       creates: bool = False) -> Answer:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        if versioned:
            headers["LinkedIn-Version"] = self._config.api_version
            headers["X-Restli-Protocol-Version"] = "2.0.0"
        if content_type is not None:
            headers["Content-Type"] = content_type
        return await call("LinkedIn", method, url, timeout_seconds=REQUEST_TIMEOUT_SECONDS,
                          creates=creates, headers=headers,
                          data=form if form is not None else data, json=json_body, params=params)
