"""The composition root: builds a :class:`Runtime` from settings for the CLI and the adapters.

This is the one module of the core that knows which concrete backends and providers exist.
"""

from __future__ import annotations

import dataclasses

from integrations.media import open_media_fetcher, open_media_store
from integrations.registry import build_provider_registry, build_validation_registry
from postflow.account_gates import InProcessAccountGate
from postflow.clock import Clock, SystemClock
from postflow.config import Settings, make_data_dir
from postflow.notifications import LoggingNotifier, Notifier
from postflow.plans import load_plan_catalog
from postflow.providers import ProviderRegistry
from postflow.runtime import Runtime
from postflow.store.factory import open_store
from postflow.store.read_cache import ReadCachedStore
from postflow.token_vault import TokenVault


async def open_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    make_data_dir(settings)
    vault = TokenVault(settings.secret_keys())
    plans = load_plan_catalog(settings.plans_file)
    store = await open_store(settings)
    try:
        providers = build_provider_registry(store, clock, settings)
    except BaseException:  # a bad provider plugin: do not leave the store open
        await store.close()
        raise
    rt = Runtime(settings=settings, store=store, providers=providers, vault=vault,
                 plans=plans, clock=clock, gates=in_process_gates(settings, clock),
                 media_store=open_media_store(settings, clock),
                 media_fetcher=open_media_fetcher(settings))
    rt.notifier = chat_notifier(rt)
    return rt


def validation_registry(rt: Runtime) -> ProviderRegistry:
    """``rt``'s networks plus every built-in one without its app configured: checking a text
    needs no credentials (``postflow validate``)."""
    return build_validation_registry(rt.providers, rt.clock, rt.settings)


def chat_notifier(rt: Runtime) -> Notifier:
    """Slack's notifier when PostFlow can post to Slack (a bot token or OAuth installs), else
    the log."""
    settings = rt.settings
    if settings.slack_bot_token is None and settings.slack_client_secret is None:
        return LoggingNotifier()
    from bot.slack.notifier import SlackNotifier  # the adapter is loaded only when configured

    return SlackNotifier(rt)


def in_process_gates(settings: Settings, clock: Clock) -> InProcessAccountGate:
    """The account gate for one event loop, with the configured per-network caps."""
    return InProcessAccountGate(settings.network_concurrency,
                                default_cap=settings.network_concurrency_default,
                                wait_seconds=settings.network_slot_wait_seconds, clock=clock)


def with_read_cache(rt: Runtime) -> Runtime:
    """``rt`` with hook, organization and connection reads cached for a moment (the hub's view).

    Only for a process that reads those records on every request and can accept seeing another
    process's change to them up to two seconds late; see :mod:`postflow.store.read_cache`.
    The returned runtime shares ``rt``'s store, which its owner still closes.
    """
    return dataclasses.replace(rt, store=ReadCachedStore(rt.store))
