"""The text /metrics answers: this process's metrics, or every process's through Prometheus's
multiprocess mode, followed by the values measured at scrape time.

Multiprocess mode: set ``PROMETHEUS_MULTIPROC_DIR`` to one empty directory, the same for the
hub, worker and scheduler processes of a machine, before they start (prometheus-client reads
it at import). Each process writes its metrics there; the hub's /metrics adds them all up.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class ScrapeValues:
    """What the hub measures when it is scraped."""

    #: Messages waiting per queue.
    queue_depths: Mapping[str, int] = field(default_factory=dict)
    #: Seconds since the oldest due post was due (0 when none is overdue); None: unknown.
    scheduler_lag_seconds: float | None = None
    #: Connections by (network, status).
    connections: Mapping[tuple[str, str], int] = field(default_factory=dict)


class _Fixed:
    """A collector that yields families built beforehand."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def scrape_families(values: ScrapeValues) -> list[Metric]:
    depth = GaugeMetricFamily("postflow_queue_depth", "Messages waiting in each queue.",
                              labels=["queue"])
    for queue, count in sorted(values.queue_depths.items()):
        depth.add_metric([queue], count)
    families: list[Metric] = [depth]
    if values.scheduler_lag_seconds is not None:
        families.append(GaugeMetricFamily(
            "postflow_scheduler_lag_seconds", "Now minus the due time of the oldest post "
            "that is due and not handed to a worker (0 when none is).",
            value=values.scheduler_lag_seconds))
    connections = GaugeMetricFamily("postflow_connections", "Connected accounts by network "
                                    "and health (active, needs_reconnect, disconnected).",
                                    labels=["network", "status"])
    for (network, status), count in sorted(values.connections.items()):
        connections.add_metric([network, status], count)
    families.append(connections)
    return families


def render_metrics(values: ScrapeValues) -> bytes:
    """The exposition text (``CONTENT_TYPE``)."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_Fixed(scrape_families(values)))
    return body + generate_latest(scrape)
