"""Settings, read from ``POSTFLOW_*`` environment variables (see docs/configuration.md)."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from postflow.account_gates import (
    DEFAULT_NETWORK_CONCURRENCY,
    NETWORK_CONCURRENCY,
    NETWORK_SLOT_WAIT_SECONDS,
)
from postflow.errors import ConfigurationError

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
#: Permission bits the key file may not have: any access for the group or other users.
PRIVATE_FILE_FORBIDS = 0o077


EventLoopChoice = Literal["auto", "uvloop", "asyncio"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POSTFLOW_", extra="ignore")

    data_dir: Path = Path("./var")
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    #: The event loop of ``postflow up`` and ``postflow hub``: auto (uvloop where installed),
    #: uvloop or asyncio (hub/event_loop.py).
    event_loop: EventLoopChoice = "auto"
    #: The address people and platforms reach the hub at; defaults to http://host:port.
    public_url: str | None = None
    mongodb_url: SecretStr | None = None
    mongodb_database: str = "postflow"
    redis_url: SecretStr | None = None
    secret_key: SecretStr | None = None
    #: Older secret keys, comma-separated, still accepted for opening sealed values.
    previous_secret_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    plans_file: Path | None = None
    log_level: str = "INFO"
    #: Extra networks, comma-separated ``module:function`` specs (see docs/networks.md).
    provider_plugins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    scheduler_interval_seconds: float = Field(default=1.0, gt=0)
    #: Queued or Publishing posts untouched this long are handed to a worker again.
    reconcile_after_seconds: float = Field(default=300.0, gt=0)
    canary_interval_seconds: float = Field(default=10.0, gt=0)
    #: /readyz fails when no worker consumed a canary within this window.
    canary_window_seconds: float = Field(default=60.0, gt=0)
    #: /readyz fails when the oldest due post has waited longer than this for a worker
    #: (the scheduler lag, docs/operations.md); ``off``: never for the lag.
    ready_max_scheduler_lag_seconds: float | None = Field(default=300.0, gt=0)
    #: /readyz fails when a queue holds more waiting messages than this; ``off``: never.
    ready_max_queue_depth: int | None = Field(default=10_000, ge=1)
    #: ``GET /metrics`` needs ``Authorization: Bearer <this>``; unset: it answers loopback
    #: clients only (docs/operations.md).
    metrics_token: SecretStr | None = None
    #: Jobs a worker process runs at once. A publish job mostly waits (on the network, the
    #: store, a network slot), so more than Dramatiq's 8. Unset: 40 in a ``postflow worker``
    #: process, 24 in ``postflow up``, where the hub shares the process (docs/performance.md).
    #: Each job is a task on the worker's event loop; the name is from when each had a thread.
    worker_threads: int | None = Field(default=None, ge=1)
    #: Messages a worker process holds unacknowledged per queue; unset: 8 x worker_threads.
    #: Dramatiq's own default (2 x jobs) stalls its consumer (docs/performance.md, queue).
    worker_prefetch: int | None = Field(default=None, ge=1)
    publish_max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=5.0, gt=0)
    retry_max_seconds: float = Field(default=900.0, gt=0)
    #: A Scheduled post never tried this long after its time becomes Late instead of going out.
    late_grace_minutes: int = Field(default=15, ge=1)
    #: Concurrent platform calls per network, as JSON ``{"network": cap}`` (``null``: no cap),
    #: laid over the built-in caps; shared by every worker when Redis is configured.
    network_concurrency: Annotated[dict[str, int | None], NoDecode] = Field(
        default_factory=lambda: dict(NETWORK_CONCURRENCY))
    #: The cap for a network that ``network_concurrency`` does not name.
    network_concurrency_default: int = Field(default=DEFAULT_NETWORK_CONCURRENCY, ge=1)
    #: How long a job waits for a network slot before it leaves its target for later.
    network_slot_wait_seconds: float = Field(default=NETWORK_SLOT_WAIT_SECONDS, gt=0)

    webhook_tolerance_seconds: int = Field(default=300, ge=1)
    webhook_max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    #: A request's line and headers must arrive within this many seconds of the connection
    #: opening (or of the previous answer on a kept-alive one), else the hub closes it.
    http_header_timeout_seconds: float = Field(default=15.0, gt=0)
    #: The body of a hook or Slack request must arrive within this, else 408.
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)

    #: Slack (docs/slack.md): the hub serves /slack/events only when the signing secret is set.
    slack_signing_secret: SecretStr | None = None
    #: One workspace: the app's bot token (xoxb-...). Multi-workspace installs use OAuth below.
    slack_bot_token: SecretStr | None = None
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    #: Base URL of Slack's Web API; tests point it at a fake.
    slack_api_url: str = "https://slack.com/api/"
    #: Socket Mode app-level token (xapp-...): when set, Slack is also served over a websocket.
    slack_app_token: SecretStr | None = None

    #: Discord (docs/discord.md): the hub serves /discord/interactions only when the
    #: application's public key (hex, Ed25519, from the Developer Portal) is set.
    discord_public_key: str | None = None
    #: The bot's token: the ``chat`` queue delivers Discord messages with it.
    discord_bot_token: SecretStr | None = None
    #: Base URL of Discord's REST API; tests point it at a fake.
    discord_api_url: str = "https://discord.com/api/v10"
    #: The application's id (General Information): registering ``/postflow`` and the
    #: install URL need it.
    discord_application_id: str | None = Field(default=None, pattern=r"^[0-9]{1,20}$")
    #: The application's OAuth2 client secret (install); never shown.
    discord_client_secret: SecretStr | None = None

    #: X (docs/networks.md): offered only when the client id and secret are both set.
    x_client_id: str | None = None
    x_client_secret: SecretStr | None = None
    #: Base URL of X's API (token endpoint, users/me, tweets); tests point it at a fake.
    x_api_url: str = "https://api.x.com"
    #: X's consent screen.
    x_authorize_url: str = "https://x.com/i/oauth2/authorize"
    #: The scopes asked for, space-separated; all of them are required.
    x_scopes: str = "tweet.read tweet.write users.read offline.access media.write"

    #: LinkedIn (docs/networks.md): offered only when the client id and secret are both set.
    linkedin_client_id: str | None = None
    linkedin_client_secret: SecretStr | None = None
    #: Base URL of LinkedIn's API (userinfo, organizationAcls, posts, images); tests use a fake.
    linkedin_api_url: str = "https://api.linkedin.com"
    #: LinkedIn's OAuth 2.0 base: ``/authorization`` (consent) and ``/accessToken``.
    linkedin_auth_url: str = "https://www.linkedin.com/oauth/v2"
    #: The ``LinkedIn-Version`` (YYYYMM) every versioned call names; LinkedIn retires each
    #: version after about a year, so bump it.
    linkedin_api_version: str = "202605"
    #: The scopes asked for, space-separated; add ``r_organization_admin w_organization_social``
    #: to connect Pages (needs LinkedIn's Community Management API product).
    linkedin_scopes: str = "openid profile w_member_social"

    #: Facebook Pages (docs/networks.md): offered only when the app id and secret are both set.
    facebook_app_id: str | None = None
    facebook_app_secret: SecretStr | None = None
    #: Base URL of the Graph API (token exchange, /me/accounts, posting); tests point it at a fake.
    facebook_graph_url: str = "https://graph.facebook.com"
    #: Where Facebook's consent dialog lives (``{url}/{version}/dialog/oauth``).
    facebook_dialog_url: str = "https://www.facebook.com"
    #: The Graph API version every call names.
    facebook_api_version: str = "v26.0"

    #: Media (docs/configuration.md): kept under data_dir/media unless an S3 bucket is set.
    #: Largest medium accepted, counted as the bytes arrive (512 MiB: X's video limit).
    media_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    #: A whole fetch of a media URL, and connecting to its server.
    media_fetch_timeout_seconds: float = Field(default=300.0, gt=0)
    media_fetch_connect_timeout_seconds: float = Field(default=10.0, gt=0)
    media_fetch_max_redirects: int = Field(default=3, ge=0, le=10)
    #: Development and tests only: let media URLs and outbound webhook endpoints point at
    #: loopback, private and link-local addresses. ``POSTFLOW_MEDIA_ALLOW_PRIVATE_HOSTS`` is
    #: its deprecated old name.
    allow_private_hosts: bool = Field(default=False, validation_alias=AliasChoices(
        "allow_private_hosts", "POSTFLOW_ALLOW_PRIVATE_HOSTS",
        "POSTFLOW_MEDIA_ALLOW_PRIVATE_HOSTS"))
    #: How long a signed or presigned media URL handed to a network stays valid.
    media_url_ttl_seconds: int = Field(default=3600, ge=60)
    #: How long a medium no live post names is kept after its last use (media_retention.py).
    media_retention_hours: float = Field(default=24.0, gt=0)
    #: How long a notice stays in members' notification centers (postflow/usecases/inbox.py).
    notice_retention_days: int = Field(default=90, ge=1)
    s3_bucket: str | None = None
    #: An S3-compatible store (MinIO, R2...): its endpoint; unset means AWS.
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = "media/"
    #: X media uploads (docs/networks.md): bytes per APPEND, the video category, how long to
    #: wait for X to process a video or GIF, and X's size limits per kind.
    x_media_chunk_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    x_video_media_category: str = "tweet_video"
    x_media_processing_timeout_seconds: float = Field(default=600.0, gt=0)
    x_image_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    x_gif_max_bytes: int = Field(default=15 * 1024 * 1024, ge=1)
    x_video_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    #: The longest video X takes from the account (140 s; some accounts may post longer).
    x_video_max_seconds: float = Field(default=140.0, gt=0)

    #: Stripe (docs/billing.md): billing works only when the secret key is set; the hub serves
    #: /stripe/webhook only when the webhook signing secret is set.
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    #: Base URL of Stripe's API (no ``/v1``); tests point it at a fake.
    stripe_api_url: str = "https://api.stripe.com"
    #: How long a ``past_due`` subscription keeps its paid plan before falling to the default.
    billing_grace_days: int = Field(default=7, ge=0)
    #: Email (docs/notifications.md): the From address of every mail.
    email_from: str = "PostFlow <postflow@localhost>"
    #: SMTP: ``smtp://user:pass@host:587`` (STARTTLS when offered; ``?tls=required`` insists)
    #: or ``smtps://user:pass@host:465`` (TLS from the start). Wins over SES when both are set.
    smtp_url: SecretStr | None = None
    #: Extra certificate authorities (PEM) to trust for the SMTP server's certificate.
    smtp_ca_file: Path | None = None
    #: Amazon SES (API v2) in this region; credentials from boto3's usual chain.
    ses_region: str | None = None
    #: An SES-compatible endpoint instead of AWS's (tests point it at moto).
    ses_endpoint_url: str | None = None
    #: The SES configuration set every mail names (where SES publishes bounces), if any.
    ses_configuration_set: str | None = None
    #: The SNS topic SES reports bounces and complaints to; /ses/notifications refuses others
    #: (and is off while unset).
    ses_sns_topic_arn: str | None = None
    #: Tests only: also accept SNS certificate and subscribe URLs starting with this (a
    #: loopback server); real ones must be https://sns.<region>.amazonaws.com/.
    ses_sns_test_url_prefix: str | None = None

    @field_validator("previous_secret_keys", "provider_plugins", mode="before")
    @classmethod
    def _split_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("ready_max_scheduler_lag_seconds", "ready_max_queue_depth", mode="before")
    @classmethod
    def _off_is_none(cls, value: object) -> object:
        """``off`` (or an empty value) turns a readiness threshold off."""
        if isinstance(value, str) and value.strip().lower() in ("", "off", "none"):
            return None
        return value

    @field_validator("network_concurrency", mode="before")
    @classmethod
    def _parse_json_object(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ValueError('it is not JSON; write it as {"x": 8, "linkedin": 4}') from None
        return value

    @field_validator("network_concurrency")
    @classmethod
    def _over_built_in_caps(cls, value: dict[str, int | None]) -> dict[str, int | None]:
        low = sorted(network for network, cap in value.items() if cap is not None and cap < 1)
        if low:
            raise ValueError(f"the cap for {', '.join(low)} must be at least 1, or null for "
                             "no cap")
        return {**NETWORK_CONCURRENCY, **value}

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "postflow.db"

    def secret_keys(self) -> list[str]:
        """The secret key first, then the previous ones; generates one on a first embedded run."""
        older = [k.get_secret_value() for k in self.previous_secret_keys]
        return [resolve_secret_key(self), *older]


def resolve_secret_key(settings: Settings) -> str:
    """Return the configured secret key, or the one kept in the data dir (made on first use).

    With MongoDB configured the key must be given: several machines must share it.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.mongodb_url is not None:
        raise ConfigurationError(
            "POSTFLOW_SECRET_KEY must be set when POSTFLOW_MONGODB_URL is set: every hub and "
            "worker must share it. Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'"
        )
    path = settings.data_dir / SECRET_KEY_FILE
    if path.exists():
        return _read_private_file(path)
    make_data_dir(settings)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _read_private_file(path: Path) -> str:
    """The text of ``path``, refused when other users may read or write it: a key others can
    read is no secret, and one they can write lets them choose it."""
    with open(path, encoding="utf-8") as handle:
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        if mode & PRIVATE_FILE_FORBIDS:
            raise ConfigurationError(
                f"The secret key file {path} can be read or written by other users "
                f"(mode {mode:o}). Make it private with: chmod 600 {path}",
                details={"path": str(path), "mode": f"{mode:o}"})
        return handle.read().strip()


def make_data_dir(settings: Settings) -> None:
    """Create the data directory for its owner only (0700) when this configuration keeps
    anything there (the SQLite database, local media, the generated key).

    A directory that exists keeps its mode: a mounted volume is the operator's to set.
    """
    if settings.mongodb_url is None or not settings.s3_bucket:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
