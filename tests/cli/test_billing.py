"""``postflow org show``, ``postflow billing sync`` and ``postflow billing events`` against the
fake Stripe (served on its own thread: the CLI runs its own event loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from composition.runtime import open_runtime
from integrations.stripe.webhook_events import billing_event
from postflow.config import Settings
from postflow.usecases.billing.event_intake import receive_event
from postflow.usecases.billing.subscription_actions import start_checkout
from tests.cli import run_cli, use_cli_env
from tests.fakes.stripe_api import FakeStripe
from tests.fakes.stripe_setup import PLANS_TOML, PRICES


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    """The fake Stripe on a loopback port, served from a thread of its own."""
    fake = FakeStripe()
    for price_id, (amount, interval) in PRICES.items():
        fake.add_price(price_id, amount, interval)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake.app(), access_log=None)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stripe: FakeStripe) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS_TOML, encoding="utf-8")
    monkeypatch.setenv("POSTFLOW_PLANS_FILE", str(plans))
    monkeypatch.setenv("POSTFLOW_STRIPE_SECRET_KEY", stripe.secret_key)
    monkeypatch.setenv("POSTFLOW_STRIPE_API_URL", stripe.base_url)


def paid_but_not_applied(org_id: str, stripe: FakeStripe) -> None:
    """Checkout completed at Stripe; its events recorded by the hub, none applied yet."""
    async def pay() -> None:
        rt = await open_runtime(Settings())
        try:
            await start_checkout(rt, org_id, "business", success_url="https://a.example/ok",
                                 cancel_url="https://a.example/no", actor="test")
            await stripe.complete_checkout(list(stripe.checkout_sessions)[-1])
            for sent in stripe.emitted:
                await receive_event(rt, billing_event(sent.event, rt.clock.now()), None)
        finally:
            assert rt.billing is not None
            await rt.billing.close()
            await rt.store.close()

    asyncio.run(pay())


def new_org(capsys: pytest.CaptureFixture[str]) -> str:
    return str(run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"])


def test_org_show_json_has_plan_billing_and_usage_of_every_limit(
        capsys: pytest.CaptureFixture[str]) -> None:
    org_id = new_org(capsys)

    result = run_cli(capsys, "org", "show", "Acme", "--json")

    assert result.code == 0
    org = result.json()["organization"]
    assert (org["id"], org["plan"]) == (org_id, "free")
    assert org["billing"]["status"] == "none"
    assert org["billing"]["cancel_at_period_end"] is False
    assert {u["limit"]: (u["used"], u["allowed"]) for u in org["usage"]} == {
        "connected_accounts": (0, 2), "scheduled_posts_per_month": (0, 3),
        "members": (0, None), "workspaces": (0, None), "media_storage_bytes": (0, None)}


def test_billing_sync_reads_the_subscription_from_stripe(
        capsys: pytest.CaptureFixture[str], stripe: FakeStripe) -> None:
    org_id = new_org(capsys)
    paid_but_not_applied(org_id, stripe)
    first = run_cli(capsys, "billing", "events", "--org", org_id, "--json").json()["events"]
    assert {e["outcome"] for e in first} == {"pending"}
    link_subscription(org_id, stripe.latest_subscription()["id"])  # as its first event did
    stripe.latest_subscription()["cancel_at_period_end"] = True  # and that event was lost

    result = run_cli(capsys, "billing", "sync", org_id, "--json")

    assert result.code == 0, result.out + result.err
    assert result.json()["outcome"] == "applied"
    shown = run_cli(capsys, "org", "show", org_id, "--json").json()["organization"]
    assert shown["plan"] == "business"
    assert shown["billing"]["status"] == "active"
    assert shown["billing"]["cancel_at_period_end"] is True
    assert shown["billing"]["current_period_end"] is not None


def link_subscription(org_id: str, subscription_id: str) -> None:
    async def link() -> None:
        rt = await open_runtime(Settings())
        try:
            org = await rt.store.get_organization(org_id)
            await rt.store.update_organization(org.model_copy(update={
                "billing": org.billing.model_copy(update={"subscription_id": subscription_id})}))
        finally:
            if rt.billing is not None:
                await rt.billing.close()
            await rt.store.close()

    asyncio.run(link())


def test_billing_events_lists_every_recorded_event_newest_first(
        capsys: pytest.CaptureFixture[str], stripe: FakeStripe) -> None:
    org_id = new_org(capsys)
    paid_but_not_applied(org_id, stripe)

    result = run_cli(capsys, "billing", "events", "--json")

    events = result.json()["events"]
    assert [e["type"] for e in events] == list(reversed(
        [s.event["type"] for s in stripe.emitted]))
    assert all(e["outcome"] == "pending" for e in events)


def test_billing_sync_without_stripe_configured_says_so(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSTFLOW_STRIPE_SECRET_KEY")
    org_id = new_org(capsys)
    link_subscription(org_id, "sub_1")

    result = run_cli(capsys, "billing", "sync", org_id)

    assert result.code == 2
    assert "POSTFLOW_STRIPE_SECRET_KEY" in result.err
