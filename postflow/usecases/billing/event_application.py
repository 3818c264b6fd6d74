"""The ``billing`` job: apply one recorded Stripe event, once.

For every ``customer.subscription.*``, ``checkout.session.completed`` and ``invoice.*`` event
the subscription is read from Stripe and its current state applied (whatever the event said);
other types, and events without a subscription, are recorded as ignored. How it was applied is
stored on the event (``postflow billing events``).
"""

from __future__ import annotations

import logging

from postflow.billing.events import BillingEvent, EventOutcome, is_synced
from postflow.billing.state import SubscriptionStatus
from postflow.notices.events import TrialEnding
from postflow.runtime import Runtime
from postflow.usecases.audit_log import record
from postflow.usecases.billing.subscription_sync import Applied, apply_current

log = logging.getLogger(__name__)

#: Stripe sends this three days before a trial ends.
TRIAL_WILL_END = "customer.subscription.trial_will_end"
#: Who applies events, in the audit log.
ACTOR = "stripe"


async def apply_recorded_event(rt: Runtime, event_id: str) -> BillingEvent:
    """Apply the recorded event ``event_id`` unless it was applied already; the event as
    stored after. Raises BillingUnavailable (the job retries) when Stripe cannot be read."""
    event = await rt.store.get_billing_event(event_id)
    if event.outcome is not EventOutcome.PENDING:
        return event
    applied = await _apply(rt, event)
    done = event.model_copy(update={"outcome": applied.outcome, "org_id": applied.org_id,
                                    "detail": applied.detail,
                                    "applied_at": rt.clock.now()})
    await rt.store.save_billing_event(done)
    return done


async def _apply(rt: Runtime, event: BillingEvent) -> Applied:
    if not is_synced(event.type):
        return Applied(EventOutcome.IGNORED, event.org_hint,
                       f"PostFlow does not act on {event.type} events.")
    if event.subscription_id is None:
        return Applied(EventOutcome.IGNORED, event.org_hint, "The event names no subscription.")
    applied = await apply_current(rt, event.subscription_id, actor=ACTOR)
    if applied is None:
        return Applied(EventOutcome.IGNORED, event.org_hint,
                       f"Stripe has no subscription {event.subscription_id}.")
    org = applied.org
    if applied.outcome is EventOutcome.APPLIED and org is not None and \
            event.type == TRIAL_WILL_END and \
            org.billing.status is SubscriptionStatus.TRIALING and org.billing.trial_end:
        await record(rt, org.id, ACTOR, "billing.trial_ending", org.id,
                     trial_end=org.billing.trial_end.isoformat())
        await rt.notices.notify(TrialEnding(organization_id=org.id,
                                            plan_name=rt.plans.get(org.plan).name,
                                            trial_end=org.billing.trial_end))
    return applied
