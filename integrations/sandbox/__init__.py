"""The sandbox network: publishes into PostFlow's own store, to try PostFlow without accounts."""

from integrations.sandbox.provider import SandboxProvider

__all__ = ["SandboxProvider"]
