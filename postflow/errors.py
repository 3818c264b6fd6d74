"""The core's error hierarchy; every adapter maps these once (HTTP codes, chat text, retries).

Messages are written for the person who sees them: they never hold a secret, a token or a trace.
"""

from __future__ import annotations

from typing import Any


class PostFlowError(Exception):
    """Base class: ``code`` is a stable machine-readable name, ``details`` extra JSON-safe data."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}


class NotFound(PostFlowError):
    """Raised when a record does not exist, or exists in another organization."""

    code = "not_found"


class Forbidden(PostFlowError):
    """Raised when the caller's role does not allow the action; the message names the role."""

    code = "forbidden"


class OrganizationSuspended(Forbidden):
    """Raised when a suspended organization's hook or API is used; its posts wait meanwhile."""

    code = "organization_suspended"


class Unauthorized(PostFlowError):
    """Raised when a request cannot be authenticated (bad or missing signature)."""

    code = "unauthorized"


class BadInput(PostFlowError):
    """Raised for input that can never succeed as given; ``details`` says what to fix."""

    code = "bad_input"


class Conflict(PostFlowError):
    """Raised when a write lost a race or contradicts an earlier one (stale version, reused key)."""

    code = "conflict"


class InvalidTransition(Conflict):
    """Raised when a post is asked to move to a status its current status cannot reach."""

    code = "invalid_transition"


class LimitReached(PostFlowError):
    """Raised when the organization's plan does not allow more of something."""

    code = "limit_reached"


class ConfigurationError(PostFlowError):
    """Raised at start-up for settings that cannot work together."""

    code = "configuration_error"


class BillingUnavailable(PostFlowError):
    """Raised when billing is not configured, or the payment provider (Stripe) could not be
    reached or refused a call; nothing was changed, trying again later may work."""

    code = "billing_unavailable"
