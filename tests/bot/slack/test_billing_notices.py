"""Billing notices said on Slack: by direct message to each Owner, in plain words."""

from __future__ import annotations

from datetime import UTC, datetime

from postflow.notices.events import PaymentFailed, PlanChanged
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.fakes.slack_api import FakeSlack
from tests.polling import eventually


async def test_a_failed_payment_is_told_to_the_owner_only_with_the_grace_date(
        rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await rt.notices.notify(PaymentFailed(organization_id=org.id, plan_name="Pro",
                                          grace_until=datetime(2026, 12, 2, tzinfo=UTC)))

    opened = await eventually(lambda: fake_slack.calls_to("conversations.open") or None)
    assert [c.params["users"] for c in opened] == ["UOWNER"]
    [dm] = await eventually(lambda: fake_slack.calls_to("chat.postMessage") or None)
    assert dm.params["channel"] == "DUOWNER"
    text = dm.params["text"]
    assert "payment for the Pro plan failed" in text and "2026-12-02" in text


async def test_a_plan_change_names_the_paused_accounts(
        rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await rt.notices.notify(PlanChanged(organization_id=org.id, plan_name="Free",
                                        old_plan_name="Pro", reason="the subscription is unpaid",
                                        paused=("Acme news (x)",), held_posts=2))

    [dm] = await eventually(lambda: fake_slack.calls_to("chat.postMessage") or None)
    text = dm.params["text"]
    assert "from the Pro plan to the Free plan" in text
    assert "Acme news (x)" in text and "2 scheduled post(s) wait" in text
