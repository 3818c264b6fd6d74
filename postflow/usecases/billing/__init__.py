"""Billing's use cases: applying Stripe's subscriptions (events recorded, then applied), what
follows from a plan change (accounts paused, posts held), the Owners' actions on the page, the
connected-accounts add-on, and the scheduler's grace pass. The data and rules they work with
are in :mod:`postflow.billing`."""
