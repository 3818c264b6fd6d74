from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env
from tests.conftest import TEST_SECRET_KEY

START_DEADLINE_SECONDS = 30.0
STOP_DEADLINE_SECONDS = 45.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _healthz_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URL
            status: int = response.status
            return status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def test_up_serves_healthz_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "POSTFLOW_DATA_DIR": str(tmp_path / "var"),
           "POSTFLOW_SECRET_KEY": TEST_SECRET_KEY, "POSTFLOW_HTTP_PORT": str(port)}
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "cli.main", "up"],
                                   env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while _healthz_status(f"http://127.0.0.1:{port}/healthz") != 200:
            assert process.poll() is None, f"postflow up exited early:\n{err_path.read_text()}"
            assert time.monotonic() < deadline, "postflow up did not answer /healthz in time"
            time.sleep(0.1)

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=STOP_DEADLINE_SECONDS) == 0, err_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    printed = out_path.read_text()
    assert f"PostFlow is running at http://127.0.0.1:{port}" in printed
    assert str((tmp_path / "var").resolve()) in printed
    assert "postflow org create" in printed


SLOW_SHUTDOWN = """
import asyncio, sys
from cli.serve import _until_signalled

async def serve(stop):
    print("ready", flush=True)
    await stop.wait()
    print("stopping", flush=True)
    await asyncio.sleep(60)  # a clean shutdown still waiting on a job

asyncio.run(_until_signalled(serve))
"""


def test_a_second_signal_stops_at_once_while_the_first_one_still_shuts_down() -> None:
    """"Send it again to force": the second SIGINT ends the process (exit 130) though the
    clean shutdown the first one began has not finished."""
    process = subprocess.Popen(  # noqa: S603 - this Python and a fixed script
        [sys.executable, "-c", SLOW_SHUTDOWN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"  # the signal handlers are in place
        process.send_signal(signal.SIGINT)
        assert process.stdout.readline().strip() == "stopping"
        assert process.poll() is None  # still shutting down

        process.send_signal(signal.SIGINT)

        assert process.wait(timeout=10) == 128 + signal.SIGINT
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("command", ["hub", "worker", "scheduler"])
def test_scale_out_process_without_redis_exits_2(command: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")

    result = run_cli(capsys, command)

    assert result.code == 2
    assert "POSTFLOW_REDIS_URL" in result.err
    assert "postflow up" in result.err


@pytest.mark.parametrize(("setting", "expected"), [("auto", "uvloop"), ("asyncio", "asyncio")])
def test_up_and_hub_run_on_the_configured_event_loop(
        setting: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import composition.processes

    use_cli_env(monkeypatch, tmp_path / "var")
    monkeypatch.setenv("POSTFLOW_EVENT_LOOP", setting)
    monkeypatch.setenv("POSTFLOW_REDIS_URL", "redis://127.0.0.1:6379/0")  # `hub` needs one
    loops: list[str] = []

    async def record_loop(*args: object, **kwargs: object) -> None:
        loops.append(type(asyncio.get_running_loop()).__module__.split(".")[0])

    monkeypatch.setattr(composition.processes, "run_embedded", record_loop)
    monkeypatch.setattr(composition.processes, "run_hub", record_loop)

    assert run_cli(capsys, "up").code == 0
    assert run_cli(capsys, "hub").code == 0

    assert loops == [expected, expected]
