"""Discord interaction answers through the hub's HTTP endpoint while the pipeline is busy.

A child process runs ``postflow up`` (hub, scheduler and embedded worker on SQLite in a temp dir)
with ``POSTFLOW_DISCORD_PUBLIC_KEY`` set, so the hub serves ``POST /discord/interactions``, and a
Discord server linked to an organization with a sandbox account and an incoming hook. A second
child runs an aiohttp hello-world. This process is the load generator:

- background load: signed webhook posts, due now, that the embedded worker publishes to the
  sandbox (``--load-rate`` per second), for the whole run;
- ack time, open loop: signed interactions, half ``/postflow list`` commands and half
  autocompletes of the ``account`` option, at ``--rate`` per second, each freshly signed with
  an Ed25519 key made here (Discord's signature over timestamp + body), and GETs to the
  hello-world at the same rate over the same seconds;
- answers per second, closed loop: ``--concurrency`` clients sending interactions back to back
  for ``--throughput-seconds``, then the same against the hello-world.

Prints p50/p99/max and answers per second for both and a last line
``RESULT ack_p99_ms=... ack_max_ms=... over_3s=... interactions_per_s=... baseline_per_s=...
ratio=...`` (ratio: interactions answered per second / hello-world answers per second).
Target: p99 <= 50 ms and none over 3 s (Discord's limit).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import multiprocessing.connection
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

import _repo_root  # noqa: F401  (puts the repository root on sys.path)
import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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

HOST = "127.0.0.1"
GUILD_ID = "81384788765712384"
OWNER_ID = "80351110224678912"
OVER_MS = 3000.0


# -- the servers (child processes) -------------------------------------------------------------
async def _postflow(stop: Any, conn: multiprocessing.connection.Connection,
                    public_key: str) -> None:
    with tempfile.TemporaryDirectory(prefix="postflow-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", secret_key="bench-secret-key-0123456789",
                            discord_public_key=public_key, http_host=HOST, http_port=0)
        rt = await open_runtime(settings)
        try:
            linked = await link_or_create(rt, "discord", GUILD_ID, "Bench server", WorkspaceOwner(
                ChatIdentity(platform="discord", workspace_id=GUILD_ID, user_id=OWNER_ID)),
                actor="bench")
            org = await change_plan(rt, linked.org.id, "business", actor="bench")
            sandbox = await connect_sandbox(rt, org.id, "bench", actor="bench")
            hook = await create_hook(rt, org.id, "bench", actor="bench")
        finally:
            await rt.store.close()
        stopping = asyncio.Event()

        def ready(url: str) -> None:
            conn.send({"url": url, "hook": f"{url}/v1/hooks/{hook.hook.id}",
                       "secret": hook.secret, "target": sandbox.id})

        async def wait_stop() -> None:
            await asyncio.to_thread(stop.wait)
            stopping.set()

        waiter = asyncio.create_task(wait_stop())
        await run_embedded(settings, stopping, on_ready=ready)
        await waiter
        rt = await open_runtime(settings)
        try:
            posts = await rt.store.list_posts(org.id, limit=1_000_000)
            conn.send({"posts": len(posts), "published": sum(
                p.status.value == "published" for p in posts)})
        finally:
            await rt.store.close()


async def _baseline(stop: Any, conn: multiprocessing.connection.Connection,
                    public_key: str) -> None:
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


def _server_main(kind: str, stop: Any, conn: multiprocessing.connection.Connection,
                 public_key: str) -> None:
    # On the event loop `postflow up` runs on by default (uvloop where installed).
    with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
        runner.run((_postflow if kind == "postflow" else _baseline)(stop, conn, public_key))


# -- the load generator --------------------------------------------------------------------------
def _interaction(number: int) -> dict[str, Any]:
    """Even numbers: ``/postflow list``; odd: an autocomplete of ``/postflow queue account``."""
    user = {"id": OWNER_ID, "username": "owner", "global_name": "Owner"}
    kind, option = (2, {"type": 1, "name": "list", "options": []}) if number % 2 == 0 else (
        4, {"type": 1, "name": "queue", "options": [
            {"type": 3, "name": "account", "value": "ben", "focused": True}]})
    return {"id": str(10**17 + number), "application_id": "2", "type": kind,
            "token": f"bench-token-{number}", "version": 1, "channel_id": "41771983423143937",
            "guild_id": GUILD_ID, "member": {"user": user, "nick": None, "roles": []},
            "data": {"id": "3", "name": "postflow", "type": 1, "options": [option]}}


def _signed(key: Ed25519PrivateKey, number: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(_interaction(number)).encode()
    timestamp = str(int(time.time()))
    signature = key.sign(timestamp.encode() + body).hex()
    return body, {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp,
                  "Content-Type": "application/json"}


async def _at_rate(rate: float, seconds: float,
                   fire: Callable[[int], Coroutine[Any, Any, None]]) -> None:
    """Call ``fire(n)`` ``rate`` times a second for ``seconds``, open loop."""
    started = time.monotonic()
    tasks: list[asyncio.Task[None]] = []
    for n in range(int(rate * seconds)):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(n)))
    await asyncio.gather(*tasks)


async def _closed_loop(concurrency: int, seconds: float,
                       fire: Callable[[int], Awaitable[None]]) -> float:
    """Answers per second with ``concurrency`` clients sending back to back for ``seconds``."""
    numbers = itertools.count(1_000_000)
    done = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done
        while time.monotonic() < deadline:
            await fire(next(numbers))
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (time.monotonic() - started)


async def measure(info: dict[str, Any], baseline_url: str, key: Ed25519PrivateKey, *,
                  rate: float, load_rate: float, seconds: float, warmup: float,
                  concurrency: int, throughput_seconds: float) -> dict[str, Any]:
    ack_ms: list[float] = []
    base_ms: list[float] = []
    failures = {"discord": 0, "baseline": 0, "load": 0}
    measuring_from = time.monotonic() + warmup
    endpoint = f"{info['url']}/discord/interactions"
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

        async def interaction(n: int) -> float:
            body, headers = _signed(key, n)
            started = time.monotonic()
            async with session.post(endpoint, data=body, headers=headers) as answer:
                await answer.read()
                if answer.status != 200:
                    failures["discord"] += 1
            return started

        async def timed_interaction(n: int) -> None:
            started = await interaction(n)
            if started >= measuring_from:
                ack_ms.append((time.monotonic() - started) * 1000)

        async def hello(n: int) -> None:
            started = time.monotonic()
            async with session.get(baseline_url) as answer:
                await answer.read()
                if answer.status != 200:
                    failures["baseline"] += 1
            if started >= measuring_from:
                base_ms.append((time.monotonic() - started) * 1000)

        async def untimed_interaction(n: int) -> None:
            await interaction(n)

        async def untimed_hello(n: int) -> None:
            async with session.get(baseline_url) as answer:
                await answer.read()

        total = warmup + seconds + 2 * throughput_seconds + 1
        load = asyncio.create_task(_at_rate(load_rate, total, webhook))
        await asyncio.gather(_at_rate(rate, warmup + seconds, timed_interaction),
                             _at_rate(rate, warmup + seconds, hello))
        per_s = await _closed_loop(concurrency, throughput_seconds, untimed_interaction)
        baseline_per_s = await _closed_loop(concurrency, throughput_seconds, untimed_hello)
        await load
    return {"ack": ack_ms, "baseline": base_ms, "failures": failures, "per_s": per_s,
            "baseline_per_s": baseline_per_s}


def _ms(samples: list[float], quantile: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


def _start(kind: str, stop: Any, public_key: str) -> tuple[
        multiprocessing.Process, multiprocessing.connection.Connection]:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_server_main, args=(kind, stop, child, public_key),
                                      daemon=True)
    process.start()
    if not parent.poll(60):
        process.terminate()
        raise SystemExit(f"the {kind} server did not start")
    return process, parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="interactions a second")
    parser.add_argument("--load-rate", type=float, default=100.0,
                        help="webhook posts a second, published by the embedded worker")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=16,
                        help="clients of the closed-loop answers-per-second phase")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true",
                        help="10 measured seconds, 4 s of each closed loop")
    args = parser.parse_args()
    seconds, warmup, throughput = ((10.0, 2.0, 4.0) if args.quick
                                   else (args.seconds, 3.0, args.throughput_seconds))
    key = Ed25519PrivateKey.generate()
    public_key = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    ctx_stop = multiprocessing.Event()
    processes = []
    postflow_conn = None
    try:
        postflow, postflow_conn = _start("postflow", ctx_stop, public_key)
        processes.append(postflow)
        baseline, baseline_conn = _start("baseline", ctx_stop, public_key)
        processes.append(baseline)
        info = postflow_conn.recv()
        baseline_url = baseline_conn.recv()["url"]
        result = asyncio.run(measure(info, baseline_url, key, rate=args.rate,
                                     load_rate=args.load_rate, seconds=seconds, warmup=warmup,
                                     concurrency=args.concurrency,
                                     throughput_seconds=throughput))
    finally:
        ctx_stop.set()
        pipeline = (postflow_conn.recv() if postflow_conn is not None
                    and postflow_conn.poll(60) else {})
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
    ack, base = result["ack"], result["baseline"]
    over = sum(1 for ms in ack if ms > OVER_MS)
    ratio = result["per_s"] / result["baseline_per_s"]
    print(f"load: {args.load_rate:.0f} webhook posts/s published through the embedded worker; "
          f"ack time measured {seconds:.0f} s at {args.rate:.0f}/s; failures "
          f"{result['failures']}; posts published {pipeline.get('published')} of "
          f"{pipeline.get('posts')}")
    for name, samples in (("discord ack (list/autocomplete)", ack), ("baseline (hello)", base)):
        print(f"{name:32s} n={len(samples):5d} p50={_ms(samples, 0.5):7.1f} ms "
              f"p99={_ms(samples, 0.99):7.1f} ms max={max(samples, default=float('nan')):7.1f} ms")
    print(f"answered per second, {args.concurrency} clients back to back: interactions "
          f"{result['per_s']:.0f}/s, hello-world {result['baseline_per_s']:.0f}/s")
    print(f"RESULT ack_p99_ms={_ms(ack, 0.99):.1f} ack_max_ms={max(ack):.1f} over_3s={over} "
          f"interactions_per_s={result['per_s']:.0f} "
          f"baseline_per_s={result['baseline_per_s']:.0f} ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
