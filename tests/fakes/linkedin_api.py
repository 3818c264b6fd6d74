"""A fake LinkedIn on loopback, for ``POSTFLOW_LINKEDIN_API_URL`` and ``..._AUTH_URL``.

Built from LinkedIn's documented shapes (docs/networks.md, LinkedIn section):

- ``GET /oauth/v2/authorization``: "consents" at once and redirects to ``redirect_uri`` with
  ``code`` and ``state`` (or ``error=user_cancelled_authorize`` / ``access_denied``);
- ``POST /oauth/v2/accessToken``: client id and secret in the form; ``authorization_code`` and
  ``refresh_token`` (only when ``partner`` is set, like LinkedIn's approved partners) answer
  ``access_token``, ``expires_in`` (60 days), ``refresh_token``, ``refresh_token_expires_in``;
- ``GET /v2/userinfo`` (OpenID), ``GET /rest/organizationAcls?q=roleAssignee``,
  ``GET /rest/organizations/{id}``, ``POST /rest/posts`` (201, id in ``x-restli-id``),
  ``POST /rest/images?action=initializeUpload`` and the ``PUT`` to its upload URL;
  ``POST /rest/videos?action=initializeUpload`` (parts of ``video_part_bytes``), a ``PUT`` per
  part answering an ``ETag``, ``POST /rest/videos?action=finalizeUpload`` (the ETags in order)
  and ``GET /rest/videos/{urn}`` (``PROCESSING`` for ``video_polls_until_available`` reads, then
  ``AVAILABLE``, or ``PROCESSING_FAILED``); versioned calls without ``LinkedIn-Version`` and
  ``X-Restli-Protocol-Version: 2.0.0`` get a 400;
- errors: 401 expired / revoked token, 403, 422 duplicate, scripted 429 and 5xx answers.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.serving import serving

HOST = "127.0.0.1"
SIXTY_DAYS = 60 * 24 * 3600
YEAR = 365 * 24 * 3600


@dataclass
class Scripted:
    """One answer the next matching request gets instead of the normal one."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakeLinkedIn:
    client_id: str = "fake-li-client-id"
    client_secret: str = "fake-li-client-secret"
    member_sub: str = "782bbtaQ"
    member_name: str = "Jane Doe"
    picture: str = "https://media.licdn.com/dms/image/jane.jpg"
    #: organization id -> name, the Pages the member administers.
    pages: dict[str, str] = field(default_factory=lambda: {"2414183": "Devtestco"})
    #: Refresh tokens are given (approved Marketing Developer Platform partner).
    partner: bool = False
    #: The member revoked the app: calls answer 401 "revoked".
    revoked: bool = False
    expires_in: int = SIXTY_DAYS
    deny: bool = False
    base_url: str = ""
    token_requests: list[dict[str, str]] = field(default_factory=list)
    codes: dict[str, list[str]] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    expired: set[str] = field(default_factory=set)
    posts: list[dict[str, Any]] = field(default_factory=list)
    post_requests: list[dict[str, Any]] = field(default_factory=list)
    post_headers: list[dict[str, str]] = field(default_factory=list)
    #: urn -> (owner, bytes once uploaded).
    images: dict[str, dict[str, Any]] = field(default_factory=dict)
    upload_auth: list[str] = field(default_factory=list)
    post_script: list[Scripted] = field(default_factory=list)
    token_script: list[Scripted] = field(default_factory=list)
    #: urn -> {"owner", "size", "token", "parts": {index: bytes}, "etags", "status", "polls"}.
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)
    video_part_bytes: int = 4 * 1024 * 1024
    video_polls_until_available: int = 1
    video_processing_fails: bool = False
    finalize_requests: list[dict[str, Any]] = field(default_factory=list)
    #: Media served at /media/{name} for posts with images.
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    @property
    def auth_url(self) -> str:
        return self.base_url + "/oauth/v2"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/oauth/v2/authorization", self._authorize)
        app.router.add_post("/oauth/v2/accessToken", self._token)
        app.router.add_get("/v2/userinfo", self._userinfo)
        app.router.add_get("/rest/organizationAcls", self._acls)
        app.router.add_get("/rest/organizations/{id}", self._organization)
        app.router.add_post("/rest/posts", self._create_post)
        app.router.add_post("/rest/images", self._initialize_upload)
        app.router.add_put("/upload/{image}", self._upload)
        app.router.add_post("/rest/videos", self._video_action)
        app.router.add_put("/video-upload/{video}/{part}", self._upload_video_part)
        app.router.add_get("/rest/videos/{urn}", self._video_status)
        app.router.add_get("/media/{name}", self._media)
        return app

    def issue_tokens(self, scopes: list[str]) -> dict[str, Any]:
        access = "AQV-" + secrets.token_urlsafe(12)
        self.access_tokens.add(access)
        answer: dict[str, Any] = {"access_token": access, "expires_in": self.expires_in,
                                  "scope": ",".join(scopes)}
        if self.partner:
            refresh = "AQX-" + secrets.token_urlsafe(12)
            self.refresh_tokens.add(refresh)
            answer.update(refresh_token=refresh, refresh_token_expires_in=YEAR)
        return answer

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        if any(not query.get(k) for k in ("response_type", "client_id", "redirect_uri",
                                          "scope", "state")) \
                or query["client_id"] != self.client_id:
            return web.Response(status=400, text="bad request")
        if self.deny:
            target = {"error": "access_denied", "state": query["state"]}
        else:
            code = "AQT-" + secrets.token_urlsafe(12)
            self.codes[code] = query["scope"].split()
            target = {"state": query["state"], "code": code}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode(target)}")

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(form)
        if form.get("client_id") != self.client_id or \
                form.get("client_secret") != self.client_secret:
            return web.json_response({"error": "invalid_client", "error_description":
                                      "Client authentication failed"}, status=401)
        if self.token_script:
            return _scripted(self.token_script.pop(0))
        if form.get("grant_type") == "authorization_code":
            scopes = self.codes.pop(form.get("code", ""), None)
            if scopes is None:
                return web.json_response({"error": "invalid_request", "error_description":
                                          "Unable to retrieve access token: authorization code "
                                          "not found"}, status=400)
            return web.json_response(self.issue_tokens(scopes))
        if form.get("grant_type") == "refresh_token":
            if self.revoked or form.get("refresh_token") not in self.refresh_tokens:
                return web.json_response({"error": "invalid_request", "error_description":
                                          "The provided refresh token is invalid"}, status=400)
            answer = self.issue_tokens(["openid", "profile", "w_member_social"])
            answer["refresh_token_expires_in"] = YEAR // 2
            return web.json_response(answer)
        return web.json_response({"error": "unsupported_grant_type"}, status=400)

    def _auth_error(self, request: web.Request) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.revoked:
            return web.json_response({"status": 401, "serviceErrorCode": 65601, "message":
                                      "The token used in the request has been revoked by the "
                                      "user"}, status=401)
        if token not in self.access_tokens or token in self.expired:
            return web.json_response({"status": 401, "serviceErrorCode": 65602, "message":
                                      "The token used in the request has expired"}, status=401)
        return None

    @staticmethod
    def _version_error(request: web.Request) -> web.Response | None:
        if not request.headers.get("LinkedIn-Version", "").isdigit() or \
                request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return web.json_response({"status": 400, "message": "missing version headers"},
                                     status=400)
        return None

    async def _userinfo(self, request: web.Request) -> web.Response:
        if (refused := self._auth_error(request)) is not None:
            return refused
        return web.json_response({"sub": self.member_sub, "name": self.member_name,
                                  "given_name": "Jane", "family_name": "Doe",
                                  "picture": self.picture, "locale": {"country": "US",
                                                                      "language": "en"}})

    async def _acls(self, request: web.Request) -> web.Response:
        if (refused := self._auth_error(request) or self._version_error(request)) is not None:
            return refused
        if request.query.get("q") != "roleAssignee":
            return web.json_response({"status": 400, "message": "bad finder"}, status=400)
        person = f"urn:li:person:{self.member_sub}"
        elements = [{"roleAssignee": person, "state": "APPROVED", "role": "ADMINISTRATOR",
                     "organization": f"urn:li:organization:{org_id}"} for org_id in self.pages]
        elements.append({"roleAssignee": person, "state": "REQUESTED", "role": "ADMINISTRATOR",
                         "organization": "urn:li:organization:999"})
        return web.json_response({"paging": {"count": 100, "start": 0},
                                  "elements": elements})

    async def _organization(self, request: web.Request) -> web.Response:
        if (refused := self._auth_error(request) or self._version_error(request)) is not None:
            return refused
        name = self.pages.get(request.match_info["id"])
        if name is None:
            return web.json_response({"status": 404, "message": "Not found"}, status=404)
        return web.json_response({"id": int(request.match_info["id"]), "localizedName": name})

    async def _create_post(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.post_requests.append(body)
        self.post_headers.append(dict(request.headers))
        if (refused := self._auth_error(request) or self._version_error(request)) is not None:
            return refused
        if self.post_script:
            return _scripted(self.post_script.pop(0))
        for earlier in self.posts:
            if earlier["author"] == body["author"] and \
                    earlier["commentary"] == body["commentary"]:
                return web.json_response({
                    "errorDetailType": "com.linkedin.common.error.BadRequest",
                    "message": "com.linkedin.content.common.exception.BadRequestResponseException"
                               f": Content is a duplicate of {earlier['urn']}",
                    "errorDetails": {"inputErrors": [{"description": "Duplicate post is "
                                                      "detected", "input": {},
                                                      "code": "DUPLICATE_POST"}]},
                    "status": 422}, status=422)
        media = ((body.get("content") or {}).get("media") or {}).get("id")
        if media is not None and media.startswith("urn:li:video:"):
            if self.videos.get(media, {}).get("status") != "AVAILABLE":
                return web.json_response({"status": 400, "message": "video not available"},
                                         status=400)
        elif media is not None and self.images.get(media, {}).get("bytes") is None:
            return web.json_response({"status": 400, "message": "image not uploaded"},
                                     status=400)
        urn = f"urn:li:share:{6844785523593134080 + len(self.posts)}"
        self.posts.append({**body, "urn": urn})
        return web.Response(status=201, headers={"x-restli-id": urn})

    async def _initialize_upload(self, request: web.Request) -> web.Response:
        if (refused := self._auth_error(request) or self._version_error(request)) is not None:
            return refused
        if request.query.get("action") != "initializeUpload":
            return web.json_response({"status": 400, "message": "bad action"}, status=400)
        owner = (await request.json())["initializeUploadRequest"]["owner"]
        image = "C4E10AQ" + secrets.token_hex(6)
        urn = f"urn:li:image:{image}"
        self.images[urn] = {"owner": owner, "bytes": None}
        return web.json_response({"value": {"uploadUrlExpiresAt": 1650567510704,
                                            "uploadUrl": f"{self.base_url}/upload/{image}",
                                            "image": urn}})

    async def _upload(self, request: web.Request) -> web.Response:
        self.upload_auth.append(request.headers.get("Authorization", ""))
        urn = f"urn:li:image:{request.match_info['image']}"
        if urn not in self.images:
            return web.Response(status=404)
        self.images[urn]["bytes"] = await request.read()
        return web.Response(status=201)

    async def _video_action(self, request: web.Request) -> web.Response:
        if (refused := self._auth_error(request) or self._version_error(request)) is not None:
            return refused
        body = await request.json()
        if request.query.get("action") == "initializeUpload":
            asked = body["initializeUploadRequest"]
            size, video = int(asked["fileSizeBytes"]), "D5" + secrets.token_hex(6)
            urn = f"urn:li:video:{video}"
            self.videos[urn] = {"owner": asked["owner"], "size": size, "parts": {},
                                "etags": [], "token": secrets.token_hex(4),
                                "status": "WAITING_UPLOAD", "polls": 0}
            step = self.video_part_bytes
            instructions = [{"uploadUrl": f"{self.base_url}/video-upload/{video}/{index}",
                             "firstByte": first, "lastByte": min(first + step, size) - 1}
                            for index, first in enumerate(range(0, size, step))]
            return web.json_response({"value": {
                "uploadUrlsExpireAt": 1650567510704, "video": urn,
                "uploadInstructions": instructions, "uploadToken": self.videos[urn]["token"]}})
        if request.query.get("action") == "finalizeUpload":
            final = body["finalizeUploadRequest"]
            self.finalize_requests.append(final)
            found = self.videos.get(final["video"])
            if found is None or final["uploadToken"] != found["token"] or \
                    final["uploadedPartIds"] != found["etags"] or \
                    sum(map(len, found["parts"].values())) != found["size"]:
                return web.json_response({"status": 400, "message": "bad finalize"},
                                         status=400)
            found["status"] = "PROCESSING"
            return web.Response(status=200)
        return web.json_response({"status": 400, "message": "bad action"}, status=400)

    async def _upload_video_part(self, request: web.Request) -> web.Response:
        self.upload_auth.append(request.headers.get("Authorization", ""))
        found = self.videos.get(f"urn:li:video:{request.match_info['video']}")
        if found is None:
            return web.Response(status=404)
        index = int(request.match_info["part"])
        found["parts"][index] = await request.read()
        etag = f"/dms/vid/{index}/{secrets.token_hex(4)}"
        found["etags"].append(etag)
        return web.Response(status=200, headers={"ETag": f'"{etag}"'})

    async def _video_status(self, request: web.Request) -> web.Response:
        if (refused := self._auth_error(request) or self._version_error(request)) is not None:
            return refused
        found = self.videos.get(request.match_info["urn"])
        if found is None:
            return web.json_response({"status": 404, "message": "Not found"}, status=404)
        if found["status"] == "PROCESSING":
            found["polls"] += 1
            if self.video_processing_fails:
                found["status"] = "PROCESSING_FAILED"
            elif found["polls"] > self.video_polls_until_available:
                found["status"] = "AVAILABLE"
        answer: dict[str, Any] = {"id": request.match_info["urn"], "status": found["status"],
                                  "owner": found["owner"]}
        if found["status"] == "PROCESSING_FAILED":
            answer["processingFailureReason"] = "Video format is not supported"
        return web.json_response(answer)

    async def _media(self, request: web.Request) -> web.Response:
        found = self.media.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1])


def _scripted(answer: Scripted) -> web.Response:
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return web.Response(status=answer.status, text=text, headers=answer.headers,
                        content_type="application/json")


@asynccontextmanager
async def running_fake_linkedin(fake: FakeLinkedIn | None = None) -> AsyncIterator[FakeLinkedIn]:
    """Serve ``fake`` on a free loopback port for the block."""
    fake = fake or FakeLinkedIn()
    async with serving(fake.app(), HOST) as base_url:
        fake.base_url = base_url
        yield fake


def linkedin_settings_fields(fake: FakeLinkedIn, *, pages: bool = True) -> dict[str, Any]:
    """The settings that point PostFlow's LinkedIn provider at ``fake``."""
    scopes = "openid profile w_member_social" + (
        " r_organization_admin w_organization_social" if pages else "")
    return {"linkedin_client_id": fake.client_id, "linkedin_client_secret": fake.client_secret,
            "linkedin_api_url": fake.base_url, "linkedin_auth_url": fake.auth_url,
            "linkedin_scopes": scopes}
