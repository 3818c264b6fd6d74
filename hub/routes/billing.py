"""``GET /billing?token=...``: the page an Owner's ``/postflow billing`` link opens.

The billing page proper (plans, checkout) comes with the billing issue; for now the link proves
who may see it and the page names the organization, its plan and the plan's limits. A person sees
it, so every answer is an HTML page (templates/billing.html), never JSON or a trace.
"""

from __future__ import annotations

import logging

from aiohttp import web

from hub.routes import RUNTIME
from hub.templates import render
from postflow.chatops.billing_link import LINK_TTL, PAGE_PATH, open_billing_token
from postflow.errors import NotFound, Unauthorized
from postflow.plans import LIMIT_NOUNS, Limit, shown_amount

log = logging.getLogger(__name__)

#: What a refused link means for a person, by the reason open_billing_token gives.
REFUSALS = {
    "invalid": "This billing link is not valid.",
    "expired": "This billing link has expired: links work for "
               f"{int(LINK_TTL.total_seconds() // 60)} minutes.",
    "not_owner": "This billing link was made for someone who is no longer an Owner of the "
                 "organization.",
}


def add_routes(app: web.Application) -> None:
    app.router.add_get(PAGE_PATH, billing_page)


async def billing_page(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    try:
        access = await open_billing_token(rt, request.query.get("token", ""))
    except Unauthorized as err:
        reason = str(err.details.get("reason", "invalid"))
        return _page("billing_refused.html", status=401,
                     message=REFUSALS.get(reason, REFUSALS["invalid"]))
    except NotFound:  # the organization is gone
        return _page("billing_refused.html", status=401, message=REFUSALS["invalid"])
    plan = rt.plans.get(access.org.plan)
    caps = {limit: plan.limits.get(limit) for limit in Limit}
    limits = [(LIMIT_NOUNS[limit].removeprefix("of "),
               None if cap is None else shown_amount(limit, cap)) for limit, cap in caps.items()]
    return _page("billing.html", org_name=access.org.name, plan_name=plan.name,
                 limits=limits, features=sorted(f.value.replace("_", " ")
                                                for f in plan.features),
                 owner=access.member.display_name)


def _page(template: str, *, status: int = 200, **values: object) -> web.Response:
    response = web.Response(text=render(template, **values),
                            status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
