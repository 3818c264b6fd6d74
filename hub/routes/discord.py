"""Discord's HTTP interactions endpoint, mounted by the composition root only when
POSTFLOW_DISCORD_PUBLIC_KEY is set: ``POST /discord/interactions``.

The signature is checked on the raw body before anything is parsed: a missing or malformed
header, a wrong signature or a timestamp more than five minutes off is ``401``, which is what
Discord expects (it sends such requests on purpose and removes an endpoint that accepts them).
Then malformed JSON or an interaction PostFlow cannot read is ``400``, recording nothing; a
request whose signed bytes were seen before (a replay) is ``401`` too and acted on never.
Everything else is an interaction response (:mod:`bot.discord.interactions`).
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import web

from bot.discord import deferred_answers
from bot.discord.interactions import MalformedInteraction, answer_interaction, read_interaction
from bot.discord.signing import TOLERANCE_SECONDS, DiscordRequestVerifier
from hub.errors import HubError
from hub.request_body import read_body
from hub.routes import PUBLISH_QUEUE, RUNTIME
from postflow.errors import Unauthorized
from postflow.runtime import Runtime
from postflow.usecases.seen_signatures import DISCORD_SCOPE, first_sight

log = logging.getLogger(__name__)

DISCORD_VERIFIER = web.AppKey("discord_verifier", DiscordRequestVerifier)
#: How long a stopping hub lets deferred answers finish before canceling them.
STOP_GRACE_SECONDS = 10.0


def add_routes(app: web.Application, rt: Runtime, public_key: str) -> None:
    """Serve Discord's interactions for ``rt``, signed with the application's ``public_key``."""
    app[DISCORD_VERIFIER] = DiscordRequestVerifier(public_key, rt.clock)
    app.on_cleanup.append(_finish_deferred)
    app.router.add_post("/discord/interactions", discord_interactions)


async def _finish_deferred(app: web.Application) -> None:
    """Let deferred answers send their edits before the hub stops (else Discord shows
    "thinking" until the token ends); cancel what is still running after the grace."""
    try:
        await asyncio.wait_for(deferred_answers.finished(), STOP_GRACE_SECONDS)
    except TimeoutError:
        log.warning("deferred Discord answers still running at stop were canceled")


async def discord_interactions(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    body = await read_body(request, rt.settings.webhook_max_body_bytes,
                           rt.settings.http_body_timeout_seconds)
    signed = request.app[DISCORD_VERIFIER].verify(body, request.headers)
    if signed is None:
        raise Unauthorized("The request's Discord signature is missing, wrong or too old.")
    try:
        interaction = read_interaction(json.loads(body))
    except (ValueError, RecursionError):
        raise HubError(400, "malformed_json", "The request body is not valid JSON.") from None
    except MalformedInteraction as err:
        raise HubError(400, err.code, err.message, details=err.details) from None
    # Discord signs each delivery anew: the same signed bytes again are a replay, refused like
    # a forged request and acted on never.
    if not await first_sight(rt, DISCORD_SCOPE, signed.fingerprint, signed.signed_at,
                             TOLERANCE_SECONDS):
        raise Unauthorized("This Discord request was already received.")
    answer = await answer_interaction(rt, request.app[PUBLISH_QUEUE], interaction)
    return web.json_response(answer)
