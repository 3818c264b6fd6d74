"""Chat operations shared by the chat adapters (Slack today, Discord next): who the caller is,
what their role allows, and the ``/postflow`` commands as plain reply data.

Nothing here imports a chat SDK; an adapter parses its platform's payload into a
:class:`~postflow.chatops.callers.Caller`, calls in, and renders the reply it gets back.
"""
