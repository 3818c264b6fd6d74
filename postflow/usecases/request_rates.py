"""Taking a request's tokens from the buckets its organization's plan sets: the one call every
entry point makes (hooks now, the REST API's keys too), before it does anything."""

from __future__ import annotations

from dataclasses import dataclass

from postflow.organizations import Organization
from postflow.rate_limits import Decision, RateScope, bucket_key
from postflow.runtime import Runtime


@dataclass(frozen=True)
class RateCheck:
    """One bucket's answer, named for the ``RateLimit`` headers (``"hook"``, ...)."""

    scope: RateScope
    decision: Decision


async def take_request_tokens(rt: Runtime, org: Organization, scope: RateScope,
                              subject_id: str) -> list[RateCheck]:
    """Take a token for one request from ``subject_id``'s bucket (an API key's, a hook's) and
    from its organization's, each at its plan's ``rate_limits``. A bucket the plan leaves
    unlimited is not checked. The first refusal stops there: a refused request takes no
    organization token. The request is refused when any answer is not ``allowed``."""
    limits = rt.plans.get(org.plan).rate_limits
    checks: list[RateCheck] = []
    for bucket_scope, bucket_id in ((scope, subject_id), (RateScope.ORGANIZATION, org.id)):
        per_minute = limits.per_minute(bucket_scope)
        if per_minute is None:
            continue
        answer = await rt.rate_limiter.take(bucket_key(bucket_scope, bucket_id), per_minute)
        checks.append(RateCheck(bucket_scope, answer))
        if not answer.allowed:
            break
    return checks


def refused(checks: list[RateCheck]) -> RateCheck | None:
    """The check that refused the request, if one did."""
    return next((c for c in checks if not c.decision.allowed), None)
