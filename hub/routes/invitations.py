"""The page an invitation's mailed link opens, and its two forms.

- ``GET /invitations/accept?token=...`` spends nothing (a mail program's or chat's link preview
  may fetch it): it names the organization, the role and the address, and offers two forms tied
  to this browser (its key cookie, as the billing link's Open form is).
- ``POST /invitations/accept``: join as an email-only member (accepts the invitation, once).
- ``POST /invitations/join-code``: a short code for ``/postflow join CODE`` in chat (an hour).

A person sees every answer, so each is an HTML page (templates/invitation_page.html).
"""

from __future__ import annotations

import logging

from aiohttp import web

from hub.cookies import BROWSER_COOKIE, BROWSER_COOKIE_MAX_AGE, browser_key, set_cookie
from hub.errors import REQUEST_ID
from hub.forms import read_form
from hub.routes import RUNTIME
from hub.templates import render
from postflow.chatops.billing_link import LINK_TTL, billing_url
from postflow.errors import Conflict, LimitReached, Unauthorized
from postflow.mailing.invitations import (
    ACCEPT_PATH,
    accept_by_email,
    form_token,
    issue_join_code,
    read_invitation,
)
from postflow.organizations import Role
from postflow.usecases.oauth_states import new_browser_key

log = logging.getLogger(__name__)

CODE_PATH = "/invitations/join-code"
#: What a refused link or form means for a person, by the reason the core gives.
REFUSALS = {
    "invalid": "This invitation link is not valid.",
    "expired": "This invitation has expired: invitations can be accepted for 7 days. Ask "
               "whoever invited you for a new one.",
    "accepted": "This invitation was accepted already: each invitation works once.",
    "revoked": "This invitation was revoked. Ask whoever invited you for a new one.",
    "browser": "This form was sent from another browser than the one that opened the link, "
               "or the page is too old. Open the link from the mail again.",
}


def add_routes(app: web.Application) -> None:
    app.router.add_get(ACCEPT_PATH, accept_page)
    app.router.add_post(ACCEPT_PATH, accept_now)
    app.router.add_post(CODE_PATH, join_code)


async def accept_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    token = request.query.get("token", "")
    try:
        opened = await read_invitation(rt, token)
    except Unauthorized as err:
        return _refused(str(err.details.get("reason", "invalid")))
    key = browser_key(request, rt.settings) or new_browser_key()
    invitation = opened.invitation
    response = _page(f"Join {opened.org.name} on PostFlow", [
        f"You are invited to join {opened.org.name} as {invitation.role.value.capitalize()}."],
        invitation=invitation, org=opened.org, role=invitation.role.value.capitalize(),
        expires=f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC", token=token,
        csrf=form_token(rt, token, key), owner=invitation.role is Role.OWNER,
        accept_action=ACCEPT_PATH, code_action=CODE_PATH,
        note="Not for you? Close this page: nothing happens.")
    set_cookie(response, rt.settings, BROWSER_COOKIE, key, max_age=BROWSER_COOKIE_MAX_AGE)
    return response


async def accept_now(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    form = await read_form(request)
    try:
        joined = await accept_by_email(rt, str(form.get("token", "")),
                                       csrf=str(form.get("csrf", "")),
                                       browser_key=browser_key(request, rt.settings),
                                       display_name=str(form.get("name", "")))
    except Unauthorized as err:
        reason = str(err.details.get("reason", "invalid"))
        return _refused(reason, 403 if reason == "browser" else 401)
    except (Conflict, LimitReached) as err:
        return _page("Not joined", [err.message], status=409 if isinstance(err, Conflict)
                     else 402)
    except Exception:
        log.exception("accepting an invitation failed (request %s)", request[REQUEST_ID])
        return _page("Not joined", ["Something went wrong on our side; you did not join "
                                    f"(reference {request[REQUEST_ID]})."], status=500)
    member, org = joined.member, joined.org
    lines = [f"You are now {member.role.value.capitalize()} of {org.name} on PostFlow.",
             f"PostFlow mails {joined.invitation.email} what your role gets by default."]
    owner = member.role is Role.OWNER
    return _page("Welcome", lines,
                 billing_url=billing_url(rt, org.id, member.id) if owner else None,
                 billing_minutes=int(LINK_TTL.total_seconds() // 60),
                 note="To use PostFlow from Slack or Discord later, ask an Admin there to add "
                      "you with `/postflow role`.")


async def join_code(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    form = await read_form(request)
    try:
        code = await issue_join_code(rt, str(form.get("token", "")),
                                     csrf=str(form.get("csrf", "")),
                                     browser_key=browser_key(request, rt.settings))
    except Unauthorized as err:
        reason = str(err.details.get("reason", "invalid"))
        return _refused(reason, 403 if reason == "browser" else 401)
    return _page("Join from Slack or Discord", [
        "Run this in a Slack workspace or Discord server of the organization, from the "
        f"account you want to join with, before {code.expires_at:%H:%M} UTC:"],
        code=code.code,
        note="The code is for you only: whoever runs it joins in your place. Asking for "
             "another code replaces this one.")


def _refused(reason: str, status: int = 401) -> web.Response:
    return _page("Invitation refused", [REFUSALS.get(reason, REFUSALS["invalid"])],
                 status=status)


def _page(title: str, lines: list[str], *, status: int = 200,
          **values: object) -> web.Response:
    response = web.Response(text=render("invitation_page.html", title=title, lines=lines,
                                        **values),
                            status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
