"""Billing under test: plans with Stripe prices, the fake Stripe served on loopback, and a
runtime whose billing gateway talks to it (on the test's manual clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.fakes.serving import serving
from tests.fakes.stripe_api import FakeStripe

PLANS_TOML = """
default = "free"

[[plans]]
key = "free"
name = "Free"
features = ["incoming_hooks"]
[plans.limits]
connected_accounts = 2
scheduled_posts_per_month = 3

[[plans]]
key = "pro"
name = "Pro"
stripe_price_ids = ["price_pro_month", "price_pro_year"]
trial_days = 14
addon_account_price_id = "price_extra_account"
features = ["incoming_hooks", "recurring_posts"]
[plans.limits]
connected_accounts = 4
scheduled_posts_per_month = 100

[[plans]]
key = "business"
name = "Business"
stripe_price_ids = ["price_business_month"]
[plans.limits]
connected_accounts = 20
"""

PRICES = {"price_pro_month": (2900, "month"), "price_pro_year": (29000, "year"),
          "price_business_month": (9900, "month"), "price_extra_account": (500, "month")}


@dataclass(frozen=True)
class BillingKit:
    rt: Runtime
    stripe: FakeStripe
    clock: ManualClock


def billing_settings(settings: Settings, tmp_path: Path, api_url: str,
                     stripe: FakeStripe) -> Settings:
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS_TOML, encoding="utf-8")
    return settings.model_copy(update={
        "plans_file": plans, "stripe_secret_key": SecretStr(stripe.secret_key),
        "stripe_webhook_secret": SecretStr(stripe.webhook_secret), "stripe_api_url": api_url})


@asynccontextmanager
async def billing_kit(settings: Settings, clock: ManualClock,
                      tmp_path: Path) -> AsyncIterator[BillingKit]:
    """A fake Stripe with the plans' prices, served, and a runtime on it."""
    stripe = FakeStripe(now=lambda: clock.now().timestamp())
    for price_id, (amount, interval) in PRICES.items():
        stripe.add_price(price_id, amount, interval)
    async with serving(stripe.app()) as url:
        stripe.base_url = url
        rt = await open_runtime(billing_settings(settings, tmp_path, url, stripe), clock=clock)
        try:
            yield BillingKit(rt, stripe, clock)
        finally:
            if rt.billing is not None:
                await rt.billing.close()
            await rt.store.close()
