"""The dependencies every use case works with, bundled once per process.

Built by the composition root (``composition/runtime.py``) with every part passed in; frozen,
so nothing is swapped on it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.account_gates import (
    AccountGate,
    InProcessAccountGate,
    InProcessRefreshLock,
    RefreshLock,
)
from postflow.billing.gateway import BillingGateway
from postflow.clock import Clock, SystemClock
from postflow.config import Settings
from postflow.email.transport import Mail
from postflow.hook_templates import HookTemplateEngine
from postflow.media import MediaFetcher, MediaStore
from postflow.notices.review_cards import ReviewCardPosters
from postflow.notices.router import NoticeRouter, Notices
from postflow.notifications import LogSink
from postflow.plans import PlanCatalog
from postflow.providers import ProviderRegistry
from postflow.rate_limits import InProcessRateLimiter, RateLimiter
from postflow.signed_tokens import TokenSigner
from postflow.store.port import Store
from postflow.telemetry import NoTelemetry, Telemetry
from postflow.token_vault import TokenVault
from postflow.webhooks.sending import WebhookSender


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    store: Store
    providers: ProviderRegistry
    vault: TokenVault
    plans: PlanCatalog
    clock: Clock = field(default_factory=SystemClock)
    #: Rate-limit cool-downs and per-network caps; Redis ones in a worker when Redis is set.
    gates: AccountGate = field(default_factory=InProcessAccountGate)
    #: Single-flight token refresh per connection; Redis-backed in workers when configured.
    refresh_locks: RefreshLock = field(default_factory=InProcessRefreshLock)
    #: Where every notice goes: the router over this process's sinks (a chat platform's, the
    #: log's); ``composition/chat.py`` registers them.
    notices: Notices = field(default_factory=lambda: NoticeRouter([LogSink()]))
    #: The chat adapters that post review cards, by platform (``composition/chat.py``).
    review_cards: ReviewCardPosters = field(default_factory=dict)
    #: Where post media are stored, and how media URLs are fetched (``composition/runtime.py``).
    media_store: MediaStore | None = None
    media_fetcher: MediaFetcher | None = None
    #: Stripe, when ``POSTFLOW_STRIPE_SECRET_KEY`` is set (``composition/runtime.py``); None:
    #: billing is off and organizations keep the plan they have.
    billing: BillingGateway | None = None
    #: POSTs outbound webhook deliveries (``composition/runtime.py``); None: this process
    #: sends none.
    webhook_sender: WebhookSender | None = None
    #: Renders hook templates in a sandbox (``composition/runtime.py``).
    hook_templates: HookTemplateEngine | None = None
    #: How mail is rendered, queued and sent (``composition/email.py``); None in a runtime
    #: built without it (some tests), where mailing raises ConfigurationError.
    mail: Mail | None = None
    #: Request-rate buckets (hooks, API keys, organizations): in Redis when it is configured
    #: (``composition/runtime.py``), else in this process.
    rate_limiter: RateLimiter = field(default_factory=InProcessRateLimiter)
    #: Where the core reports what it measures (publish outcomes, durations, retries); the
    #: composition root passes the Prometheus recorder (``integrations/metrics``).
    telemetry: Telemetry = field(default_factory=NoTelemetry)

    @property
    def tokens(self) -> TokenSigner:
        """Signs and opens expiring tokens with the configured secret keys and this clock."""
        return TokenSigner(self.settings.secret_keys(), self.clock)
