"""Hook ingest throughput: the real hub against an aiohttp hello-world, measured in one run.

Each server runs in its own process on 127.0.0.1, on the event loop `postflow hub` runs on by
default (uvloop where installed); this process is the load generator: N
concurrent workers send signed POSTs (each freshly signed) for a fixed time. Hook posts are
scheduled a day ahead, so nothing is published. The hub runs on SQLite in a temp dir with a
plan that has no monthly limit.

    .venv/bin/python bench/ingest.py [--seconds 10] [--concurrency 32]

The last line is ``RESULT ingest_rps=... baseline_rps=... ratio=... p99_ms=... p50_ms=...``;
latencies are the hub's.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import multiprocessing.connection
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from composition.hub import build_hub
from composition.runtime import open_runtime
from hub.event_loop import loop_factory
from hub.server import serve
from postflow.config import Settings
from postflow.signatures import HEADER, signature_header
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import create_organization
from workers.heap import settle_heap

HOST = "127.0.0.1"
BENCH_PLANS = """\
default = "bench"

[[plans]]
key = "bench"
name = "Bench"
features = ["incoming_hooks"]

[plans.limits]
"""


#: Numbers the requests, so no two bodies (hence signatures) are the same.
SEQUENCE = itertools.count()


@dataclass(frozen=True)
class Target:
    """Where the load goes and how to sign it."""

    url: str
    secret: str
    body: bytes


# -- servers (each in its own process) ----------------------------------------------------------
class CountingQueue:
    """A PublishQueue that only counts: the bench measures ingest, not publishing."""

    def __init__(self) -> None:
        self.published = 0

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        self.published += 1

    async def enqueue_canary(self) -> None:
        return None


async def _no_broker() -> None:
    return None


async def _serve_until(app: web.Application, stop: Any, announce: Callable[[int], None]) -> None:
    served = await serve(app, HOST, 0, access_log=False)
    announce(served.port)
    try:
        await asyncio.to_thread(stop.wait)
    finally:
        await served.stop()


async def _baseline(stop: Any, conn: multiprocessing.connection.Connection) -> None:
    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"hello": "world"}, status=202)

    app = web.Application()
    app.router.add_post("/hello", hello)
    await _serve_until(app, stop, lambda port: conn.send({"url": f"http://{HOST}:{port}/hello"}))


async def _hub(stop: Any, conn: multiprocessing.connection.Connection) -> None:
    with tempfile.TemporaryDirectory(prefix="postflow-bench-") as tmp:
        plans = Path(tmp) / "plans.toml"
        plans.write_text(BENCH_PLANS, encoding="utf-8")
        settings = Settings(data_dir=Path(tmp) / "var", plans_file=plans,
                            secret_key="bench-secret-key-0123456789")
        rt = await open_runtime(settings, read_cache=True)  # as `postflow hub` builds it
        try:
            org = await create_organization(rt, "Bench", actor="bench")
            sandbox = await connect_sandbox(rt, org.id, "bench", actor="bench")
            hook = await create_hook(rt, org.id, "bench", actor="bench")
            queue = CountingQueue()
            app = build_hub(rt, queue, _no_broker)
            settle_heap()  # as `postflow hub` does once started (composition/processes.py)
            await _serve_until(app, stop, lambda port: conn.send({
                "url": f"http://{HOST}:{port}/v1/hooks/{hook.hook.id}", "secret": hook.secret,
                "target": sandbox.id}))
            posts = len(await rt.store.list_posts(org.id, limit=1_000_000))
            conn.send({"posts": posts, "published": queue.published})
        finally:
            await rt.store.close()


def _server_main(kind: str, stop: Any, conn: multiprocessing.connection.Connection) -> None:
    # Both servers run on the event loop `postflow hub` runs on by default (uvloop where
    # installed), so the loop is not what the ratio measures.
    with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
        runner.run((_hub if kind == "hub" else _baseline)(stop, conn))


# -- load generator ------------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    first_failure: str = ""


async def _worker(session: aiohttp.ClientSession, target: Target, deadline: float,
                  measure_from: float, tally: Tally) -> None:
    while (start := time.perf_counter()) < deadline:
        # Each request its own body: the same signed bytes twice are a replay the hub refuses.
        body = target.body.replace(b"SEQUENCE", str(next(SEQUENCE)).encode())
        headers = {HEADER: signature_header(target.secret, int(time.time()), body),
                   "Content-Type": "application/json"}
        async with session.post(target.url, data=body, headers=headers) as response:
            await response.read()
            ok = response.status == 202
            if not ok and not tally.first_failure:
                tally.first_failure = f"{response.status} {(await response.text())[:300]}"
        if start >= measure_from:
            if ok:
                tally.latencies.append(time.perf_counter() - start)
            else:
                tally.failures += 1


async def _progress(name: str, tally: Tally, measure_from: float, deadline: float) -> None:
    while (now := time.perf_counter()) < deadline:
        await asyncio.sleep(1.0)
        if now >= measure_from:
            elapsed = time.perf_counter() - measure_from
            print(f"{name}: {elapsed:4.1f}s {len(tally.latencies)} ok "
                  f"{tally.failures} failed ({len(tally.latencies) / elapsed:.0f}/s)", flush=True)


async def load(name: str, target: Target, *, seconds: float, warmup: float,
               concurrency: int) -> Tally:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        measure_from = time.perf_counter() + warmup
        deadline = measure_from + seconds
        await asyncio.gather(
            _progress(name, tally, measure_from, deadline),
            *(_worker(session, target, deadline, measure_from, tally)
              for _ in range(concurrency)))
    if tally.first_failure:
        print(f"{name}: first failure: {tally.first_failure}", flush=True)
    return tally


def _run_against(kind: str, body: bytes, *, seconds: float, warmup: float,
                 concurrency: int) -> tuple[Tally, dict[str, Any]]:
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    parent, child = spawn.Pipe()
    server = spawn.Process(target=_server_main, args=(kind, stop, child), name=f"bench-{kind}")
    server.start()
    try:
        if not parent.poll(60):
            raise RuntimeError(f"the {kind} server did not start within 60 s")
        info = parent.recv()
        target = Target(url=info["url"], secret=info.get("secret", "unused"),
                        body=body.replace(b"TARGET", info.get("target", "none").encode()))
        tally = asyncio.run(load(kind, target, seconds=seconds, warmup=warmup,
                                 concurrency=concurrency))
    finally:
        stop.set()
        server.join(30)
        if server.is_alive():
            server.terminate()
            server.join()
    summary = parent.recv() if parent.poll(0) else {}
    return tally, summary


def _ms(samples: list[float], quantile: float) -> float:
    if len(samples) < 2:
        return float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[round(quantile * 100) - 1] \
        * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per server")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time first")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true",
                        help="a shorter run for `make bench`: 4 s measured, 1 s warm-up")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 4.0, 1.0

    schedule_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    body = json.dumps({"text": "Benchmark post SEQUENCE: release notes for version 1.2.3 are out.",
                       "targets": ["TARGET"], "schedule_at": schedule_at}).encode()
    runs: dict[str, float] = {}
    latencies: list[float] = []
    for kind in ("baseline", "hub"):
        print(f"{kind}: {args.concurrency} workers, {args.warmup:g}s warm-up, "
              f"{args.seconds:g}s measured", flush=True)
        tally, summary = _run_against(kind, body, seconds=args.seconds, warmup=args.warmup,
                                      concurrency=args.concurrency)
        runs[kind] = len(tally.latencies) / args.seconds
        if summary:
            print(f"{kind}: server stored {summary['posts']} posts, "
                  f"enqueued {summary['published']}", flush=True)
        if kind == "hub":
            latencies = tally.latencies
    ratio = runs["hub"] / runs["baseline"] if runs["baseline"] else 0.0
    print(f"RESULT ingest_rps={runs['hub']:.1f} baseline_rps={runs['baseline']:.1f} "
          f"ratio={ratio:.3f} p99_ms={_ms(latencies, 0.99):.2f} "
          f"p50_ms={_ms(latencies, 0.50):.2f}", flush=True)


if __name__ == "__main__":
    main()
