"""Slack acknowledgement latency while the publishing pipeline is busy.

A child process runs ``postflow up`` (hub, scheduler and embedded worker on SQLite in a temp dir)
with Slack configured against a fake Slack Web API on loopback (tests/fakes/slack_api.py), and an
organization linked to the fake workspace with a sandbox account and an incoming hook. A second
child runs an aiohttp hello-world. This process is the load generator, open loop at fixed rates:

- background load: signed webhook posts, due now, that the embedded worker publishes to the
  sandbox (``--load-rate`` per second);
- measured: signed ``/postflow list`` slash commands to the hub and GETs to the hello-world,
  both at ``--rate`` per second over the same seconds, so both see the same load.

Prints p50/p99/max for both and a last line
``RESULT chat_ack_p99_ms=... chat_ack_max_ms=... baseline_p99_ms=... over_2500ms=...``.
Target: p99 <= 50 ms and nothing over 2.5 s (Slack's limit is 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import multiprocessing.connection
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import _repo_root  # noqa: F401  (puts the repository root on sys.path)
import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from composition.processes import run_embedded
from composition.runtime import open_runtime
from hub.event_loop import loop_factory
from hub.server import serve
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.config import Settings
from postflow.organizations import ChatIdentity
from postflow.signatures import HEADER, signature_header
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.hooks import create_hook
from postflow.usecases.organizations import change_plan
from tests.fakes.slack_api import FakeSlack

HOST = "127.0.0.1"
SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
OVER_MS = 2500.0


# -- the servers (child processes) -------------------------------------------------------------
async def _postflow(stop: Any, conn: multiprocessing.connection.Connection) -> None:
    fake = FakeSlack()
    slack_server = TestServer(fake.app(), host=HOST)
    await slack_server.start_server()
    fake.base_url = str(slack_server.make_url("")).rstrip("/")
    with tempfile.TemporaryDirectory(prefix="postflow-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", secret_key="bench-secret-key-0123456789",
                            slack_signing_secret=SIGNING_SECRET, slack_bot_token=fake.bot_token,
                            slack_api_url=fake.api_url, http_host=HOST, http_port=0)
        rt = await open_runtime(settings)
        try:
            linked = await link_or_create(rt, "slack", fake.team_id, fake.team_name, WorkspaceOwner(
                ChatIdentity(platform="slack", workspace_id=fake.team_id, user_id="UOWNER")),
                actor="bench")
            org = await change_plan(rt, linked.org.id, "business", actor="bench")
            sandbox = await connect_sandbox(rt, org.id, "bench", actor="bench")
            hook = await create_hook(rt, org.id, "bench", actor="bench")
        finally:
            await rt.store.close()
        stopping = asyncio.Event()

        def ready(url: str) -> None:
            conn.send({"url": url, "hook": f"{url}/v1/hooks/{hook.hook.id}",
                       "secret": hook.secret, "target": sandbox.id, "team": fake.team_id,
                       # late answers go to the fake Slack, as Slack's response_url takes them
                       "responses": fake.response_url("")})

        async def wait_stop() -> None:
            await asyncio.to_thread(stop.wait)
            stopping.set()

        waiter = asyncio.create_task(wait_stop())
        await run_embedded(settings, stopping, on_ready=ready)
        await waiter
        await slack_server.close()
        rt = await open_runtime(settings)
        try:
            posts = await rt.store.list_posts(org.id, limit=1_000_000)
            conn.send({"posts": len(posts), "published": sum(
                p.status.value == "published" for p in posts)})
        finally:
            await rt.store.close()


async def _baseline(stop: Any, conn: multiprocessing.connection.Connection) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"hello": "world"})

    app = web.Application()
    app.router.add_get("/hello", hello)
    served = await serve(app, HOST, 0, access_log=False)
    conn.send({"url": f"http://{HOST}:{served.port}/hello"})
    try:
        await asyncio.to_thread(stop.wait)
    finally:
        await served.stop()


def _server_main(kind: str, stop: Any, conn: multiprocessing.connection.Connection) -> None:
    # On the event loop `postflow up` runs on by default (uvloop where installed).
    with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
        runner.run((_postflow if kind == "postflow" else _baseline)(stop, conn))


# -- the load generator --------------------------------------------------------------------------
def _command(team: str, responses: str, number: int) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"team_id": team, "team_domain": "bench", "channel_id": "C0001",
                      "user_id": "UOWNER", "user_name": "owner", "command": "/postflow",
                      "text": "list", "api_app_id": "A0001",
                      "response_url": f"{responses}{number}",
                      "trigger_id": f"trigger-{number}"})
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:{body}".encode(),
                                 hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


async def _at_rate(rate: float, seconds: float, fire: Any) -> None:
    """Call ``fire(n)`` (a coroutine) ``rate`` times a second for ``seconds``, open loop."""
    started = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(n)))
    await asyncio.gather(*tasks)


async def measure(info: dict[str, Any], baseline_url: str, *, rate: float, load_rate: float,
                  seconds: float, warmup: float) -> dict[str, Any]:
    chat_ms: list[float] = []
    base_ms: list[float] = []
    failures = {"chat": 0, "baseline": 0, "load": 0}
    measuring_from = time.monotonic() + warmup
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def webhook(n: int) -> None:
            body = json.dumps({"text": f"Bench post {n}", "targets": [info["target"]]}).encode()
            headers = {HEADER: signature_header(info["secret"], int(time.time()), body),
                       "Content-Type": "application/json", "Idempotency-Key": f"bench-{n}"}
            async with session.post(info["hook"], data=body, headers=headers) as answer:
                await answer.read()
                if answer.status != 202:
                    failures["load"] += 1

        async def command(n: int) -> None:
            body, headers = _command(info["team"], info["responses"], n)
            started = time.monotonic()
            async with session.post(f"{info['url']}/slack/events", data=body,
                                    headers=headers) as answer:
                await answer.read()
                took = (time.monotonic() - started) * 1000
                if answer.status != 200:
                    failures["chat"] += 1
            if started >= measuring_from:
                chat_ms.append(took)

        async def hello(n: int) -> None:
            started = time.monotonic()
            async with session.get(baseline_url) as answer:
                await answer.read()
                took = (time.monotonic() - started) * 1000
                if answer.status != 200:
                    failures["baseline"] += 1
            if started >= measuring_from:
                base_ms.append(took)

        total = warmup + seconds
        await asyncio.gather(_at_rate(load_rate, total, webhook),
                             _at_rate(rate, total, command), _at_rate(rate, total, hello))
    return {"chat": chat_ms, "baseline": base_ms, "failures": failures}


def _ms(samples: list[float], quantile: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def _start(kind: str, stop: Any) -> tuple[multiprocessing.Process,
                                          multiprocessing.connection.Connection]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_server_main, args=(kind, stop, child), daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise SystemExit(f"the {kind} server did not start")
    return process, parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="slash commands a second")
    parser.add_argument("--load-rate", type=float, default=100.0,
                        help="webhook posts a second, published by the embedded worker")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="10 measured seconds")
    args = parser.parse_args()
    seconds, warmup = (10.0, 2.0) if args.quick else (args.seconds, 3.0)
    ctx_stop = multiprocessing.Event()
    processes = []
    postflow_conn = None
    try:
        postflow, postflow_conn = _start("postflow", ctx_stop)
        processes.append(postflow)
        baseline, baseline_conn = _start("baseline", ctx_stop)
        processes.append(baseline)
        info = postflow_conn.recv()
        baseline_url = baseline_conn.recv()["url"]
        result = asyncio.run(measure(info, baseline_url, rate=args.rate,
                                     load_rate=args.load_rate, seconds=seconds, warmup=warmup))
    finally:
        ctx_stop.set()
        pipeline = (postflow_conn.recv() if postflow_conn is not None
                    and postflow_conn.poll(60) else {})
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    chat, base = result["chat"], result["baseline"]
    over = sum(1 for ms in chat if ms > OVER_MS)
    print(f"load: {args.load_rate:.0f} webhook posts/s published through the embedded worker; "
          f"measured {seconds:.0f} s at {args.rate:.0f}/s; failures {result['failures']}; "
          f"posts published {pipeline.get('published')} of {pipeline.get('posts')}")
    for name, samples in (("chat ack (/postflow list)", chat), ("baseline (hello)", base)):
        print(f"{name:28s} n={len(samples):5d} p50={_ms(samples, 0.5):7.1f} ms "
              f"p99={_ms(samples, 0.99):7.1f} ms max={max(samples, default=float('nan')):7.1f} ms")
    print(f"RESULT chat_ack_p99_ms={_ms(chat, 0.99):.1f} chat_ack_max_ms={max(chat):.1f} "
          f"baseline_p99_ms={_ms(base, 0.99):.1f} over_2500ms={over}")


if __name__ == "__main__":
    main()
