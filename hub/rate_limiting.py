"""Request rates at the HTTP edge: take a request's tokens, refuse it with 429 when a bucket is
empty, and tell every client its budget in the ``RateLimit-Policy`` and ``RateLimit`` fields.

The fields follow draft-ietf-httpapi-ratelimit-headers-10: each bucket is a policy named for
what it counts, ``RateLimit-Policy: "hook";q=60;w=60, "organization";q=120;w=60`` (quota
``q`` per window ``w`` seconds) and ``RateLimit: "hook";r=59;t=1, ...`` (``r`` remaining, ``t``
seconds until the bucket is full again). A refusal also carries ``Retry-After`` and happens
before the handler does anything.
"""

from __future__ import annotations

from aiohttp import web

from hub.errors import HubError
from postflow.organizations import Organization
from postflow.rate_limits import WINDOW_SECONDS, RateScope
from postflow.runtime import Runtime
from postflow.usecases.request_rates import RateCheck, refused, take_request_tokens

POLICY_HEADER = "RateLimit-Policy"
STATE_HEADER = "RateLimit"
RATE_CHECKS = web.RequestKey("rate_checks", list[RateCheck])

#: How a refusal names each bucket.
BUCKET_WORDS = {RateScope.API_KEY: "this API key", RateScope.HOOK: "this hook",
                RateScope.ORGANIZATION: "this organization"}


def install(app: web.Application) -> None:
    """Add the rate-limit fields to every answer of a request whose tokens were taken."""
    app.on_response_prepare.append(_add_fields)


async def limit_request(request: web.Request, rt: Runtime, org: Organization, scope: RateScope,
                        subject_id: str) -> None:
    """Take one token from ``subject_id``'s bucket (``scope``: an API key, a hook) and from the
    organization's; raise a 429 :class:`HubError` when either is empty. Call it before the
    handler does anything."""
    enforce(request, await take_request_tokens(rt, org, scope, subject_id))


def enforce(request: web.Request, checks: list[RateCheck]) -> None:
    """Remember ``checks`` for the answer's fields; raise the 429 when one refused."""
    request[RATE_CHECKS] = checks
    refusal = refused(checks)
    if refusal is None:
        return
    wait = max(1, refusal.decision.retry_after)
    raise HubError(
        429, "rate_limited",
        f"Too many requests for {BUCKET_WORDS[refusal.scope]}: its plan allows "
        f"{refusal.decision.limit} a minute. Nothing was done; retry in {wait} s.",
        details={"bucket": refusal.scope.value, "limit_per_minute": refusal.decision.limit,
                 "retry_after_seconds": wait},
        headers={"Retry-After": str(wait), **rate_limit_fields(checks)})


def rate_limit_fields(checks: list[RateCheck]) -> dict[str, str]:
    """The ``RateLimit-Policy`` and ``RateLimit`` values for ``checks`` (none for none)."""
    if not checks:
        return {}
    return {
        POLICY_HEADER: ", ".join(f'"{c.scope.value}";q={c.decision.limit};w={WINDOW_SECONDS}'
                                 for c in checks),
        STATE_HEADER: ", ".join(f'"{c.scope.value}";r={c.decision.remaining};'
                                f't={c.decision.reset}' for c in checks),
    }


async def _add_fields(request: web.Request, response: web.StreamResponse) -> None:
    checks = request.get(RATE_CHECKS)
    if not checks or STATE_HEADER in response.headers:
        return
    response.headers.update(rate_limit_fields(checks))
