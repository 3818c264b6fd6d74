"""Every finished job is counted by queue and outcome, by middleware, for every actor."""

from __future__ import annotations

import dramatiq
from prometheus_client import REGISTRY

from postflow.runtime import Runtime
from tests.workers.conftest import RunningWorker
from tests.workers.scenario import eventually
from workers.job_metrics import job_outcome


def jobs(queue: str, outcome: str) -> float:
    return REGISTRY.get_sample_value("postflow_jobs_total",
                                     {"queue": queue, "outcome": outcome}) or 0.0


async def test_a_consumed_canary_counts_as_a_done_job(rt: Runtime,
                                                      running_worker: RunningWorker) -> None:
    before = jobs("canary", "done")
    await running_worker.queue.enqueue_canary()

    async def counted() -> bool | None:
        return True if jobs("canary", "done") == before + 1 else None

    await eventually(counted, what="the canary job being counted")
    assert jobs("canary", "done") == before + 1


def test_outcomes_name_a_retry_apart_from_a_failure() -> None:
    assert job_outcome(None) == "done"
    assert job_outcome(dramatiq.Retry("slow down", delay=1000)) == "retry"
    assert job_outcome(ConnectionError("db down")) == "failed"
