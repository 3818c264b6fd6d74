"""How much of each plan limit an organization uses now (the page's bars, ``org show``)."""

from __future__ import annotations

from dataclasses import dataclass

from postflow.organizations import Organization
from postflow.plans import Limit
from postflow.runtime import Runtime
from postflow.usecases.media_ledger import stored_media_bytes
from postflow.usecases.submit_post import usage_period


@dataclass(frozen=True)
class LimitUsage:
    limit: Limit
    used: int
    #: None: unlimited.
    allowed: int | None


async def usage_against_limits(rt: Runtime, org: Organization) -> list[LimitUsage]:
    """Every limit of the organization's plan with its usage, in :class:`Limit` order."""
    plan = rt.plans.get(org.plan)
    period = usage_period(rt.clock.now())
    used = {
        Limit.CONNECTED_ACCOUNTS: await rt.store.count_connections(org.id),
        Limit.SCHEDULED_POSTS_PER_MONTH: await rt.store.get_usage(
            org.id, Limit.SCHEDULED_POSTS_PER_MONTH.value, period),
        Limit.MEMBERS: await rt.store.count_members(org.id),
        Limit.WORKSPACES: await rt.store.count_workspaces(org.id),
        Limit.MEDIA_STORAGE_BYTES: await stored_media_bytes(rt, org.id),
    }
    return [LimitUsage(limit, used[limit], plan.limits.get(limit)) for limit in Limit]
