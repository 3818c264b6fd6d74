"""The Facebook provider: Facebook Login for the Pages a person manages, then posting as a Page.

Connecting yields several accounts: the code becomes a short-lived user token, that becomes a
long-lived one (about 60 days), and ``GET /me/accounts`` with it lists the person's Pages, each
with a Page token that does not expire on a timer. The person picks Pages in the hub
(:class:`postflow.providers.AccountPicker`); the user token is never stored.

Publishing is by public media URL: Facebook fetches each photo or video itself. Facebook is a
``MediaUploader``: a post's media are stored when it is submitted (so validation knows a video's
size, duration and shape) and the publisher hands them over as ``content.media`` with short-lived
store URLs, which are posted instead of the post's own ``media_urls``. One video per post goes
to ``/{page-id}/videos`` by ``file_url`` (:mod:`integrations.facebook.videos`). Media that cannot
be made public would need the multipart ``source`` upload, not written yet.

Only plain data leaves this module: Graph JSON is read into small pydantic models and errors are
classified in :mod:`integrations.facebook.errors`. Each call opens a short-lived aiohttp session.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from pydantic import BaseModel, SecretStr, ValidationError

from integrations.facebook import errors
from integrations.facebook.videos import (
    VIDEO_TYPES,
    FacebookVideoSettings,
    video_error,
    video_form,
    video_problems,
)
from integrations.http_answers import Answer, call
from integrations.http_answers import parse_answer as _parse
from postflow.clock import Clock
from postflow.media import MediaKind, MediaLimits
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

#: The longest Page post text (the figure every tool cites; Facebook publishes none).
MAX_TEXT_LENGTH = 63_206
#: Photos in one multi-photo post (third-party tools' figure; not in Facebook's reference).
MAX_PHOTOS = 10
#: The largest photo PostFlow posts to Facebook. Facebook names no hard limit (its photo guide
#: recommends under 4 MB); PostFlow stops at 10 MiB rather than read any size for a photo.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
#: The photo formats Facebook lists (JPEG, BMP, PNG, GIF, TIFF), by file extension and type.
PHOTO_EXTENSIONS = frozenset({"jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff"})
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"})
VIDEO_EXTENSIONS = frozenset({"mp4", "mov", "m4v", "avi", "mkv", "webm", "wmv", "mpeg", "mpg"})
#: Permissions asked for: list the Pages, post as them, read them back.
SCOPES = ("pages_show_list", "pages_manage_posts", "pages_read_engagement")
REQUEST_TIMEOUT_SECONDS = 30.0
#: ``/me/accounts`` pages of this many Pages, followed at most this many times.
ACCOUNTS_PAGE_SIZE = 100
ACCOUNTS_MAX_PAGES = 20
GRAPH_URL = "https://graph.facebook.com"
#: Facebook's reference: videos are published to graph-video.facebook.com.
GRAPH_VIDEO_URL = "https://graph-video.facebook.com"
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)



@dataclass(frozen=True)
class FacebookConfig:
    """The app registered at developers.facebook.com, and where Facebook lives."""

    app_id: str
    app_secret: SecretStr
    graph_url: str = "https://graph.facebook.com"
    dialog_url: str = "https://www.facebook.com"
    api_version: str = "v26.0"
    scopes: tuple[str, ...] = SCOPES
    #: Where videos are posted; None: graph-video.facebook.com for Facebook's own Graph URL,
    #: else ``graph_url`` (a fake, a proxy).
    video_graph_url: str | None = None
    video: FacebookVideoSettings = field(default_factory=FacebookVideoSettings)


class _TokenAnswer(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - a token type name
    expires_in: int | None = None


class _PictureData(BaseModel):
    url: str | None = None


class _Picture(BaseModel):
    data: _PictureData = _PictureData()


class _Page(BaseModel):
    id: str
    name: str
    access_token: str
    picture: _Picture | None = None


class _Paging(BaseModel):
    next: str | None = None


class _Accounts(BaseModel):
    data: list[_Page]
    paging: _Paging | None = None


class _Permission(BaseModel):
    permission: str
    status: str


class _Permissions(BaseModel):
    data: list[_Permission]


class _Created(BaseModel):
    id: str | None = None
    post_id: str | None = None


class FacebookProvider:
    network = "facebook"
    display_name = "Facebook"
    #: Facebook takes 63,206 characters; the ceiling of every cap is just above.
    max_text_code_points = 65_536
    connects_by_oauth = True
    account_noun = "Facebook Pages"
    #: The hub lets the person pick which of their Pages to connect.
    picks_accounts = True
    #: Media are stored at submit and posted from the store's URLs (videos' facts validated).
    uploads_media = True

    def __init__(self, config: FacebookConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._graph = f"{config.graph_url.rstrip('/')}/{config.api_version}"
        video_base = config.video_graph_url or (
            GRAPH_VIDEO_URL if config.graph_url.rstrip("/") == GRAPH_URL else config.graph_url)
        self._video_graph = f"{video_base.rstrip('/')}/{config.api_version}"

    @property
    def media_limits(self) -> MediaLimits:
        """Up to 10 photos of at most 10 MiB, or one video (a setting)."""
        return MediaLimits(max_count=MAX_PHOTOS, max_bytes={
            MediaKind.IMAGE: MAX_PHOTO_BYTES, MediaKind.GIF: MAX_PHOTO_BYTES,
            MediaKind.VIDEO: self._config.video.max_bytes})

    # -- validation ----------------------------------------------------------------------------

    def validate(self, content: PublishContent) -> ValidationReport:
        """Text length; up to 10 photos or one video, their formats, and a stored video's size,
        duration and shape; no threads."""
        problems: list[ValidationProblem] = []
        length = len(content.text)
        if not content.text.strip() and not content.media_urls:
            problems.append(ValidationProblem("empty", "A Facebook post needs text or a photo."))
        elif length > MAX_TEXT_LENGTH:
            problems.append(ValidationProblem(
                "too_long", f"The text has {length} characters; a Facebook post takes at most "
                f"{MAX_TEXT_LENGTH:,}."))
        if content.thread:
            problems.append(ValidationProblem(
                "thread_not_supported", "Facebook posts have no threads; put the text in one "
                "post or give Facebook its own variant."))
        count = max(len(content.media_urls), len(content.media))
        videos = sum(1 for a in content.media if a.media.content_type.startswith("video/")) \
            if content.media else sum(1 for url in content.media_urls if _is_video_url(url))
        if videos and count > 1:
            problems.append(ValidationProblem(
                "media_mix", "PostFlow posts one video per Facebook post, with no photos."))
        elif count > MAX_PHOTOS:
            problems.append(ValidationProblem(
                "too_many_media", f"PostFlow posts at most {MAX_PHOTOS} photos to Facebook at "
                "once."))
        if content.media:  # stored media: their type is known, a video's facts too
            for number, attachment in enumerate(content.media, start=1):
                media = attachment.media
                if media.content_type in VIDEO_TYPES:
                    problems.extend(video_problems(media, self._config.video, number))
                elif media.content_type not in PHOTO_TYPES:
                    problems.append(_type_problem(media.content_type))
                elif media.size > MAX_PHOTO_BYTES:
                    problems.append(ValidationProblem(
                        "photo_too_large", f"Photo {number} is {media.size / 2 ** 20:.1f} MB; "
                        f"PostFlow posts photos up to {MAX_PHOTO_BYTES // 2 ** 20} MB to "
                        "Facebook."))
        else:
            problems.extend(p for p in map(_media_problem, content.media_urls) if p is not None)
        return ValidationReport(network=self.network, length=length, limit=MAX_TEXT_LENGTH,
                                problems=tuple(problems))

    # -- Facebook Login ------------------------------------------------------------------------

    def consent_url(self, *, state: str, redirect_uri: str, code_challenge: str) -> str:
        """Facebook's login dialog. Its classic code flow has no PKCE (the app secret
        authenticates the exchange), so ``code_challenge`` is not sent."""
        query = urlencode({"client_id": self._config.app_id, "redirect_uri": redirect_uri,
                           "state": state, "response_type": "code",
                           "scope": ",".join(self._config.scopes)})
        return (f"{self._config.dialog_url.rstrip('/')}/{self._config.api_version}"
                f"/dialog/oauth?{query}")

    async def exchange_code(self, *, code: str, redirect_uri: str,
                            code_verifier: str) -> ConnectedAccount:
        """Not used: a Facebook consent grants several Pages; see exchange_code_for_accounts."""
        raise ProviderError(ErrorKind.BAD_INPUT, "Facebook Pages are connected by choosing them "
                            "after Facebook's consent screen; start with `postflow connect "
                            "facebook`.", platform_code="picks_accounts")

    async def exchange_code_for_accounts(self, *, code: str, redirect_uri: str,
                                         code_verifier: str) -> list[ConnectedAccount]:
        """Code -> short-lived user token -> long-lived user token -> the person's Pages, each
        with its Page token (no expiry on a timer when fetched with a long-lived user token)."""
        short = await self._token({"client_id": self._config.app_id,
                                   "redirect_uri": redirect_uri, "code": code})
        long_lived = await self._token({"grant_type": "fb_exchange_token",
                                        "client_id": self._config.app_id,
                                        "fb_exchange_token": short.access_token})
        granted = await self._granted_permissions(long_lived.access_token)
        missing = [s for s in self._config.scopes if s not in granted]
        return [ConnectedAccount(
            account_id=page.id, display_name=page.name,
            avatar_url=page.picture.data.url if page.picture else None, missing_scopes=missing,
            tokens=TokenSet.model_validate({"access_token": page.access_token,
                                            "scopes": sorted(granted)}))
            for page in await self._pages(long_lived.access_token)]

    async def refresh(self, tokens: TokenSet) -> TokenSet:
        """A Page token cannot be refreshed without the person: they reconnect the Page."""
        raise ProviderError(ErrorKind.RECONNECT, "Facebook Page access cannot be renewed "
                            "without you; reconnect the Page with `postflow connect facebook`.",
                            platform_code="no_refresh")

    async def _token(self, params: dict[str, str]) -> _TokenAnswer:
        answer = await self._request("GET", "/oauth/access_token", params={
            **params, "client_secret": self._config.app_secret.get_secret_value()})
        if answer.status >= 300:
            raise errors.token_error(answer.status, answer.body, answer.headers)
        return _parse(_TokenAnswer, answer.body, "Facebook's token answer")

    async def _granted_permissions(self, user_token: str) -> set[str]:
        answer = await self._request("GET", "/me/permissions",
                                     params={"access_token": user_token})
        if answer.status >= 300:
            raise errors.token_error(answer.status, answer.body, answer.headers)
        permissions = _parse(_Permissions, answer.body, "Facebook's permissions answer")
        return {p.permission for p in permissions.data if p.status == "granted"}

    async def _pages(self, user_token: str) -> list[_Page]:
        pages: list[_Page] = []
        params: Mapping[str, str] | None = {
            "access_token": user_token, "fields": "id,name,access_token,picture",
            "limit": str(ACCOUNTS_PAGE_SIZE)}
        url = self._graph + "/me/accounts"
        for _ in range(ACCOUNTS_MAX_PAGES):
            answer = await self._request("GET", url, params=params, absolute=True)
            if answer.status >= 300:
                raise errors.token_error(answer.status, answer.body, answer.headers)
            listing = _parse(_Accounts, answer.body, "Facebook's list of Pages")
            pages.extend(listing.data)
            # The next link already carries the token and the cursor.
            if listing.paging is None or not listing.paging.next or not listing.data:
                break
            url, params = listing.paging.next, None
        return pages

    # -- publishing ----------------------------------------------------------------------------

    async def publish(self, account: AccountContext, content: PublishContent, *,
                      idempotency_key: str) -> PublishResult:
        """Text (with its first link as the link preview), one photo, a multi-photo post, or
        one video (by its store URL).

        The Graph API takes no idempotency key, so ``idempotency_key`` is not sent (see
        :meth:`check`).
        """
        token = account.tokens.access_token.get_secret_value()
        page = account.account_id
        if any(a.media.content_type in VIDEO_TYPES for a in content.media):
            return await self._publish_video(page, token, content)
        photos = tuple(a.url for a in content.media if a.url) or content.media_urls
        if len(photos) == 1:
            created = await self._post(f"/{page}/photos", token, creates=True, form={
                "url": photos[0], "caption": content.text})
            post_id = created.post_id or created.id
        elif photos:
            form = {"message": content.text}
            for index, url in enumerate(photos):
                photo = await self._post(f"/{page}/photos", token, creates=False,
                                         form={"url": url, "published": "false"})
                if not photo.id:
                    raise ProviderError(ErrorKind.RETRY_AFTER, "Facebook took a photo without "
                                        "giving its id.", platform_code="no_id",
                                        retry_after=errors.SERVER_ERROR_WAIT_SECONDS)
                form[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo.id})
            post_id = (await self._post(f"/{page}/feed", token, creates=True, form=form)).id
        else:
            form = {"message": content.text}
            link = _URL.search(content.text)
            if link is not None:
                form["link"] = link.group(0).rstrip(".,;:!?)")
            post_id = (await self._post(f"/{page}/feed", token, creates=True, form=form)).id
        if not post_id:
            raise ProviderError(ErrorKind.UNKNOWN, "Facebook answered without the new post's "
                                "id; it may have been published.", platform_code="no_id")
        return PublishResult(platform_post_id=post_id, url=post_url(post_id),
                             raw=json.dumps({"id": post_id}))

    async def _publish_video(self, page: str, token: str,
                             content: PublishContent) -> PublishResult:
        """``POST /{page-id}/videos`` with ``file_url`` and ``description``: Facebook fetches
        the video from the store's short-lived URL."""
        video = content.media[0]
        if len(content.media) > 1:
            raise ProviderError(ErrorKind.BAD_INPUT, "PostFlow posts one video per Facebook "
                                "post, with no photos.", platform_code="media_mix")
        problems = video_problems(video.media, self._config.video)
        if problems:
            raise ProviderError(ErrorKind.BAD_INPUT, problems[0].message,
                                platform_code=problems[0].code)
        if video.url is None:
            raise ProviderError(ErrorKind.BAD_INPUT, "The video has no media URL for Facebook "
                                "to fetch.", platform_code="media_not_stored")
        answer = await self._request(
            "POST", f"{self._video_graph}/{page}/videos", absolute=True, creates=True,
            form={**video_form(video.url, content.text), "access_token": token})
        if answer.status >= 300:
            raise video_error(answer.status, answer.body, answer.headers)
        try:
            video_id = _Created.model_validate_json(answer.body).id
        except ValidationError:
            video_id = None
        if not video_id:
            raise ProviderError(ErrorKind.UNKNOWN, "Facebook answered without the new video's "
                                "id; it may have been published.", platform_code="no_id",
                                raw=answer.body[:errors.RAW_LIMIT] or None)
        return PublishResult(platform_post_id=video_id, url=post_url(video_id),
                             raw=json.dumps({"video_id": video_id}))

    async def check(self, account: AccountContext, *,
                    idempotency_key: str) -> PublishResult | None:
        """Facebook cannot find a post by PostFlow's attempt id, so an unknown outcome stays
        unknown and the target becomes Unconfirmed for a person to decide (docs/networks.md)."""
        raise ProviderError(ErrorKind.UNKNOWN,
                            "Facebook cannot say whether an interrupted post went out; look at "
                            "the Page on Facebook, then mark the post published or retry it.",
                            platform_code="no_lookup")

    async def _post(self, path: str, token: str, *, form: dict[str, str],
                    creates: bool) -> _Created:
        answer = await self._request("POST", path, form={**form, "access_token": token},
                                     creates=creates)
        if answer.status >= 300:
            raise errors.api_error(answer.status, answer.body, answer.headers,
                                   created_something=creates)
        try:
            return _Created.model_validate_json(answer.body)
        except ValidationError:
            if not creates:
                raise ProviderError(ErrorKind.RETRY_AFTER, "Facebook's answer was not what "
                                    "PostFlow expected.", platform_code="unreadable",
                                    retry_after=errors.SERVER_ERROR_WAIT_SECONDS) from None
            raise ProviderError(ErrorKind.UNKNOWN, "Facebook answered without the new post's "
                                "id; it may have been published.", platform_code="no_id",
                                raw=answer.body[:errors.RAW_LIMIT]) from None

    # -- HTTP ----------------------------------------------------------------------------------

    async def _request(self, method: str, path: str, *,
                       params: Mapping[str, str] | None = None,
                       form: Mapping[str, str] | None = None, creates: bool = False,
                       absolute: bool = False) -> Answer:
        """One call. Tokens and the app secret travel in the query or form as Facebook
        documents; no URL, query or form ever reaches a log line or an error message."""
        url = path if absolute else self._graph + path
        return await call("Facebook", method, url, timeout_seconds=REQUEST_TIMEOUT_SECONDS,
                          creates=creates, params=params, data=form,
                          headers={"Accept": "application/json"})


def post_url(post_id: str) -> str:
    """Where a post is seen: ``{page}_{post}`` ids open at facebook.com/{page}/posts/{post}."""
    page, underscore, post = post_id.partition("_")
    if underscore and page and post:
        return f"https://www.facebook.com/{page}/posts/{post}"
    return f"https://www.facebook.com/{post_id}"


def _media_problem(url: str) -> ValidationProblem | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ValidationProblem("invalid_media_url", f"Facebook fetches photos from a public "
                                 f"http(s) address; {url[:80]!r} is not one.")
    name = parts.path.rsplit("/", 1)[-1]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension and extension not in PHOTO_EXTENSIONS | VIDEO_EXTENSIONS:
        return _type_problem(name[:80])
    return None


def _is_video_url(url: str) -> bool:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return "." in name and name.rsplit(".", 1)[-1].lower() in VIDEO_EXTENSIONS


def _type_problem(what: str) -> ValidationProblem:
    return ValidationProblem("unsupported_media_type", f"Facebook takes JPEG, PNG, GIF, BMP or "
                             f"TIFF photos and MP4 or QuickTime video; {what!r} is none of "
                             "them.")
