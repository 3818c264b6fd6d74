"""Operators' tools (``postflow admin``): tenants, feature flags, suspending and resuming.

Only people with access to the deployment run these (the CLI on its machine); they act as
``operator`` in the organization's audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from postflow.connections import ConnectionStatus
from postflow.errors import BadInput
from postflow.organizations import Organization, Suspension
from postflow.plans import Feature, Limit, has_feature
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.submit_post import usage_period

#: The audit log's actor for everything an operator does.
OPERATOR_ACTOR = "operator"
#: Posts still on their way: what waits while an organization is suspended.
WAITING_STATUSES = (PostStatus.SCHEDULED, PostStatus.QUEUED, PostStatus.LATE)


@dataclass(frozen=True)
class TenantUsage:
    posts_this_month: int
    posts_allowed: int | None
    connections: int
    connections_allowed: int | None
    members: int
    members_allowed: int | None
    posts_waiting: int


@dataclass(frozen=True)
class Tenant:
    org: Organization
    usage: TenantUsage
    #: Every feature with whether the organization has it (plan, then the operator's flags).
    features: dict[str, bool]

    @property
    def status(self) -> str:
        return "suspended" if self.org.suspension is not None else "active"


async def tenant(rt: Runtime, org: Organization) -> Tenant:
    """One organization as an operator sees it: plan, usage this month, features, status."""
    plan = rt.plans.get(org.plan)
    connections = await rt.store.list_connections(org.id)
    usage = TenantUsage(
        posts_this_month=await rt.store.get_usage(
            org.id, Limit.SCHEDULED_POSTS_PER_MONTH.value, usage_period(rt.clock.now())),
        posts_allowed=plan.limits.scheduled_posts_per_month,
        connections=sum(c.status is not ConnectionStatus.DISCONNECTED for c in connections),
        connections_allowed=plan.limits.connected_accounts,
        members=await rt.store.count_members(org.id),
        members_allowed=plan.limits.members,
        posts_waiting=await rt.store.count_posts(org.id, WAITING_STATUSES))
    features = {f.value: has_feature(rt.plans, org.plan, f, org.feature_flags) for f in Feature}
    return Tenant(org=org, usage=usage, features=features)


async def list_tenants(rt: Runtime) -> list[Tenant]:
    return [await tenant(rt, org) for org in await rt.store.list_organizations()]


def parse_feature(name: str) -> Feature:
    try:
        return Feature(name.strip().lower().replace("-", "_"))
    except ValueError:
        raise BadInput(f"There is no feature {name!r}; features: "
                       f"{', '.join(f.value for f in Feature)}.",
                       details={"feature": name}) from None


async def set_feature_flag(rt: Runtime, org_id: str, feature: Feature,
                           enabled: bool | None) -> Organization:
    """Turn ``feature`` on or off for one organization whatever its plan says; ``None`` takes
    the flag away, so the plan decides again."""
    org = await rt.store.get_organization(org_id)
    flags = dict(org.feature_flags)
    if enabled is None:
        flags.pop(feature.value, None)
    else:
        flags[feature.value] = enabled
    updated = org.model_copy(update={"feature_flags": flags})
    await rt.store.update_organization(updated)
    await record(rt, org.id, OPERATOR_ACTOR, "organization.feature_flag_set", org.id,
                 feature=feature.value,
                 value="plan" if enabled is None else ("on" if enabled else "off"))
    return updated


async def suspend_organization(rt: Runtime, org_id: str, reason: str) -> Organization:
    """Suspend: its hooks and API answer 403 and its posts wait (none is published or lost)
    until :func:`resume_organization`."""
    reason = reason.strip()
    if not reason:
        raise BadInput("Say why the organization is suspended: --reason TEXT.")
    org = await rt.store.get_organization(org_id)
    if org.suspension is not None:
        return org
    updated = org.model_copy(update={
        "suspension": Suspension(reason=reason[:500], at=rt.clock.now())})
    await rt.store.update_organization(updated)
    await record(rt, org.id, OPERATOR_ACTOR, "organization.suspended", org.id, reason=reason)
    return updated


async def resume_organization(rt: Runtime, org_id: str) -> Organization:
    """Lift a suspension: the posts that waited are due again (those whose time passed more
    than ``late_grace_minutes`` ago become Late, as after any outage)."""
    org = await rt.store.get_organization(org_id)
    if org.suspension is None:
        return org
    updated = org.model_copy(update={"suspension": None})
    await rt.store.update_organization(updated)
    await record(rt, org.id, OPERATOR_ACTOR, "organization.resumed", org.id)
    return updated


async def suspended_org_ids(rt: Runtime) -> Sequence[str]:
    """The organizations whose posts wait (the scheduler leaves them out)."""
    return await rt.store.list_suspended_org_ids()
