"""PostFlow's domain core: models, use cases, the store port, configuration and the CLI.

Nothing in this package imports a web, chat or job framework: adapters (``hub``, ``bot``,
``workers``, ``integrations``) call into it.
"""

__version__ = "0.1.0"
