"""The connected-accounts add-on: accounts beyond the plan's included number are billed per
unit, the quantity kept in step as accounts come and go."""

from __future__ import annotations

import pytest

from postflow.errors import LimitReached
from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox, disconnect_connection
from tests.fakes.clock import ManualClock
from tests.fakes.stripe_api import FakeStripe
from tests.postflow.usecases.billing.conftest import subscribe


def addon_quantity(stripe: FakeStripe) -> int | None:
    items = stripe.latest_subscription()["items"]["data"]
    return next((i["quantity"] for i in items if i["price"]["id"] == "price_extra_account"),
                None)


async def test_accounts_beyond_the_included_number_are_billed_on_the_addon(
        rt: Runtime, stripe: FakeStripe, org: Organization, clock: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")  # 4 included
    for n in range(6):
        clock.advance(1)
        await connect_sandbox(rt, org.id, f"account{n}", actor="test")

    assert addon_quantity(stripe) == 2
    after = await rt.store.get_organization(org.id)
    assert after.billing.addon_quantity == 2
    assert after.plan == "pro"  # the add-on item is not a plan


async def test_removing_accounts_lowers_the_quantity_and_then_removes_the_item(
        rt: Runtime, stripe: FakeStripe, org: Organization, clock: ManualClock) -> None:
    await subscribe(rt, stripe, org, "pro")
    connected = []
    for n in range(5):
        clock.advance(1)
        connected.append(await connect_sandbox(rt, org.id, f"account{n}", actor="test"))
    assert addon_quantity(stripe) == 1

    await disconnect_connection(rt, org.id, connected[0].id, actor="test")

    assert addon_quantity(stripe) is None
    assert (await rt.store.get_organization(org.id)).billing.addon_quantity == 0


async def test_a_plan_without_the_addon_keeps_its_hard_limit(
        rt: Runtime, stripe: FakeStripe, org: Organization) -> None:
    for n in range(2):  # the free plan: 2 accounts, no add-on
        await connect_sandbox(rt, org.id, f"account{n}", actor="test")

    with pytest.raises(LimitReached):
        await connect_sandbox(rt, org.id, "one more", actor="test")
    assert stripe.subscriptions == {}
