"""The store port and its backends; :func:`open_store` picks one from the settings."""

from postflow.store.port import Store

__all__ = ["Store"]
