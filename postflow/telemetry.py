"""What the core measures, reported through one small port so the core imports no metrics
library: the composition root passes the Prometheus recorder
(``integrations/metrics/recorder.py``); without one, nothing is recorded."""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    def publish_attempt_closed(self, network: str, outcome: str, seconds: float) -> None:
        """A platform call's attempt ended (``published``, ``failed``, ``retry``, ...) after
        ``seconds``."""
        ...

    def publish_retry_scheduled(self, network: str) -> None:
        """A target goes back on the schedule to be tried again."""
        ...


class NoTelemetry:
    """Records nothing (tests, tools)."""

    def publish_attempt_closed(self, network: str, outcome: str, seconds: float) -> None:
        return None

    def publish_retry_scheduled(self, network: str) -> None:
        return None
