"""A fake X on loopback, for ``POSTFLOW_X_API_URL`` and ``POSTFLOW_X_AUTHORIZE_URL``.

Built from X's documented shapes (docs/networks.md, X section):

- ``GET /i/oauth2/authorize``: checks the PKCE (S256) consent request, then "consents" at once
  and redirects to ``redirect_uri`` with ``code`` and ``state`` (or ``error=access_denied``);
- ``POST /2/oauth2/token``: confidential client (Basic auth); ``authorization_code`` checks the
  ``code_verifier`` against the challenge; ``refresh_token`` rotates the refresh token (a spent
  one is refused like X does) or answers ``invalid_grant`` once the grant is revoked;
- ``GET /2/users/me`` and ``POST /2/tweets`` with a bearer token (401 problem when expired), the
  403 duplicate-content refusal, and scripted answers (429 with ``x-rate-limit-reset``, 5xx...);
- media: the simple image upload ``POST /2/media/upload`` (multipart, images only), the chunked
  ``POST /2/media/upload/initialize`` -> ``/{id}/append`` (per segment) -> ``/{id}/finalize``,
  ``GET /2/media/upload?command=STATUS`` walking through ``video_processing``, and a post naming
  media ids that are unknown or not processed yet refused with a 400.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from postflow.providers import ConnectedAccount, TokenSet
from tests.fakes.serving import serving

HOST = "127.0.0.1"
DUPLICATE = {"detail": "You are not allowed to create a Tweet with duplicate content.",
             "type": "about:blank", "title": "Forbidden", "status": 403}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401,
                "detail": "Unauthorized"}
SPENT_TOKEN = {"error": "invalid_request",
               "error_description": "Value passed for the token was invalid."}


@dataclass
class Scripted:
    """One answer the next matching request gets instead of the normal one."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Grant:
    scopes: list[str]
    challenge: str
    redirect_uri: str


@dataclass
class FakeX:
    client_id: str = "fake-x-client-id"
    client_secret: str = "fake-x-client-secret"
    user_id: str = "2244994945"
    username: str = "acme_dev"
    name: str = "Acme Developers"
    avatar_url: str = "https://pbs.twimg.com/profile_images/1/acme_normal.png"
    #: The callback answers access_denied instead of a code.
    deny: bool = False
    #: Grant these scopes instead of those asked for.
    granted_scopes: list[str] | None = None
    #: Token answers carry no refresh token.
    omit_refresh_token: bool = False
    #: The person revoked the app: refreshes answer invalid_grant.
    revoked: bool = False
    expires_in: int = 7200
    base_url: str = ""
    consent_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    token_auth_headers: list[str] = field(default_factory=list)
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, list[str]] = field(default_factory=dict)
    refresh_tokens: dict[str, list[str]] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)
    #: Created posts: {"id", "text", "reply_to"}.
    tweets: list[dict[str, Any]] = field(default_factory=list)
    tweet_requests: list[dict[str, Any]] = field(default_factory=list)
    #: Answers for the next POST /2/tweets calls, in order.
    tweet_script: list[Scripted] = field(default_factory=list)
    token_script: list[Scripted] = field(default_factory=list)
    #: Uploaded media by id: {"media_type", "category", "total_bytes", "segments", "data",
    #: "processing" (the states still to report), "state"}.
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Every media call: (step, media id or "").
    media_calls: list[tuple[str, str]] = field(default_factory=list)
    #: What FINALIZE and each STATUS of a GIF or video report, in order; the last one stays.
    video_processing: list[dict[str, Any]] = field(default_factory=lambda: [
        {"state": "pending", "check_after_secs": 3}, {"state": "in_progress",
                                                      "check_after_secs": 2},
        {"state": "succeeded"}])

    @property
    def authorize_url(self) -> str:
        return self.base_url + "/i/oauth2/authorize"

    def issue_tokens(self, scopes: list[str]) -> dict[str, Any]:
        access = "xat-" + secrets.token_urlsafe(12)
        self.access_tokens[access] = scopes
        answer: dict[str, Any] = {"token_type": "bearer", "expires_in": self.expires_in,
                                  "access_token": access, "scope": " ".join(scopes)}
        if "offline.access" in scopes and not self.omit_refresh_token:
            refresh = "xrt-" + secrets.token_urlsafe(12)
            self.refresh_tokens[refresh] = scopes
            answer["refresh_token"] = refresh
        return answer

    def media_account(self) -> ConnectedAccount:
        """This fake's user, with fresh tokens that may post and upload media."""
        issued = self.issue_tokens(["tweet.read", "tweet.write", "users.read", "media.write"])
        return ConnectedAccount(account_id=self.user_id, display_name=self.username,
                                tokens=TokenSet.model_validate({
                                    "access_token": issued["access_token"],
                                    "scopes": issued["scope"].split()}))

    def expire_access_tokens(self) -> None:
        self.expired.update(self.access_tokens)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/i/oauth2/authorize", self._authorize)
        app.router.add_post("/2/oauth2/token", self._token)
        app.router.add_get("/2/users/me", self._me)
        app.router.add_post("/2/tweets", self._create_tweet)
        app.router.add_post("/2/media/upload", self._simple_upload)
        app.router.add_get("/2/media/upload", self._media_status)
        app.router.add_post("/2/media/upload/initialize", self._media_initialize)
        app.router.add_post("/2/media/upload/{id}/append", self._media_append)
        app.router.add_post("/2/media/upload/{id}/finalize", self._media_finalize)
        return app

    # -- media ----------------------------------------------------------------------------------

    def _new_media_id(self) -> str:
        return str(1880028106020515840 + len(self.media))

    def _media_view(self, media_id: str) -> dict[str, Any]:
        item = self.media[media_id]
        data: dict[str, Any] = {"id": media_id, "media_key": f"7_{media_id}",
                                "size": item["total_bytes"], "expires_after_secs": 86400}
        if item["category"] != "tweet_image":
            data["processing_info"] = dict(item["state"])
        return {"data": data}

    async def _simple_upload(self, request: web.Request) -> web.Response:
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        form = await request.post()
        upload = form.get("media")
        if not isinstance(upload, web.FileField) or form.get("media_category") != "tweet_image":
            return web.json_response({"title": "Invalid Request", "status": 400, "detail":
                                      "One or more parameters to your request was invalid."},
                                     status=400)
        data = upload.file.read()
        media_id = self._new_media_id()
        self.media[media_id] = {"media_type": str(form.get("media_type", "")),
                                "category": "tweet_image", "total_bytes": len(data),
                                "segments": {}, "data": data, "state": {"state": "succeeded"}}
        self.media_calls.append(("upload", media_id))
        return web.json_response(self._media_view(media_id))

    async def _media_initialize(self, request: web.Request) -> web.Response:
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        body = await request.json()
        media_id = self._new_media_id()
        self.media[media_id] = {"media_type": body["media_type"],
                                "category": body["media_category"],
                                "total_bytes": int(body["total_bytes"]), "segments": {},
                                "data": b"", "processing": list(self.video_processing),
                                "state": {"state": "pending"}}
        self.media_calls.append(("initialize", media_id))
        return web.json_response({"data": {"id": media_id, "media_key": f"7_{media_id}",
                                           "expires_after_secs": 86400}})

    async def _media_append(self, request: web.Request) -> web.Response:
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        media_id = request.match_info["id"]
        form = await request.post()
        upload = form.get("media")
        if media_id not in self.media or not isinstance(upload, web.FileField):
            return web.json_response({"title": "Invalid Request", "status": 400,
                                      "detail": "Unknown media id or no media."}, status=400)
        self.media[media_id]["segments"][int(str(form["segment_index"]))] = upload.file.read()
        self.media_calls.append(("append", media_id))
        return web.json_response({"data": {"expires_at": 1893456000}})

    async def _media_finalize(self, request: web.Request) -> web.Response:
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        media_id = request.match_info["id"]
        item = self.media.get(media_id)
        if item is None:
            return web.json_response({"title": "Not Found", "status": 404,
                                      "detail": "Unknown media id."}, status=404)
        segments = item["segments"]
        item["data"] = b"".join(segments[i] for i in sorted(segments))
        if len(item["data"]) != item["total_bytes"] or sorted(segments) != list(
                range(len(segments))):
            return web.json_response({"title": "Invalid Request", "status": 400, "detail":
                                      "File size does not match the total_bytes given."},
                                     status=400)
        item["state"] = item["processing"].pop(0)
        self.media_calls.append(("finalize", media_id))
        return web.json_response(self._media_view(media_id))

    async def _media_status(self, request: web.Request) -> web.Response:
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        media_id = request.query.get("media_id", "")
        item = self.media.get(media_id)
        if request.query.get("command") != "STATUS" or item is None:
            return web.json_response({"title": "Not Found", "status": 404,
                                      "detail": "Unknown media id."}, status=404)
        if item.get("processing"):
            item["state"] = item["processing"].pop(0)
        self.media_calls.append(("status", media_id))
        return web.json_response(self._media_view(media_id))

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.consent_requests.append(query)
        required = ("response_type", "client_id", "redirect_uri", "scope", "state",
                    "code_challenge", "code_challenge_method")
        if (any(not query.get(k) for k in required) or query["response_type"] != "code"
                or query["client_id"] != self.client_id
                or query["code_challenge_method"] != "S256"):
            return web.Response(status=400, text="Something went wrong: bad request")
        if self.deny:
            target = {"error": "access_denied", "state": query["state"]}
        else:
            code = "xcode-" + secrets.token_urlsafe(12)
            scopes = (self.granted_scopes if self.granted_scopes is not None
                      else query["scope"].split())
            self.codes[code] = Grant(scopes, query["code_challenge"], query["redirect_uri"])
            target = {"state": query["state"], "code": code}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode(target)}")

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        auth = request.headers.get("Authorization", "")
        self.token_auth_headers.append(auth)
        expected = "Basic " + base64.b64encode(
            f"{self.client_id}:{self.client_secret}".encode()).decode()
        if auth != expected:
            return web.json_response({"error": "invalid_client",
                                      "error_description": "Missing valid authorization "
                                                           "header"}, status=401)
        if self.token_script:
            return _scripted(self.token_script.pop(0))
        if form.get("grant_type") == "authorization_code":
            grant = self.codes.pop(str(form.get("code", "")), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if grant is None or challenge != grant.challenge or \
                    form.get("redirect_uri") != grant.redirect_uri:
                return web.json_response({"error": "invalid_request", "error_description":
                                          "Value passed for the authorization code was "
                                          "invalid."}, status=400)
            return web.json_response(self.issue_tokens(grant.scopes))
        if form.get("grant_type") == "refresh_token":
            if self.revoked:
                return web.json_response({"error": "invalid_grant", "error_description":
                                          "The grant was revoked."}, status=400)
            scopes = self.refresh_tokens.pop(str(form.get("refresh_token", "")), None)
            if scopes is None:
                return web.json_response(SPENT_TOKEN, status=400)
            return web.json_response(self.issue_tokens(scopes))
        return web.json_response({"error": "unsupported_grant_type"}, status=400)

    def _bearer_ok(self, request: web.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token in self.access_tokens and token not in self.expired

    async def _me(self, request: web.Request) -> web.Response:
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        data = {"id": self.user_id, "name": self.name, "username": self.username}
        if "profile_image_url" in request.query.get("user.fields", ""):
            data["profile_image_url"] = self.avatar_url
        return web.json_response({"data": data})

    async def _create_tweet(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.tweet_requests.append(body)
        if not self._bearer_ok(request):
            return web.json_response(UNAUTHORIZED, status=401)
        if self.tweet_script:
            return _scripted(self.tweet_script.pop(0))
        if any(t["text"] == body.get("text") for t in self.tweets):
            return web.json_response(DUPLICATE, status=403)
        media_ids = (body.get("media") or {}).get("media_ids", [])
        if any(self.media.get(m, {}).get("state", {}).get("state") != "succeeded"
               for m in media_ids):
            return web.json_response({"title": "Invalid Request", "status": 400,
                                      "detail": "Your media IDs are invalid."}, status=400)
        tweet = {"id": str(1346889436626259968 + len(self.tweets)), "text": body["text"],
                 "reply_to": (body.get("reply") or {}).get("in_reply_to_tweet_id"),
                 "media_ids": media_ids}
        self.tweets.append(tweet)
        return web.json_response({"data": {"id": tweet["id"], "text": tweet["text"]}},
                                 status=201)


def _scripted(answer: Scripted) -> web.Response:
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return web.Response(status=answer.status, text=text, headers=answer.headers,
                        content_type="application/json")


@asynccontextmanager
async def running_fake_x(fake: FakeX | None = None) -> AsyncIterator[FakeX]:
    """Serve ``fake`` on a free loopback port for the block."""
    fake = fake or FakeX()
    async with serving(fake.app(), HOST) as base_url:
        fake.base_url = base_url
        yield fake


def x_settings_fields(fake: FakeX) -> dict[str, Any]:
    """The settings that point PostFlow's X provider at ``fake``."""
    return {"x_client_id": fake.client_id, "x_client_secret": fake.client_secret,
            "x_api_url": fake.base_url, "x_authorize_url": fake.authorize_url}
