"""The composition root: the one place per process that picks the concrete store, providers,
media backends, chat adapters and broker from the settings and builds the runtime from them.

The processes (``postflow up``, ``hub``, ``worker``, ``scheduler``) and the CLI's one-off
commands all build theirs here, once, with every part passed in at construction.
"""
