"""Email's values and ports: the recorded email, members' addresses and preferences, what a
mail says, the transport, renderer and queue ports, and the signed links mails carry. The use
cases that mail people are in :mod:`postflow.mailing`."""
