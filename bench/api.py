"""REST API throughput: authenticated ``POST /v1/posts`` and ``GET /v1/posts?limit=50`` through
the real hub, against an aiohttp hello-world measured in the same run.

Each server runs in its own process on 127.0.0.1 (the event loop `postflow hub` uses); this
process is the load generator. Four measurements per server kind:

1. creates at full speed (N concurrent clients, each request with a bearer key);
2. lists of 50 at full speed (the hub holds a few hundred posts by then);
3. creates, then lists, paced open-loop at half the rate measured in 1 and 2: the latency of
   each request counts from when it was due to be sent, so a stall is not hidden by waiting.

The hub runs on SQLite in a temp dir with a plan without a monthly limit; posts are scheduled a
day ahead, so nothing publishes. The baseline answers the same methods with a small JSON body.

    .venv/bin/python bench/api.py [--seconds 8] [--concurrency 32] [--quick]

The last line is ``RESULT create_rps=... list_rps=... create_ratio=... list_ratio=...
p99_ms=... baseline_create_rps=... baseline_list_rps=...``; ``p99_ms`` is the higher of the two
paced runs' p99. Each run also prints the server's CPU time per request (from /proc), which
other work on the machine does not inflate the way it does rates and latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import multiprocessing.connection
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from ingest import BENCH_PLANS, HOST, CountingQueue, Tally, _ms, _no_broker, _serve_until

from composition.hub import build_hub
from composition.runtime import open_runtime
from hub.event_loop import loop_factory
from postflow.api_keys import ApiScope
from postflow.config import Settings
from postflow.posts import Post, PostSource, PostStatus, PostTarget
from postflow.usecases.api_keys import create_api_key
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import create_organization
from workers.heap import settle_heap

#: Posts in the hub before the load starts, so every list page is full from the first request.
SEED_POSTS = 200
LIST_LIMIT = 50
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: Connections of a paced run (more requests wait for one, their wait counted): opening a
#: connection per late request would make the load generator the bottleneck.
PACED_CEILING = 64


@dataclass(frozen=True)
class Endpoints:
    create_url: str
    list_url: str
    token: str
    target: str


# -- servers (each in its own process) ----------------------------------------------------------
async def _baseline(stop: Any, conn: multiprocessing.connection.Connection) -> None:
    async def hello(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"hello": "world"},
                                 status=201 if request.method == "POST" else 200)

    app = web.Application()
    app.router.add_post("/hello", hello)
    app.router.add_get("/hello", hello)
    await _serve_until(app, stop, lambda port: conn.send({
        "create_url": f"http://{HOST}:{port}/hello", "list_url": f"http://{HOST}:{port}/hello",
        "token": "none", "target": "none"}))


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
            key = await create_api_key(rt, org.id, "bench", [ApiScope.POSTS_READ,
                                                             ApiScope.POSTS_WRITE],
                                       actor="bench")
            now = rt.clock.now()
            for i in range(SEED_POSTS):
                await rt.store.insert_post(Post(
                    id=f"post_seed{i:05d}", org_id=org.id, text=f"Seed post {i}",
                    targets=[PostTarget(connection_id=sandbox.id, network=sandbox.network)],
                    status=PostStatus.SCHEDULED, scheduled_at=now + timedelta(days=1),
                    due_at=now + timedelta(days=1), source=PostSource(kind="bench"),
                    created_at=now, updated_at=now))
            queue = CountingQueue()
            app = build_hub(rt, queue, _no_broker)
            settle_heap()  # as `postflow hub` does once started
            await _serve_until(app, stop, lambda port: conn.send({
                "create_url": f"http://{HOST}:{port}/v1/posts",
                "list_url": f"http://{HOST}:{port}/v1/posts?limit={LIST_LIMIT}",
                "token": key.token, "target": sandbox.id}))
            conn.send({"posts": len(await rt.store.list_posts(org.id, limit=1_000_000))})
        finally:
            await rt.store.close()


def _server_main(kind: str, stop: Any, conn: multiprocessing.connection.Connection) -> None:
    with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
        runner.run((_hub if kind == "hub" else _baseline)(stop, conn))


# -- load ------------------------------------------------------------------------------------------
def _body(endpoints: Endpoints) -> bytes:
    schedule_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return json.dumps({"text": "Benchmark post: release notes for version 1.2.3 are out.",
                       "targets": [endpoints.target], "schedule_at": schedule_at}).encode()


async def _request(session: aiohttp.ClientSession, endpoints: Endpoints, create: bool,
                   body: bytes, tally: Tally, since: float, counted: bool) -> None:
    headers = {"Authorization": f"Bearer {endpoints.token}"}
    if create:
        headers["Content-Type"] = "application/json"
        call = session.post(endpoints.create_url, data=body, headers=headers)
    else:
        call = session.get(endpoints.list_url, headers=headers)
    async with call as response:
        await response.read()
        ok = response.status == (201 if create else 200)
        if not ok and not tally.first_failure:
            tally.first_failure = f"{response.status} {(await response.text())[:300]}"
    if counted:
        if ok:
            tally.latencies.append(time.perf_counter() - since)
        else:
            tally.failures += 1


async def full_speed(endpoints: Endpoints, create: bool, *, seconds: float, warmup: float,
                     concurrency: int) -> Tally:
    """As many requests as ``concurrency`` clients get through in ``seconds``."""
    tally = Tally()
    body = _body(endpoints)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        measure_from = time.perf_counter() + warmup
        deadline = measure_from + seconds

        async def worker() -> None:
            while (start := time.perf_counter()) < deadline:
                await _request(s, endpoints, create, body, tally, start, start >= measure_from)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


async def paced(endpoints: Endpoints, create: bool, *, rate: float, seconds: float) -> Tally:
    """Requests sent open-loop at ``rate`` a second; latency from each one's due time."""
    tally = Tally()
    body = _body(endpoints)
    total = max(int(rate * seconds), 1)
    async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=PACED_CEILING)) as session:
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(
                _request(session, endpoints, create, body, tally, due, True)))
        await asyncio.gather(*tasks)
    return tally


def _cpu_seconds(pid: int) -> float:
    """The server's CPU time so far (user + system), from /proc; 0 where there is none."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _report(name: str, tally: Tally, seconds: float, cpu: float) -> float:
    """Print a run's figures; ``cpu``: the server's CPU seconds over the whole run (warm-up
    included), so CPU per request holds on a machine other work slows down."""
    rate = len(tally.latencies) / seconds
    served = len(tally.latencies) + tally.failures
    per_request = cpu / served * 1000 if served else float("nan")
    print(f"{name}: {rate:.0f}/s ok, {tally.failures} failed, p50 {_ms(tally.latencies, 0.5):.1f}"
          f" ms, p99 {_ms(tally.latencies, 0.99):.1f} ms, server CPU ~{per_request:.2f} ms a "
          "request", flush=True)
    if tally.first_failure:
        print(f"{name}: first failure: {tally.first_failure}", flush=True)
    return rate


def _measure(kind: str, args: argparse.Namespace) -> dict[str, float]:
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    parent, child = spawn.Pipe()
    server = spawn.Process(target=_server_main, args=(kind, stop, child), name=f"bench-{kind}")
    server.start()
    results: dict[str, float] = {}
    try:
        if not parent.poll(60):
            raise RuntimeError(f"the {kind} server did not start within 60 s")
        endpoints = Endpoints(**parent.recv())
        for create, name in ((True, "create"), (False, "list")):
            cpu = _cpu_seconds(server.pid or 0)
            tally = asyncio.run(full_speed(endpoints, create, seconds=args.seconds,
                                           warmup=args.warmup, concurrency=args.concurrency))
            results[name] = _report(f"{kind} {name}", tally, args.seconds,
                                    _cpu_seconds(server.pid or 0) - cpu)
        if kind == "hub":
            for create, name in ((True, "create"), (False, "list")):
                rate = results[name] / 2
                cpu = _cpu_seconds(server.pid or 0)
                tally = asyncio.run(paced(endpoints, create, rate=rate, seconds=args.seconds))
                _report(f"{kind} {name} paced at {rate:.0f}/s", tally, args.seconds,
                        _cpu_seconds(server.pid or 0) - cpu)
                results[f"{name}_p99"] = _ms(tally.latencies, 0.99)
    finally:
        stop.set()
        server.join(30)
        if server.is_alive():
            server.terminate()
            server.join()
    if parent.poll(0):
        print(f"{kind}: server stored {parent.recv()['posts']} posts", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured time first")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true",
                        help="a shorter run for `make bench`: 3 s measured, 1 s warm-up")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.warmup = 3.0, 1.0
    baseline = _measure("baseline", args)
    hub = _measure("hub", args)
    create_ratio = hub["create"] / baseline["create"] if baseline["create"] else 0.0
    list_ratio = hub["list"] / baseline["list"] if baseline["list"] else 0.0
    p99 = max(hub["create_p99"], hub["list_p99"])
    print(f"RESULT create_rps={hub['create']:.1f} list_rps={hub['list']:.1f} "
          f"create_ratio={create_ratio:.3f} list_ratio={list_ratio:.3f} p99_ms={p99:.2f} "
          f"baseline_create_rps={baseline['create']:.1f} "
          f"baseline_list_rps={baseline['list']:.1f}", flush=True)


if __name__ == "__main__":
    main()
