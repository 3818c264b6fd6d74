"""What a billing notice says to an organization's Owners, in plain words (one place, so every
chat platform and email say the same)."""

from __future__ import annotations

from postflow.notices.events import (
    BillingNotice,
    GraceEnding,
    PaymentFailed,
    PlanChanged,
    TrialEnding,
)

_DAY = "%Y-%m-%d"


def billing_notice_text(notice: BillingNotice) -> str:
    """The sentence(s) for ``notice``; ``/postflow billing`` opens the page."""
    match notice:
        case PaymentFailed(grace_until=until):
            return (f"A payment for the {notice.plan_name} plan failed. The plan stays until "
                    f"{until:{_DAY}}; update the card with /postflow billing before then, or "
                    "the organization moves to the free plan.")
        case TrialEnding(trial_end=end):
            return (f"The {notice.plan_name} trial ends on {end:{_DAY}}. Add a card with "
                    "/postflow billing to keep the plan.")
        case GraceEnding(grace_until=until):
            return (f"The grace period for the failed payment ends on {until:{_DAY} %H:%M} UTC; "
                    f"then the organization leaves the {notice.plan_name} plan. Update the "
                    "card with /postflow billing.")
        case PlanChanged():
            return _plan_changed(notice)
    return f"Billing changed for the {notice.plan_name} plan."


def _plan_changed(notice: PlanChanged) -> str:
    text = (f"The organization moved from the {notice.old_plan_name} plan to the "
            f"{notice.plan_name} plan ({notice.reason}).")
    if notice.paused:
        text += (f" Over the new limit, these accounts are paused (kept, not publishing): "
                 f"{', '.join(notice.paused)}.")
    if notice.resumed:
        text += f" Resumed: {', '.join(notice.resumed)}."
    if notice.held_posts:
        text += (f" {notice.held_posts} scheduled post(s) wait until the plan allows them; "
                 "nothing was deleted.")
    return text
