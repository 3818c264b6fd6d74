"""Storing a new billing state and everything that follows from it: the plan it means, the
accounts and posts that plan pauses or resumes, the audit log and the Owners' notices."""

from __future__ import annotations

from postflow.audit import AuditValue
from postflow.billing.lifecycle import plan_for
from postflow.billing.state import BillingState, SubscriptionStatus
from postflow.notices.events import PaymentFailed, PlanChanged
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.billing.plan_enforcement import enforce_plan

#: Billing fields whose change is worth an audit event (not ``synced_at``).
_AUDITED = ("status", "paid_plan", "price_id", "trial_end", "current_period_end",
            "cancel_at_period_end", "subscription_id", "grace_until", "addon_quantity")


async def settle_billing(rt: Runtime, org: Organization, state: BillingState, *,
                         actor: str, reason: str = "") -> Organization:
    """Store ``state`` on ``org`` with the plan it means now; when that plan differs, enforce
    it and tell the Owners."""
    now = rt.clock.now()
    plan_key = plan_for(rt.plans, state, now)
    updated = org.model_copy(update={"billing": state, "plan": plan_key})
    await rt.store.update_organization(updated)
    previous = org.billing
    changes: dict[str, AuditValue] = {
        name: _audit_value(getattr(state, name)) for name in _AUDITED
        if getattr(state, name) != getattr(previous, name)}
    if changes:
        await record(rt, org.id, actor, "billing.subscription_changed", org.id, **changes)
    if state.status is SubscriptionStatus.PAST_DUE and \
            previous.status is not SubscriptionStatus.PAST_DUE and state.grace_until:
        await record(rt, org.id, actor, "billing.payment_failed", org.id,
                     grace_until=state.grace_until.isoformat())
        await rt.notices.notify(PaymentFailed(
            organization_id=org.id, plan_name=rt.plans.get(plan_key).name,
            grace_until=state.grace_until))
    if plan_key != org.plan:
        await change_to_plan(rt, org, updated, actor=actor,
                             reason=reason or _reason(previous, state))
    return updated


async def change_to_plan(rt: Runtime, before: Organization, after: Organization, *,
                         actor: str, reason: str) -> None:
    """``after`` is stored on a new plan: audit it, pause or resume, tell the Owners."""
    await record(rt, after.id, actor, "organization.plan_changed", after.id, old=before.plan,
                 new=after.plan, reason=reason)
    enforced = await enforce_plan(rt, after, actor=actor)
    await rt.notices.notify(PlanChanged(
        organization_id=after.id, plan_name=rt.plans.get(after.plan).name,
        old_plan_name=rt.plans.get(before.plan).name, reason=reason,
        paused=enforced.paused, resumed=enforced.resumed, held_posts=enforced.waiting))


def _reason(previous: BillingState, state: BillingState) -> str:
    if state.status is previous.status:
        return "the subscription changed"
    return f"the subscription is {state.status.value.replace('_', ' ')}"


def _audit_value(value: object) -> AuditValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)
