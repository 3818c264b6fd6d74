"""Stripe behind the billing port (:class:`postflow.billing.gateway.BillingGateway`): the
client (:mod:`.gateway`), Stripe's objects read into plain data (:mod:`.objects`), and
verified webhook events read into records (:mod:`.webhook_events`)."""
