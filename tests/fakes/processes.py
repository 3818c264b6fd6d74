"""PostFlow's long-running parts as the tests run them: ``postflow worker`` as a child process
and the scheduler as a task on the test's loop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from postflow.config import Settings
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from workers.dramatiq_queue import DramatiqPublishQueue
from workers.leader import RedisLeaderLock
from workers.scheduler import Scheduler

REPO_ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a worker that shares ``settings``' data and Redis: the test's own
    ``POSTFLOW_*`` variables are dropped (``POSTFLOW_TEST_*`` kept), ``extra`` added."""
    redis_url = settings.redis_url
    assert redis_url is not None, "a worker process needs Redis to share jobs with the test"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("POSTFLOW_") or name.startswith("POSTFLOW_TEST_")}
    env.update({
        "POSTFLOW_DATA_DIR": str(settings.data_dir),
        "POSTFLOW_SECRET_KEY": TEST_SECRET_KEY,
        "POSTFLOW_REDIS_URL": redis_url.get_secret_value(),
        "POSTFLOW_PUBLIC_URL": str(settings.public_url),
        "POSTFLOW_WORKER_THREADS": str(settings.worker_threads),
        **extra,
    })
    return env


@dataclass
class WorkerProcess:
    """``postflow worker`` as a child process, its output appended to ``log_path``."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "postflow.cli.main", "worker"], cwd=REPO_ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, as an operator stops it; SIGKILL if it has not exited within 15 s."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL: no shutdown, no requeue, no ack — what a crash or the OOM killer does."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class SchedulerTask:
    """What ``postflow scheduler`` runs, as a task on the test's loop, started when asked."""

    rt: Runtime
    redis_url: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    leader: RedisLeaderLock | None = None

    def start(self) -> None:
        self.leader = RedisLeaderLock(self.redis_url)
        self.task = asyncio.create_task(
            Scheduler(self.rt, DramatiqPublishQueue(), self.leader).run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=10)
        if self.leader is not None:
            await self.leader.close()
