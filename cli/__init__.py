"""The ``postflow`` command line: one module per command group, printing through ``output``."""
