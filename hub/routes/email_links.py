"""The links mails carry, opened without a login (each signed for one member and one thing):

- ``GET /email/confirm?token=...``: confirms the address the link was mailed to;
- ``GET /email/unsubscribe?token=...``: says which mail stops and asks to confirm (a link
  scanner that follows it changes nothing);
- ``POST /email/unsubscribe?token=...``: stops that kind of mail for that member. Mail clients
  post ``List-Unsubscribe=One-Click`` here themselves (RFC 8058 one-click), with the token in
  the URL of the ``List-Unsubscribe`` header, so the POST needs no other proof;
- ``GET /email/post?token=...``: the post a mail is about, its status and why it failed.

A person sees these, so every answer is an HTML page, never JSON or a trace.
"""

from __future__ import annotations

from aiohttp import web

from hub.forms import read_form
from hub.routes import RUNTIME
from hub.templates import render
from postflow.email.links import CONFIRM_PATH, POST_PATH, UNSUBSCRIBE_PATH, UNSUBSCRIBE_TTL
from postflow.errors import NotFound, Unauthorized
from postflow.mailing import wording
from postflow.mailing.addresses import (
    confirm_member_address,
    email_links,
    member_by_id,
    unsubscribe,
)
from postflow.posts import TargetStatus
from postflow.publish_causes import target_cause

REFUSED = "This link is not valid, or has expired."
GONE = "This link was made for someone who is no longer a member, or for an address they no " \
       "longer use."


def add_routes(app: web.Application) -> None:
    app.router.add_get(CONFIRM_PATH, confirm_page)
    app.router.add_get(UNSUBSCRIBE_PATH, unsubscribe_page)
    app.router.add_post(UNSUBSCRIBE_PATH, unsubscribe_now)
    app.router.add_get(POST_PATH, post_page)


async def confirm_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        org, member = await confirm_member_address(rt, request.query.get("token", ""))
    except Unauthorized:
        return _page("Link refused", [REFUSED, "Set the address again with `/postflow email "
                                      "set ADDRESS` for a new link."], status=401)
    except NotFound:
        return _page("Link refused", [GONE], status=404)
    assert member.email is not None
    return _page("Address confirmed", [
        f"PostFlow may now mail {member.email.address} for {org.name}.",
        "Choose what it mails you with `/postflow email prefs` in chat."])


async def unsubscribe_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    token = request.query.get("token", "")
    try:
        opened = email_links(rt).open_unsubscribe(token)
        org, member = await member_by_id(rt, opened.org_id, opened.member_id)
    except Unauthorized:
        return _unsubscribe_refused()
    except NotFound:
        return _page("Link refused", [GONE], status=404)
    name = wording.KIND_NAMES[opened.kind]
    return _page(f"Stop mail about {name}?", [
        f"PostFlow will stop mailing {member.display_name or 'you'} about {name} for "
        f"{org.name}. Other mail you chose is not affected."],
        form_action=str(request.rel_url), form_button="Stop this mail",
        note="Turn it on again any time with `/postflow email prefs` in chat.")


async def unsubscribe_now(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    # RFC 8058: the token is in the URL; the body is "List-Unsubscribe=One-Click".
    await read_form(request)
    try:
        org, _, kind = await unsubscribe(rt, request.query.get("token", ""))
    except Unauthorized:
        return _unsubscribe_refused()
    except NotFound:
        return _page("Link refused", [GONE], status=404)
    return _page("Done", [f"PostFlow no longer mails you about {wording.KIND_NAMES[kind]} "
                          f"for {org.name}."],
                 note="Turn it on again any time with `/postflow email prefs` in chat.")


async def post_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        view = email_links(rt).open_post(request.query.get("token", ""))
        org, _ = await member_by_id(rt, view.org_id, view.member_id)
        post = await rt.store.get_post(view.org_id, view.post_id)
    except Unauthorized:
        return _page("Link refused", [REFUSED, "Links to a post work for 30 days; "
                                      "`/postflow list failed` in chat shows failed posts."],
                     status=401)
    except NotFound:
        return _page("Link refused", [GONE], status=404)
    facts = [("Organization", org.name), ("Status", post.status.value)]
    for target in post.targets:
        said = (f"published: {target.url or 'yes'}" if target.status is TargetStatus.PUBLISHED
                else f"not published: {target_cause(target)}"
                if target.status in (TargetStatus.FAILED, TargetStatus.UNCONFIRMED)
                else target.status.value)
        facts.append((f"{target.network} ({target.connection_id})", said))
    return _page(f"Post {post.id}", [post.text], facts=facts,
                 note="Publish it again or cancel it from chat: `/postflow list failed`.")


def _unsubscribe_refused() -> web.Response:
    return _page("Link refused", [REFUSED, "Unsubscribe links work for "
                                  f"{UNSUBSCRIBE_TTL.days} days; change what PostFlow mails "
                                  "you with `/postflow email prefs` in chat."], status=401)


def _page(title: str, lines: list[str], *, status: int = 200,
          **values: object) -> web.Response:
    response = web.Response(text=render("email_page.html", title=title, lines=lines,
                                        **values),
                            status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
