"""Plans and their limits, defined in configuration, and the checks the use cases make.

A limit of ``None`` means unlimited. Refusals name the limit, the usage and the plan that lifts it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from postflow.errors import ConfigurationError, LimitReached
from postflow.rate_limits import RateScope


class Limit(StrEnum):
    CONNECTED_ACCOUNTS = "connected_accounts"
    SCHEDULED_POSTS_PER_MONTH = "scheduled_posts_per_month"
    MEMBERS = "members"
    WORKSPACES = "workspaces"
    #: Bytes of media an organization holds at once (``postflow/org_media.py``).
    MEDIA_STORAGE_BYTES = "media_storage_bytes"


LIMIT_NOUNS = {
    Limit.CONNECTED_ACCOUNTS: "connected accounts",
    Limit.SCHEDULED_POSTS_PER_MONTH: "scheduled posts a month",
    Limit.MEMBERS: "members",
    Limit.WORKSPACES: "workspaces",
    Limit.MEDIA_STORAGE_BYTES: "of stored media",
}

#: Limits counted in bytes: shown as "1 GiB" rather than a count.
BYTE_LIMITS = frozenset({Limit.MEDIA_STORAGE_BYTES})
GIB = 1024 ** 3


class Feature(StrEnum):
    INCOMING_HOOKS = "incoming_hooks"
    MULTI_STEP_APPROVAL = "multi_step_approval"
    RECURRING_POSTS = "recurring_posts"


class PlanLimits(BaseModel):
    connected_accounts: int | None = Field(default=None, ge=0)
    scheduled_posts_per_month: int | None = Field(default=None, ge=0)
    members: int | None = Field(default=None, ge=0)
    workspaces: int | None = Field(default=None, ge=0)
    media_storage_bytes: int | None = Field(default=None, ge=0)

    def get(self, limit: Limit) -> int | None:
        value: int | None = getattr(self, limit.value)
        return value


class PlanRateLimits(BaseModel):
    """Requests a minute (a token bucket: the burst is the same figure); None (left out of the
    plans file, like every limit): unlimited."""

    api_key: int | None = Field(default=None, ge=1)
    hook: int | None = Field(default=None, ge=1)
    organization: int | None = Field(default=None, ge=1)

    def per_minute(self, scope: RateScope) -> int | None:
        value: int | None = getattr(self, scope.value)
        return value


class Plan(BaseModel):
    key: str
    name: str
    #: Stripe price ids (monthly, yearly...): a subscription on any of them is on this plan;
    #: a plan without any is not for sale (docs/billing.md).
    stripe_price_ids: list[str] = Field(default_factory=list)
    #: Days of trial a new subscription to this plan starts with (0: none).
    trial_days: int = Field(default=0, ge=0)
    #: A per-unit Stripe price for each connected account beyond ``limits.connected_accounts``;
    #: None: the limit is a hard cap.
    addon_account_price_id: str | None = None
    limits: PlanLimits
    features: frozenset[Feature] = frozenset()
    #: Requests a minute per API key, per hook and per organization (docs/configuration.md).
    rate_limits: PlanRateLimits = Field(default_factory=PlanRateLimits)

    @model_validator(mode="before")
    @classmethod
    def _no_single_price(cls, data: object) -> object:
        if isinstance(data, dict) and "stripe_price_id" in data:
            raise ValueError("stripe_price_id is no longer read: write stripe_price_ids = "
                             '["price_..."] (a list: monthly, yearly...) instead')
        return data

    @property
    def for_sale(self) -> bool:
        return bool(self.stripe_price_ids)


class PlanCatalog(BaseModel):
    """Every plan, in order from the smallest; ``default`` is where new organizations start."""

    default: str = "free"
    plans: list[Plan]

    def get(self, key: str) -> Plan:
        for plan in self.plans:
            if plan.key == key:
                return plan
        raise ConfigurationError(f"No plan named {key!r} is configured.")

    def by_price(self, price_id: str) -> Plan | None:
        """The plan a Stripe price id belongs to (its own, or its add-on's: never both)."""
        for plan in self.plans:
            if price_id in plan.stripe_price_ids:
                return plan
        return None

    def lifting(self, current: Plan, limit: Limit, needed: int) -> Plan | None:
        """The first plan after ``current`` whose limit allows ``needed``."""
        keys = [p.key for p in self.plans]
        for plan in self.plans[keys.index(current.key) + 1 :]:
            cap = plan.limits.get(limit)
            if cap is None or cap >= needed:
                return plan
        return None

    def with_feature(self, current: Plan, feature: Feature) -> Plan | None:
        keys = [p.key for p in self.plans]
        for plan in self.plans[keys.index(current.key) + 1 :]:
            if feature in plan.features:
                return plan
        return None


DEFAULT_PLANS = PlanCatalog(
    default="free",
    plans=[
        Plan(key="free", name="Free",
             limits=PlanLimits(connected_accounts=3, scheduled_posts_per_month=30, members=3,
                               workspaces=1, media_storage_bytes=1 * GIB),
             features=frozenset({Feature.INCOMING_HOOKS}),
             rate_limits=PlanRateLimits(api_key=60, hook=60, organization=120)),
        Plan(key="pro", name="Pro",
             limits=PlanLimits(connected_accounts=15, scheduled_posts_per_month=1000, members=15,
                               workspaces=3, media_storage_bytes=25 * GIB),
             features=frozenset({Feature.INCOMING_HOOKS, Feature.MULTI_STEP_APPROVAL,
                                 Feature.RECURRING_POSTS}),
             rate_limits=PlanRateLimits(api_key=300, hook=300, organization=600)),
        Plan(key="business", name="Business",
             limits=PlanLimits(connected_accounts=60, scheduled_posts_per_month=None, members=None,
                               workspaces=10, media_storage_bytes=250 * GIB),
             features=frozenset(Feature),
             rate_limits=PlanRateLimits(api_key=1200, hook=1200, organization=3000)),
    ],
)


def load_plan_catalog(path: Path | None) -> PlanCatalog:
    """Read plans from a TOML file (see docs/configuration.md), or return the defaults."""
    if path is None:
        return DEFAULT_PLANS
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        catalog = PlanCatalog.model_validate(raw)
    except FileNotFoundError as err:
        raise ConfigurationError(f"Plans file {path} does not exist.") from err
    except OSError as err:
        raise ConfigurationError(f"Plans file {path} cannot be read: {err.strerror}.") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ValidationError) as err:
        raise ConfigurationError(f"Plans file {path} is not valid: {err}") from err
    keys = [plan.key for plan in catalog.plans]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ConfigurationError(f"Plans file {path} defines plan {duplicates[0]!r} twice.")
    prices = [price for plan in catalog.plans for price in plan.stripe_price_ids]
    repeated = sorted({price for price in prices if prices.count(price) > 1})
    if repeated:
        raise ConfigurationError(f"Plans file {path} gives price {repeated[0]!r} to two plans.")
    if catalog.default not in keys:
        raise ConfigurationError(
            f"Plans file {path} names {catalog.default!r} as the default plan but defines no "
            "plan with that key.")
    return catalog


def check_limit(catalog: PlanCatalog, plan_key: str, limit: Limit, usage: int,
                adding: int = 1) -> int | None:
    """How many more fit once ``adding`` is counted (None: no limit); raise
    :class:`LimitReached` when ``usage + adding`` is over the plan's ``limit``."""
    plan = catalog.get(plan_key)
    cap = plan.limits.get(limit)
    if cap is None:
        return None
    if usage + adding <= cap:
        return cap - usage - adding
    raise limit_reached(catalog, plan, limit, usage, adding)


def limit_reached(catalog: PlanCatalog, plan: Plan, limit: Limit, usage: int,
                  adding: int = 1) -> LimitReached:
    cap = plan.limits.get(limit)
    noun = LIMIT_NOUNS[limit]
    upgrade = catalog.lifting(plan, limit, usage + adding)
    allowed = None if upgrade is None else upgrade.limits.get(limit)
    lift = (f" The {upgrade.name} plan allows "
            f"{'unlimited' if allowed is None else shown_amount(limit, allowed)}"
            f" {noun}." if upgrade else "")
    return LimitReached(
        f"Your {plan.name} plan allows {shown_amount(limit, cap)} {noun} and you have used "
        f"{shown_amount(limit, usage)}.{_needing(limit, adding)}{lift}",
        details={"limit": limit.value, "allowed": cap, "usage": usage, "plan": plan.key,
                 "upgrade_plan": upgrade.key if upgrade else None},
    )


def shown_amount(limit: Limit, value: int | None) -> str:
    """``value`` as people see it: bytes in the largest unit that keeps it readable."""
    if value is None or limit not in BYTE_LIMITS:
        return str(value)
    for unit, size in (("GiB", GIB), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value} bytes"


def _needing(limit: Limit, adding: int) -> str:
    """What the refused request needed, when it is an amount rather than one more."""
    return f" This needs {shown_amount(limit, adding)} more." if limit in BYTE_LIMITS else ""


def has_feature(catalog: PlanCatalog, plan_key: str, feature: Feature,
                flags: Mapping[str, bool] | None = None) -> bool:
    """Whether an organization on ``plan_key`` has ``feature``: an operator's flag for it
    (``Organization.feature_flags``) wins over the plan."""
    if flags is not None and feature.value in flags:
        return flags[feature.value]
    return feature in catalog.get(plan_key).features


def require_feature(catalog: PlanCatalog, plan_key: str, feature: Feature, *,
                    flags: Mapping[str, bool] | None = None) -> Plan:
    """The organization's plan when it has ``feature`` (its plan's, or an operator's flag:
    pass the organization's ``feature_flags``); LimitReached naming the plan that has it
    otherwise."""
    plan = catalog.get(plan_key)
    if has_feature(catalog, plan_key, feature, flags):
        return plan
    if flags is not None and flags.get(feature.value) is False:
        raise LimitReached(f"{feature.value.replace('_', ' ').capitalize()} is turned off "
                           "for this organization; ask the people who run PostFlow.",
                           details={"feature": feature.value, "plan": plan.key,
                                    "upgrade_plan": None})
    upgrade = catalog.with_feature(plan, feature)
    words = feature.value.replace("_", " ")
    lift = f" It comes with the {upgrade.name} plan." if upgrade else ""
    raise LimitReached(f"Your {plan.name} plan does not include {words}.{lift}",
                       details={"feature": feature.value, "plan": plan.key,
                                "upgrade_plan": upgrade.key if upgrade else None})
