"""What every authenticated entry point of an organization checks before it does anything:
the organization is not suspended (403 ``organization_suspended``), and the request is within
its plan's rates (429). Hooks call it now; the REST API calls it with ``RateScope.API_KEY``."""

from __future__ import annotations

from aiohttp import web

from hub.rate_limiting import limit_request
from postflow.organizations import Organization
from postflow.rate_limits import RateScope
from postflow.runtime import Runtime
from postflow.suspension import refuse_if_suspended


async def admit_request(request: web.Request, rt: Runtime, org_id: str, scope: RateScope,
                        subject_id: str) -> Organization:
    """The organization, once the request may go on: call it right after authentication
    (a hook's signature, an API key), before anything is read or recorded."""
    org = await rt.store.get_organization(org_id)
    refuse_if_suspended(org)
    await limit_request(request, rt, org, scope, subject_id)
    return org
