"""The composition root: the runtime it builds follows the settings, once, with every part."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from pydantic import SecretStr

from composition.runtime import open_backends, open_runtime
from integrations.stripe.gateway import StripeBillingGateway
from postflow.account_gates import NetworkBusy
from postflow.config import Settings
from postflow.notices.router import NoticeRouter
from postflow.runtime import Runtime
from postflow.store.read_cache import ReadCachedStore

REPO_ROOT = Path(__file__).resolve().parents[2]


async def test_the_configured_network_cap_is_the_one_enforced(settings: Settings) -> None:
    rt = await open_runtime(settings.model_copy(update={
        "network_concurrency": {"x": 2}, "network_slot_wait_seconds": 0.05}))
    try:
        async with AsyncExitStack() as held:
            for _ in range(2):
                await held.enter_async_context(rt.gates.acquire("x"))
            with pytest.raises(NetworkBusy, match="All 2 slots for x"):
                async with rt.gates.acquire("x"):
                    pass
    finally:
        await rt.store.close()


async def test_the_configured_default_cap_applies_to_unnamed_networks(
        settings: Settings) -> None:
    rt = await open_runtime(settings.model_copy(update={
        "network_concurrency_default": 1, "network_slot_wait_seconds": 0.05}))
    try:
        async with rt.gates.acquire("linkedin"):
            with pytest.raises(NetworkBusy):
                async with rt.gates.acquire("linkedin"):
                    pass
            async with rt.gates.acquire("sandbox"):  # still uncapped
                pass
    finally:
        await rt.store.close()


async def test_without_settings_the_built_in_caps_hold(settings: Settings) -> None:
    rt = await open_runtime(settings.model_copy(update={"network_slot_wait_seconds": 0.05}))
    try:
        async with AsyncExitStack() as held:
            for _ in range(16):
                await held.enter_async_context(rt.gates.acquire("x"))
            with pytest.raises(NetworkBusy, match="All 16 slots"):
                async with rt.gates.acquire("x"):
                    pass
    finally:
        await rt.store.close()


async def test_nothing_is_set_on_a_built_runtime(rt: Runtime) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        rt.notices = NoticeRouter([])  # type: ignore[misc]


async def test_the_hub_and_the_scheduler_share_the_backends_and_only_the_hub_caches(
        settings: Settings) -> None:
    backends = await open_backends(settings)
    try:
        scheduler, hub = backends.runtime(), backends.runtime(read_cache=True)
        assert scheduler.store is backends.store
        assert isinstance(hub.store, ReadCachedStore) and hub.store.wrapped is backends.store
        assert hub.notices is scheduler.notices and hub.providers is scheduler.providers
    finally:
        await backends.close()


SLACK_FREE = """
import asyncio, sys
from pathlib import Path
from composition.runtime import open_runtime
from postflow.config import Settings

async def main() -> None:
    rt = await open_runtime(Settings(data_dir=Path(sys.argv[1]), secret_key="k" * 32))
    await rt.store.close()

asyncio.run(main())
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("slack_sdk", "slack_bolt", "bot"))
sys.exit(", ".join(loaded[:5]) or 0)
"""


def test_a_process_without_slack_loads_no_slack_module(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SLACK_FREE, str(tmp_path)],  # noqa: S603
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


async def test_without_chat_the_log_inbox_and_webhooks_are_the_sinks_and_no_cards_are_posted(
        rt: Runtime) -> None:
    from postflow.notices.inbox_sink import InboxSink
    from postflow.notifications import LogSink
    from postflow.usecases.webhook_events import WebhookNoticeSink

    assert isinstance(rt.notices, NoticeRouter)
    assert [type(sink) for sink in rt.notices.sinks] == [LogSink, InboxSink, WebhookNoticeSink]
    assert dict(rt.review_cards) == {}


async def test_with_slack_its_sink_and_review_cards_are_registered(settings: Settings) -> None:
    slack = Settings(**{**settings.model_dump(), "slack_bot_token": "xoxb-test"})
    backends = await open_backends(slack)
    try:
        from bot.slack.chat_delivery import SlackChatDelivery
        from bot.slack.notice_sink import SlackNoticeSink
        from bot.slack.review_cards import SlackReviewCards
        from postflow.notices.inbox_sink import InboxSink

        rt = backends.runtime()
        assert isinstance(rt.notices, NoticeRouter)
        from postflow.usecases.webhook_events import WebhookNoticeSink

        assert [type(sink) for sink in rt.notices.sinks] == [SlackNoticeSink, InboxSink,
                                                            WebhookNoticeSink]
        assert isinstance(rt.review_cards["slack"], SlackReviewCards)
        assert isinstance(backends.chat.deliveries["slack"], SlackChatDelivery)
    finally:
        await backends.close()


async def test_with_a_discord_bot_token_its_sink_and_review_cards_are_registered(
        settings: Settings) -> None:
    from bot.discord.chat_delivery import DiscordChatDelivery
    from bot.discord.notice_sink import DiscordNoticeSink
    from bot.discord.review_cards import DiscordReviewCards
    from composition.worker import open_worker_services
    from postflow.notices.inbox_sink import InboxSink

    discord = Settings(**{**settings.model_dump(), "discord_bot_token": "discord-test"})
    services = await open_worker_services(discord)
    try:
        assert isinstance(services.chat_deliveries["discord"], DiscordChatDelivery)
        rt = services.runtime
        assert isinstance(rt.notices, NoticeRouter)
        from postflow.usecases.webhook_events import WebhookNoticeSink

        assert [type(sink) for sink in rt.notices.sinks] == [DiscordNoticeSink, InboxSink,
                                                            WebhookNoticeSink]
        assert isinstance(rt.review_cards["discord"], DiscordReviewCards)
    finally:
        await services.close()


async def test_billing_is_built_only_when_a_stripe_secret_key_is_set(settings: Settings) -> None:


    without = await open_backends(settings)
    with_key = await open_backends(settings.model_copy(update={
        "stripe_secret_key": SecretStr("sk_test_x")}))
    try:
        assert without.runtime().billing is None
        assert isinstance(with_key.runtime().billing, StripeBillingGateway)
    finally:
        await without.close()
        await with_key.close()
