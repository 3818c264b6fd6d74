"""Opening a process's backends from the settings and building its runtime from them, once.

This is the one place that knows which concrete store, providers, media backends and chat
adapters exist. Every part is passed to :class:`~postflow.runtime.Runtime` when it is built:
nothing is set on a runtime afterwards, and a runtime is never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from composition.chat import Chat, open_chat
from composition.email import open_email
from composition.webhooks import open_webhook_sender
from integrations.hook_templates.engine import SandboxedHookTemplates
from integrations.media import open_media_fetcher, open_media_store
from integrations.metrics.recorder import PrometheusTelemetry
from integrations.rate_limits.redis_buckets import RedisRateLimiter
from integrations.registry import build_provider_registry, build_validation_registry
from postflow.account_gates import (
    AccountGate,
    InProcessAccountGate,
    InProcessRefreshLock,
    RefreshLock,
)
from postflow.clock import Clock, SystemClock
from postflow.config import Settings, make_data_dir
from postflow.email.transport import Mail
from postflow.hook_templates import HookTemplateEngine
from postflow.media import MediaFetcher, MediaStore
from postflow.plans import PlanCatalog, load_plan_catalog
from postflow.providers import ProviderRegistry
from postflow.rate_limits import InProcessRateLimiter, RateLimiter
from postflow.runtime import Runtime
from postflow.store.factory import open_store
from postflow.store.port import Store
from postflow.store.read_cache import ReadCachedStore
from postflow.telemetry import NoTelemetry, Telemetry
from postflow.token_vault import TokenVault
from postflow.webhooks.sending import WebhookSender

if TYPE_CHECKING:
    from integrations.stripe.gateway import StripeBillingGateway


@dataclass(frozen=True)
class Gates:
    """The account gate and refresh locks a runtime uses (in process, or shared in Redis)."""

    gates: AccountGate
    refresh_locks: RefreshLock


@dataclass(frozen=True)
class Backends:
    """What a process opens once: its store and every part built around it from the settings."""

    settings: Settings
    clock: Clock
    store: Store
    vault: TokenVault
    plans: PlanCatalog
    providers: ProviderRegistry
    gates: Gates
    chat: Chat
    media_store: MediaStore
    media_fetcher: MediaFetcher
    mail: Mail
    #: Stripe, when its secret key is set.
    billing: StripeBillingGateway | None = None
    webhook_sender: WebhookSender | None = None
    hook_templates: HookTemplateEngine | None = None
    rate_limiter: RateLimiter = field(default_factory=InProcessRateLimiter)
    telemetry: Telemetry = field(default_factory=NoTelemetry)

    def runtime(self, *, read_cache: bool = False) -> Runtime:
        """The runtime on these backends; with ``read_cache``, hook, organization and connection
        reads are cached for a moment (the hub's view, see :mod:`postflow.store.read_cache`).

        Call it once per role: each call with ``read_cache`` has a cache of its own.
        """
        store: Store = ReadCachedStore(self.store) if read_cache else self.store
        return Runtime(settings=self.settings, store=store, providers=self.providers,
                       vault=self.vault, plans=self.plans, clock=self.clock,
                       gates=self.gates.gates, refresh_locks=self.gates.refresh_locks,
                       notices=self.chat.notices, review_cards=self.chat.review_cards,
                       media_store=self.media_store,
                       media_fetcher=self.media_fetcher, billing=self.billing,
                       webhook_sender=self.webhook_sender,
                       hook_templates=self.hook_templates, mail=self.mail,
                       rate_limiter=self.rate_limiter, telemetry=self.telemetry)

    async def close(self) -> None:
        try:
            if self.billing is not None:
                await self.billing.close()
        finally:
            try:
                await self.store.close()
            finally:
                await self.rate_limiter.close()


async def open_backends(settings: Settings, *, clock: Clock | None = None,
                        gates: Gates | None = None) -> Backends:
    """Open the store and build every part around it; the caller closes it (:meth:`close`).

    ``gates`` defaults to the in-process ones (:func:`in_process_gates`).
    """
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
    email = open_email(settings, store, clock)
    return Backends(settings=settings, clock=clock, store=store, vault=vault, plans=plans,
                    providers=providers, gates=gates or in_process_gates(settings, clock),
                    chat=open_chat(settings, store, vault, clock, other_sinks=(email.sink,)),
                    media_store=open_media_store(settings, clock),
                    media_fetcher=open_media_fetcher(settings),
                    billing=open_billing_gateway(settings),
                    webhook_sender=open_webhook_sender(settings),
                    hook_templates=SandboxedHookTemplates(), mail=email.mail,
                    rate_limiter=open_rate_limiter(settings, clock),
                    telemetry=PrometheusTelemetry())


def open_billing_gateway(settings: Settings) -> StripeBillingGateway | None:
    """Stripe when ``POSTFLOW_STRIPE_SECRET_KEY`` is set, else None (billing off)."""
    if settings.stripe_secret_key is None:
        return None
    from integrations.stripe.gateway import StripeBillingGateway  # stripe loads only when used

    return StripeBillingGateway(settings.stripe_secret_key.get_secret_value(),
                                settings.stripe_api_url)


async def open_runtime(settings: Settings, *, clock: Clock | None = None,
                       read_cache: bool = False) -> Runtime:
    """Open the backends and build the one runtime on them (closed with ``rt.store.close()``):
    for a process with one role (the CLI, the scheduler, the hub with ``read_cache``)."""
    return (await open_backends(settings, clock=clock)).runtime(read_cache=read_cache)


def validation_registry(rt: Runtime) -> ProviderRegistry:
    """``rt``'s networks plus every built-in one without its app configured: checking a text
    needs no credentials (``postflow validate``)."""
    return build_validation_registry(rt.providers, rt.clock, rt.settings)


def in_process_gates(settings: Settings, clock: Clock) -> Gates:
    """The account gate for one event loop, with the configured per-network caps."""
    return Gates(InProcessAccountGate(settings.network_concurrency,
                                      default_cap=settings.network_concurrency_default,
                                      wait_seconds=settings.network_slot_wait_seconds,
                                      clock=clock),
                 InProcessRefreshLock())


def open_rate_limiter(settings: Settings, clock: Clock) -> RateLimiter:
    """Request-rate buckets in Redis when it is configured (every hub shares them), else in
    this process."""
    if settings.redis_url is None:
        return InProcessRateLimiter(clock)
    return RedisRateLimiter.from_url(settings.redis_url.get_secret_value(), clock)
