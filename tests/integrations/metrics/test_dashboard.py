"""The Grafana dashboard in docs/ reads only metrics PostFlow exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY

from integrations.metrics import registry
from integrations.metrics.exposition import ScrapeValues, scrape_families

DASHBOARD = Path(__file__).parents[3] / "docs" / "grafana-dashboard.json"
SUFFIXES = ("_total", "_bucket", "_count", "_sum")


def exported_names() -> set[str]:
    names = {family.name for family in scrape_families(ScrapeValues(
        scheduler_lag_seconds=0.0))}
    for metric in vars(registry).values():
        if hasattr(metric, "_name") and metric in REGISTRY._collector_to_names:
            names.add(metric._name)
    return names


def test_every_metric_the_dashboard_queries_is_exported() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {name for expr in exprs for name in re.findall(r"\bpostflow_[a-z_]+", expr)}
    exported = exported_names()
    for name in used:
        base = next((name.removesuffix(s) for s in SUFFIXES if name.endswith(s)), name)
        assert base in exported or name in exported, name
    assert len(used) >= 10
