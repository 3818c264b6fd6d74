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
from workers.dramatiq_queue import DramatiqPublishQueue
from workers.leader import RedisLeaderLock
from workers.scheduler import Scheduler

REPO_ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a worker that shares ``settings``' data and Redis: the test's own
    ``POSTFLOW_*`` variables are dropped (``POSTFLOW_TEST_*`` kept), ``extra`` added."""
    redis_url = settings.redis_url
    assert redis_url is not None, "a worker process needs Redis to share jobs with the test"
    assert settings.secret_key is not None, "a worker process must open the test's tokens"
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("POSTFLOW_") or name.startswith("POSTFLOW_TEST_")}
    env.update({
        "POSTFLOW_DATA_DIR": str(settings.data_dir),
        "POSTFLOW_SECRET_KEY": settings.secret_key.get_secret_value(),
        "POSTFLOW_REDIS_URL": redis_url.get_secret_value(),
        "POSTFLOW_PUBLIC_URL": str(settings.public_url),
        **({} if settings.worker_threads is None
           else {"POSTFLOW_WORKER_THREADS": str(settings.worker_threads)}),
        **extra,
    })
    return env


@dataclass
class WorkerProcess:
    """``postflow <command>`` (by default ``worker``) as a child process, its output appended
    to ``log_path``; the tests' and the benchmarks' one launcher."""

    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    command: str = "worker"
    #: How long ``stop`` waits after SIGTERM before SIGKILL.
    stop_timeout: float = 15.0

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - argv: this Python and a postflow command
                [sys.executable, "-m", "cli.main", self.command], cwd=REPO_ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, as an operator stops it; SIGKILL if it has not exited within
        ``stop_timeout``."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
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
