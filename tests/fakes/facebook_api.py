"""A fake Facebook on loopback, for ``POSTFLOW_FACEBOOK_GRAPH_URL`` and
``POSTFLOW_FACEBOOK_DIALOG_URL`` (one server plays both hosts).

Built from the Graph API's documented shapes (docs/networks.md, Facebook section):

- ``GET /{v}/dialog/oauth``: checks the login request, "consents" at once and redirects to
  ``redirect_uri`` with ``code`` and ``state`` (or ``error=access_denied``);
- ``GET /{v}/oauth/access_token``: the code exchange (client id and secret, the same
  ``redirect_uri``, a code works once) answers a short-lived user token;
  ``grant_type=fb_exchange_token`` turns it into a long-lived one;
- ``GET /{v}/me/permissions`` and ``GET /{v}/me/accounts`` (the person's Pages, each with a
  Page token; cursor paging with ``paging.next``);
- ``POST /{v}/{page}/feed`` (``message``, ``link``, ``attached_media[i]``),
  ``POST /{v}/{page}/photos`` (``url``, ``caption``, ``published``) and
  ``POST /{v}/{page}/videos`` (``file_url``, ``description``; answers the video ``id``), with a
  Page token;
- errors as ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``, the
  506 duplicate refusal, and scripted answers.
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
VERSION = "v26.0"
LONG_LIVED_SECONDS = 5_183_944


def graph_error(code: int, message: str, *, subcode: int | None = None,
                type_: str = "OAuthException") -> dict[str, Any]:
    """A Graph API error body."""
    error: dict[str, Any] = {"message": message, "type": type_, "code": code,
                             "fbtrace_id": "A" + secrets.token_hex(5)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


@dataclass
class Scripted:
    """One answer the next matching request gets instead of the normal one."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FakePage:
    id: str
    name: str
    picture: str


@dataclass
class FakeFacebook:
    app_id: str = "1234567890"
    app_secret: str = "fake-facebook-app-secret"
    pages: list[FakePage] = field(default_factory=lambda: [
        FakePage("101", "Acme Bakery", "https://scontent.example/acme-bakery.jpg"),
        FakePage("102", "Acme Coffee", "https://scontent.example/acme-coffee.jpg"),
        FakePage("103", "Acme Careers", "https://scontent.example/acme-careers.jpg"),
    ])
    #: The dialog answers access_denied instead of a code.
    deny: bool = False
    #: Grant only these permissions (default: every one asked for).
    granted: list[str] | None = None
    #: Pages per /me/accounts answer.
    page_size: int = 25
    base_url: str = ""
    consent_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    #: The user token each /me/accounts call was made with.
    accounts_tokens: list[str] = field(default_factory=list)
    codes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    short_tokens: dict[str, list[str]] = field(default_factory=dict)
    long_tokens: dict[str, list[str]] = field(default_factory=dict)
    #: Page token -> page id.
    page_tokens: dict[str, str] = field(default_factory=dict)
    revoked_page_tokens: set[str] = field(default_factory=set)
    #: Created posts: {"id", "page", "message", "link", "photos"}.
    posts: list[dict[str, Any]] = field(default_factory=list)
    #: Uploaded photos: {"id", "page", "url", "published", "caption"}.
    photos: list[dict[str, Any]] = field(default_factory=list)
    #: Every POST's form, without the access token.
    post_requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    #: Posted videos: {"id", "page", "file_url", "description"}.
    videos: list[dict[str, Any]] = field(default_factory=list)
    feed_script: list[Scripted] = field(default_factory=list)
    videos_script: list[Scripted] = field(default_factory=list)
    photos_script: list[Scripted] = field(default_factory=list)

    @property
    def graph_url(self) -> str:
        return self.base_url

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(f"/{VERSION}/dialog/oauth", self._dialog)
        app.router.add_get(f"/{VERSION}/oauth/access_token", self._access_token)
        app.router.add_get(f"/{VERSION}/me/permissions", self._permissions)
        app.router.add_get(f"/{VERSION}/me/accounts", self._accounts)
        app.router.add_post(f"/{VERSION}/{{page}}/feed", self._feed)
        app.router.add_post(f"/{VERSION}/{{page}}/photos", self._photos)
        app.router.add_post(f"/{VERSION}/{{page}}/videos", self._videos)
        return app

    def page_token_of(self, page_id: str) -> str:
        """The newest Page token handed out for ``page_id``."""
        return [t for t, p in self.page_tokens.items() if p == page_id][-1]

    async def _dialog(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.consent_requests.append(query)
        if (query.get("client_id") != self.app_id or not query.get("redirect_uri")
                or not query.get("state") or query.get("response_type") != "code"):
            return web.Response(status=400, text="Invalid app ID or redirect URI")
        if self.deny:
            target = {"error": "access_denied", "error_reason": "user_denied",
                      "error_description": "Permissions error", "state": query["state"]}
        else:
            code = "fbcode-" + secrets.token_urlsafe(12)
            asked = query.get("scope", "").split(",")
            self.codes[code] = (query["redirect_uri"],
                                self.granted if self.granted is not None else asked)
            target = {"code": code, "state": query["state"]}
        raise web.HTTPFound(f"{query['redirect_uri']}?{urlencode(target)}")

    async def _access_token(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.token_requests.append({k: v for k, v in query.items() if k != "client_secret"})
        if query.get("client_id") != self.app_id or query.get("client_secret") != \
                self.app_secret:
            return web.json_response(graph_error(1, "Error validating client secret."),
                                     status=400)
        if query.get("grant_type") == "fb_exchange_token":
            scopes = self.short_tokens.get(query.get("fb_exchange_token", ""))
            if scopes is None:
                return web.json_response(graph_error(190, "Invalid OAuth access token."),
                                         status=400)
            token = "fblong-" + secrets.token_urlsafe(16)
            self.long_tokens[token] = scopes
            return web.json_response({"access_token": token, "token_type": "bearer",
                                      "expires_in": LONG_LIVED_SECONDS})
        grant = self.codes.pop(query.get("code", ""), None)
        if grant is None or grant[0] != query.get("redirect_uri"):
            return web.json_response(graph_error(
                100, "This authorization code has been used.", subcode=36009), status=400)
        token = "fbshort-" + secrets.token_urlsafe(16)
        self.short_tokens[token] = grant[1]
        return web.json_response({"access_token": token, "token_type": "bearer",
                                  "expires_in": 5183})

    def _user_scopes(self, token: str) -> list[str] | None:
        return self.long_tokens.get(token, self.short_tokens.get(token))

    async def _permissions(self, request: web.Request) -> web.Response:
        scopes = self._user_scopes(request.query.get("access_token", ""))
        if scopes is None:
            return web.json_response(graph_error(190, "Invalid OAuth access token."),
                                     status=400)
        return web.json_response({"data": [{"permission": s, "status": "granted"}
                                           for s in [*scopes, "public_profile"]]})

    async def _accounts(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        if self._user_scopes(token) is None:
            return web.json_response(graph_error(190, "Invalid OAuth access token."),
                                     status=400)
        self.accounts_tokens.append(token)
        start = int(request.query.get("after", "0"))
        limit = min(int(request.query.get("limit", "25")), self.page_size)
        fields = request.query.get("fields", "id,name").split(",")
        data = []
        for page in self.pages[start:start + limit]:
            item: dict[str, Any] = {"id": page.id, "name": page.name,
                                    "category": "Bakery", "tasks": ["CREATE_CONTENT"]}
            if "access_token" in fields:
                page_token = "fbpage-" + secrets.token_urlsafe(16)
                self.page_tokens[page_token] = page.id
                item["access_token"] = page_token
            if "picture" in fields:
                item["picture"] = {"data": {"height": 50, "is_silhouette": False,
                                            "url": page.picture, "width": 50}}
            data.append(item)
        answer: dict[str, Any] = {"data": data}
        if start + limit < len(self.pages):
            query = dict(request.query) | {"after": str(start + limit)}
            answer["paging"] = {"cursors": {"before": str(start), "after": str(start + limit)},
                                "next": f"{self.base_url}{request.path}?{urlencode(query)}"}
        return web.json_response(answer)

    async def _page_form(self, request: web.Request) -> tuple[str, dict[str, str]] | \
            web.Response:
        page = request.match_info["page"]
        form = {k: str(v) for k, v in (await request.post()).items()}
        token = form.pop("access_token", "")
        self.post_requests.append((request.path, form))
        if self.page_tokens.get(token) != page or token in self.revoked_page_tokens:
            return web.json_response(graph_error(
                190, "Error validating access token: The session has been invalidated because "
                "the user changed their password.", subcode=460), status=400)
        return page, form

    async def _feed(self, request: web.Request) -> web.Response:
        checked = await self._page_form(request)
        if isinstance(checked, web.Response):
            return checked
        page, form = checked
        if self.feed_script:
            return _scripted(self.feed_script.pop(0))
        photo_ids = [json.loads(v)["media_fbid"] for k, v in sorted(form.items())
                     if k.startswith("attached_media[")]
        mine = {p["id"] for p in self.photos if p["page"] == page and not p["published"]}
        if any(pid not in mine for pid in photo_ids):
            return web.json_response(graph_error(100, "Invalid parameter", type_="OAuthException"),
                                     status=400)
        last = next((p for p in reversed(self.posts) if p["page"] == page), None)
        if last is not None and last["message"] == form.get("message") and not photo_ids:
            return web.json_response(graph_error(506, "Duplicate status message"), status=400)
        post = {"id": f"{page}_{9000 + len(self.posts)}", "page": page,
                "message": form.get("message"), "link": form.get("link"), "photos": photo_ids}
        self.posts.append(post)
        return web.json_response({"id": post["id"]})

    async def _videos(self, request: web.Request) -> web.Response:
        checked = await self._page_form(request)
        if isinstance(checked, web.Response):
            return checked
        page, form = checked
        if self.videos_script:
            return _scripted(self.videos_script.pop(0))
        if not form.get("file_url", "").startswith(("http://", "https://")):
            return web.json_response(graph_error(353, "Missing video file"), status=400)
        video = {"id": str(7000 + len(self.videos)), "page": page,
                 "file_url": form["file_url"], "description": form.get("description")}
        self.videos.append(video)
        return web.json_response({"id": video["id"]})

    async def _photos(self, request: web.Request) -> web.Response:
        checked = await self._page_form(request)
        if isinstance(checked, web.Response):
            return checked
        page, form = checked
        if self.photos_script:
            return _scripted(self.photos_script.pop(0))
        if not form.get("url", "").startswith(("http://", "https://")):
            return web.json_response(graph_error(324, "Requires upload file"), status=400)
        published = form.get("published", "true") != "false"
        photo = {"id": str(5000 + len(self.photos)), "page": page, "url": form["url"],
                 "published": published, "caption": form.get("caption")}
        self.photos.append(photo)
        if not published:
            return web.json_response({"id": photo["id"]})
        post = {"id": f"{page}_{9000 + len(self.posts)}", "page": page,
                "message": form.get("caption"), "link": None, "photos": [photo["id"]]}
        self.posts.append(post)
        return web.json_response({"id": photo["id"], "post_id": post["id"]})


def _scripted(answer: Scripted) -> web.Response:
    text = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    return web.Response(status=answer.status, text=text, headers=answer.headers,
                        content_type="application/json")


@asynccontextmanager
async def running_fake_facebook(fake: FakeFacebook | None = None
                                ) -> AsyncIterator[FakeFacebook]:
    """Serve ``fake`` on a free loopback port for the block."""
    fake = fake or FakeFacebook()
    async with serving(fake.app(), HOST) as base_url:
        fake.base_url = base_url
        yield fake


def facebook_settings_fields(fake: FakeFacebook) -> dict[str, Any]:
    """The settings that point PostFlow's Facebook provider at ``fake``."""
    return {"facebook_app_id": fake.app_id, "facebook_app_secret": fake.app_secret,
            "facebook_graph_url": fake.base_url, "facebook_dialog_url": fake.base_url,
            "facebook_api_version": VERSION}
