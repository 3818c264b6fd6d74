"""The scheduler's billing pass: warn Owners a day before a past-due grace period ends, and
move an organization whose grace period has ended to the default plan."""

from __future__ import annotations

from datetime import timedelta

from postflow.billing.lifecycle import plan_for
from postflow.billing.state import SubscriptionStatus
from postflow.notices.events import GraceEnding
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.billing.plan_change import change_to_plan

#: How long before the end of the grace period Owners are warned.
WARN_BEFORE = timedelta(days=1)
#: How often the scheduler runs this pass.
RUN_EVERY = timedelta(minutes=5)
ACTOR = "scheduler"


async def check_billing_grace(rt: Runtime) -> int:
    """One pass over past-due organizations; how many changed plan."""
    now = rt.clock.now()
    fell = 0
    for org in await rt.store.list_organizations():
        state = org.billing
        if state.status is not SubscriptionStatus.PAST_DUE or state.grace_until is None:
            continue
        if now < state.grace_until and not state.grace_warned and \
                state.grace_until - now <= WARN_BEFORE:
            warned = org.model_copy(update={"billing": state.model_copy(
                update={"grace_warned": True})})
            await rt.store.update_organization(warned)
            await record(rt, org.id, ACTOR, "billing.grace_ending", org.id,
                         grace_until=state.grace_until.isoformat())
            await rt.notices.notify(GraceEnding(organization_id=org.id,
                                                plan_name=rt.plans.get(org.plan).name,
                                                grace_until=state.grace_until))
            continue
        plan_key = plan_for(rt.plans, state, now)
        if plan_key != org.plan:
            after = org.model_copy(update={"plan": plan_key})
            await rt.store.update_organization(after)
            await change_to_plan(rt, org, after, actor=ACTOR,
                                 reason="the grace period for the failed payment ended")
            fell += 1
    return fell
