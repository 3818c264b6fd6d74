"""The gate every REST API request passes once its key is known: the organization is not
suspended (403 ``organization_suspended``) and the key and the organization are within their
plan's request rates (429 with ``Retry-After`` and the ``RateLimit`` fields), before the scope
check, the body or the handler: a refused request does nothing."""

from __future__ import annotations

from hub.api.call import ApiCall
from hub.rate_limiting import limit_request
from postflow.rate_limits import RateScope
from postflow.suspension import refuse_if_suspended


async def admit_api_call(call: ApiCall) -> None:
    refuse_if_suspended(call.org)
    await limit_request(call.request, call.rt, call.org, RateScope.API_KEY, call.key.id)
