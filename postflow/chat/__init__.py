"""The chat port: a message model no platform owns, how a platform delivers it, and where the
core hands it (the outbox). Each chat adapter (``bot/slack``, later ``bot/discord``) renders the
neutral card itself and implements :class:`~postflow.chat.delivery.ChatDelivery`."""
