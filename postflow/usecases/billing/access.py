"""The payment provider of a runtime, or a clear refusal when billing is not configured."""

from __future__ import annotations

from postflow.billing.gateway import BillingGateway
from postflow.errors import BillingUnavailable
from postflow.runtime import Runtime


def gateway(rt: Runtime) -> BillingGateway:
    if rt.billing is None:
        raise BillingUnavailable("Billing is not set up on this PostFlow "
                                 "(POSTFLOW_STRIPE_SECRET_KEY is not set).")
    return rt.billing
