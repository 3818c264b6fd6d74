"""The page where a person picks which accounts to connect after a consent that grants several
(Facebook: their Pages), and ``POST /oauth/{network}/pages``, where its form goes.

:mod:`hub.routes.oauth` calls :func:`offer_page` from its callback for such networks instead of
connecting at once. Every answer is an HTML page (templates/facebook_pages.html, autoescaped);
the page carries the signed pick token, never a token of the network. The pick is accepted only
from the browser whose key (:data:`hub.cookies.BROWSER_COOKIE`) the consent was bound to; it is
checked before the token is spent.
"""

from __future__ import annotations

import logging

from aiohttp import web

from hub.cookies import browser_key
from hub.errors import REQUEST_ID
from hub.forms import read_form
from hub.routes import RUNTIME
from hub.templates import render
from postflow.errors import BadInput, LimitReached, PostFlowError, Unauthorized
from postflow.runtime import Runtime
from postflow.usecases.account_picking import (
    AccountOffer,
    PickOutcome,
    offer_accounts,
    pick_accounts,
)
from postflow.usecases.oauth_states import STATE_TTL

log = logging.getLogger(__name__)

PICK_PATH = "/oauth/{network}/pages"
TEMPLATE = "facebook_pages.html"
#: What a refused pick token means for a person, by the reason given.
PICK_REFUSALS = {
    "invalid": "This choice of Pages is not valid.",
    "expired": "This choice of Pages has expired: choose within "
               f"{int(STATE_TTL.total_seconds() // 60)} minutes of allowing PostFlow.",
    "used": "These Pages were already chosen: each choice works once.",
    "browser": "This choice was sent from another browser than the one that started.",
}


def add_routes(app: web.Application) -> None:
    app.router.add_post(PICK_PATH.replace("{network}", "{network:[a-z0-9_-]{1,40}}"),
                        accounts_picked)


async def offer_page(rt: Runtime, network: str, state: str, code: str, *,
                     browser_key: str) -> web.Response:
    """Spend the consent (in the browser of ``browser_key``) and answer the choice of accounts.

    Raises what :func:`postflow.usecases.account_picking.offer_accounts` raises; the caller
    turns those into its refusal pages.
    """
    offer = await offer_accounts(rt, network, state, code, browser_key=browser_key)
    return _render(rt, network, "Choose the Pages to connect", offer=offer)


async def accounts_picked(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    network = request.match_info["network"]
    form = await read_form(request)
    chosen = [str(value) for value in form.getall("account", [])]
    try:
        outcome = await pick_accounts(rt, network, str(form.get("pick", "")),
                                      browser_key(request, rt.settings), chosen)
    except Unauthorized as err:
        return _render(rt, network, "Not connected", status=401, again=True,
                       message=PICK_REFUSALS.get(str(err.details.get("reason")),
                                                 PICK_REFUSALS["invalid"]))
    except BadInput as err:
        return _render(rt, network, "Not connected", err.message, status=400,
                       again=not chosen)
    except PostFlowError as err:
        return _render(rt, network, "Not connected", err.message,
                       status=402 if isinstance(err, LimitReached) else 400)
    except Exception:
        log.exception("connecting picked %s accounts failed (request %s)", network,
                      request[REQUEST_ID])
        return _render(rt, network, "Not connected", "Something went wrong on our side; "
                       "nothing was connected.", status=500, again=True,
                       reference=request[REQUEST_ID])
    return _render(rt, network, "Pages connected" if outcome.connected
                   or outcome.reconnected else "Not connected", outcome=outcome,
                   status=200 if outcome.connected or outcome.reconnected else 402)


def _render(rt: Runtime, network: str, title: str, message: str = "", *, status: int = 200,
            offer: AccountOffer | None = None, outcome: PickOutcome | None = None,
            again: bool = False, reference: str | None = None) -> web.Response:
    body = render(TEMPLATE,
                  title=title, message=message, network=network,
                  network_name=rt.providers.get(network).display_name
                  if network in rt.providers.networks() else network,
                  action=rt.settings.base_url + PICK_PATH.format(network=network),
                  offer=offer, accounts=[a for a in offer.accounts] if offer else [],
                  outcome=outcome, again=again, reference=reference, safe_image=_safe_image)
    return web.Response(text=body, status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store"})


def _safe_image(url: str | None) -> str | None:
    """Only https pictures are shown (no mixed content, no javascript: or data: URLs)."""
    return url if url and url.startswith("https://") else None
