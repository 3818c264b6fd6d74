"""The core's measurements reach the Prometheus metrics: publish outcomes, durations, retries;
and the counters adapters increment (chat, email)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from integrations.metrics.exposition import ScrapeValues, render_metrics
from integrations.metrics.recorder import (
    PrometheusTelemetry,
    record_chat_delivery,
    record_email_delivery,
)
from postflow.runtime import Runtime
from postflow.usecases.dispatch import claim_post
from postflow.usecases.publish_post import PostPublisher
from tests.workers.scenario import due_post, sandbox_account


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_published_post_moves_publish_total_and_its_duration(rt: Runtime) -> None:
    assert isinstance(rt.telemetry, PrometheusTelemetry)  # what the composition root passes
    published_before = sample("postflow_publish_total", network="sandbox", outcome="published")
    timed_before = sample("postflow_publish_duration_seconds_count", network="sandbox")
    account = await sandbox_account(rt)
    claimed = await claim_post(rt, await due_post(rt, account))
    assert claimed is not None

    await PostPublisher(rt).run(claimed.org_id, claimed.id, expected_version=claimed.version,
                                trigger="test")

    assert sample("postflow_publish_total", network="sandbox",
                  outcome="published") == published_before + 1
    assert sample("postflow_publish_duration_seconds_count",
                  network="sandbox") == timed_before + 1


def test_a_scheduled_retry_is_counted() -> None:
    before = sample("postflow_publish_retries_total", network="x")
    PrometheusTelemetry().publish_retry_scheduled("x")
    assert sample("postflow_publish_retries_total", network="x") == before + 1


def test_chat_429s_are_counted_by_platform() -> None:
    before = sample("postflow_chat_deliveries_total", platform="slack", outcome="rate_limited")
    record_chat_delivery("slack", "rate_limited")
    assert sample("postflow_chat_deliveries_total", platform="slack",
                  outcome="rate_limited") == before + 1


def test_email_deliveries_are_counted_by_outcome() -> None:
    before = sample("postflow_email_deliveries_total", outcome="sent")
    record_email_delivery("sent")
    assert sample("postflow_email_deliveries_total", outcome="sent") == before + 1


def test_multiprocess_mode_adds_up_the_files_of_every_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two processes (as a worker and a scheduler would be) count into one directory.
    script = ("from integrations.metrics.recorder import PrometheusTelemetry\n"
              "PrometheusTelemetry().publish_attempt_closed('x', 'published', 0.5)\n")
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], check=True, cwd=Path.cwd(),  # noqa: S603
                       env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
                            "PYTHONPATH": str(Path.cwd())})
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    text = render_metrics(ScrapeValues()).decode()
    assert 'postflow_publish_total{network="x",outcome="published"} 2.0' in text
