"""Billing's data and rules: an organization's subscription (:mod:`.state`), what each Stripe
status means for its plan (:mod:`.lifecycle`), the port to the payment provider
(:mod:`.gateway`) and the Stripe events recorded before they are applied (:mod:`.events`). The
use cases over them are in :mod:`postflow.usecases.billing`."""
