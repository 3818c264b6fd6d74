"""Publishing pipeline: N due posts through the real publish actor to a fake platform, against
the lower of the queue's speed and the platform's capacity, both measured in the same run.

1. **Queue speed**: ``bench/queue_throughput.py``'s measurement of the queue side, one round of
   N no-op messages, on this run's Redis database.
2. **Platform capacity**: a fake platform like the run's (same latency and concurrency, no
   faults) driven by a bare aiohttp client in another process (``_fake_platform.py``'s
   ``measured_capacity``): what this machine's loopback and the fake's own request handling let
   any client get. The nominal ``concurrency / latency`` is printed beside it.
3. **Pipeline**: N posts due now (``submit_post``, spread over 40 loopback accounts in 4
   organizations, SQLite in a temp dir) are claimed and their publish messages sent the way the
   scheduler's dispatch step does it (``dispatch_due_posts``), before any worker runs. Then
   ``--workers`` real ``postflow worker`` processes (default: one per core, as Dramatiq's own
   CLI runs them; default settings otherwise, ``worker_threads`` threads each) and a real
   ``postflow scheduler`` (which hands out the retries) start as child processes. The loopback
   network's concurrency cap is set to the platform's (``POSTFLOW_NETWORK_CONCURRENCY``), as an
   operator sets it to what a network allows. The workers
   publish through the loopback network plugin (``tests/fakes/loopback_network.py``) to the fake
   platform of ``bench/_fake_platform.py``, in this process: ``--latency`` per answer, at most
   ``--platform-concurrency`` at once, and a few scripted 503s, 429s with Retry-After, and
   "created then 502" answers in the first half of the requests.

The rate is N / (first request reaching the platform -> last post created and answered), so
seeding, worker boot and the backlog's enqueueing are not counted. Afterwards every post must be
Published in the store and created exactly once on the platform.

    .venv/bin/python bench/pipeline.py [--posts 10000 | --quick]

The last line is ``RESULT pipeline_posts_per_s=... queue_msgs_per_s=... platform_capacity=...
platform_nominal=... ratio=... ratio_nominal=... lost=... duplicates=... posts=...``;
ratio = posts/s / min(queue, measured capacity), ratio_nominal the same against the nominal one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import queue_throughput
import redis
from _fake_platform import BenchPlatform, measured_capacity, spread_faults
from _publish_rig import (
    Processes,
    Verdict,
    bench_settings,
    child_env,
    dispatch_backlog,
    platform_ids,
    redis_keys_left,
    seed_accounts,
    seed_posts,
    verify,
    wait_all_final,
    wait_for_platform,
)
from _redis_db import claimed_redis_db

from composition.runtime import open_runtime
from tests.fakes.platform_server import ReceivedPublish
from workers.broker import close_broker, configure_broker

DEFAULT_POSTS = 10_000
QUICK_POSTS = 1_000
DEFAULT_LATENCY_SECONDS = 0.02
DEFAULT_PLATFORM_CONCURRENCY = 32
#: One ``postflow worker`` per core, as Dramatiq's own CLI starts one process per core.
DEFAULT_WORKERS = os.cpu_count() or 1
#: Scripted failures of each kind (503, 429, created-then-502) per 1,000 posts (at least 2).
FAULTS_PER_THOUSAND = 1
TARGET_RATIO = 0.70
#: Requests the platform's capacity is measured with (a few seconds at the default capacity).
CAPACITY_REQUESTS_MIN, CAPACITY_REQUESTS_MAX = 1_000, 5_000
STALL_SECONDS = 30.0


@dataclass(frozen=True)
class PipelineRun:
    posts: int
    rate: float
    elapsed: float
    verdict: Verdict


def delivery_window(received: list[ReceivedPublish], texts: set[str],
                    latency: float) -> tuple[float, float]:
    """(first request's arrival, last post's creating request answered), monotonic."""
    mine = [r for r in received if r.text in texts]
    first = min(r.arrived_at for r in mine)
    done: dict[str, float] = {}
    for request in mine:
        if request.created_id is not None and request.text not in done:
            done[request.text] = request.answered_at or request.arrived_at + latency
    return first, max(done.values())


async def run_pipeline(redis_url: str, data_dir: Path, posts: int, platform: BenchPlatform,
                       log_dir: Path, workers: int) -> PipelineRun:
    settings = bench_settings(redis_url, data_dir, platform.url, platform.concurrency)
    broker = configure_broker(settings)
    rt = await open_runtime(settings)
    processes = Processes(env=child_env(settings, platform.url), log_dir=log_dir, started=[])
    try:
        started = time.monotonic()
        accounts = await seed_accounts(rt)
        seeded = await seed_posts(rt, accounts, posts, "pipeline")
        print(f"pipeline: seeded {posts} posts due now in {time.monotonic() - started:.1f}s",
              flush=True)
        started = time.monotonic()
        sent = await dispatch_backlog(rt)
        print(f"pipeline: claimed and enqueued {sent} in {time.monotonic() - started:.1f}s",
              flush=True)
        processes.start_workers(workers)
        processes.start("scheduler")
        arrived = await wait_for_platform(platform, posts, processes, label="pipeline",
                                          stall_seconds=STALL_SECONDS)
        stored = await wait_all_final(rt, seeded, within=30.0 if arrived else 1.0)
    finally:
        processes.stop_all()
        await rt.store.close()
        close_broker(broker)
    verdict = verify(seeded, stored, platform.created_per_text(), platform_ids(platform))
    first, last = delivery_window(platform.received(), set(seeded), platform.latency)
    elapsed = last - first
    left = redis_keys_left(redis_url)
    if left:
        print(f"pipeline: {left} publish messages left in Redis", flush=True)
    return PipelineRun(posts=posts, rate=verdict.published / elapsed if elapsed > 0 else 0.0,
                       elapsed=elapsed, verdict=verdict)


def measure_queue(redis_url: str, data_dir: Path, messages: int) -> float:
    """bench/queue_throughput.py's queue side, one round (it flushes the database)."""
    side = queue_throughput.Side(
        "queue", lambda: queue_throughput._fill_queue(redis_url, str(data_dir), messages),
        queue_throughput._queue_consumer, (redis_url, str(data_dir), messages))
    client = redis.Redis.from_url(redis_url)
    try:
        return queue_throughput.measure(side, "queue", client, messages)
    finally:
        client.close()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the children


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=DEFAULT_POSTS)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_POSTS} posts (for make bench)")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY_SECONDS,
                        help="seconds the fake platform takes per answer")
    parser.add_argument("--platform-concurrency", type=int,
                        default=DEFAULT_PLATFORM_CONCURRENCY,
                        help="requests the fake platform serves at once")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="postflow worker processes (default: one per core)")
    args = parser.parse_args()
    posts: int = QUICK_POSTS if args.quick else args.posts
    if posts < 1 or args.latency <= 0 or args.platform_concurrency < 1 or args.workers < 1:
        parser.error("--posts, --latency, --platform-concurrency and --workers must be "
                     "positive")

    per_kind = max(2, posts * FAULTS_PER_THOUSAND // 1000)
    platform = BenchPlatform(latency=args.latency, concurrency=args.platform_concurrency,
                             faults=spread_faults(posts, per_kind))
    print(f"{posts} posts; fake platform: {args.latency * 1000:g} ms per answer, "
          f"{args.platform_concurrency} at once = {platform.capacity:.0f} posts/s; "
          f"{per_kind} each of 503, 429 (Retry-After) and created-then-502", flush=True)
    with claimed_redis_db() as redis_url, \
            tempfile.TemporaryDirectory(prefix="postflow-bench-") as tmp:
        print(f"Redis database: {redis_url}", flush=True)
        queue = measure_queue(redis_url, Path(tmp) / "queue", posts)
        capacity = measured_capacity(latency=args.latency, concurrency=args.platform_concurrency,
                                     requests=min(max(posts, CAPACITY_REQUESTS_MIN),
                                                  CAPACITY_REQUESTS_MAX))
        print(f"platform: a bare client gets {capacity:.0f} posts/s "
              f"(nominal {platform.capacity:.0f})", flush=True)
        platform.start()
        try:
            run = asyncio.run(run_pipeline(redis_url, Path(tmp) / "var", posts, platform,
                                           Path(tmp), args.workers))
        finally:
            platform.stop()
    ratio = run.rate / min(queue, capacity)
    nominal_ratio = run.rate / min(queue, platform.capacity)
    print(f"pipeline: {run.verdict.describe()}", flush=True)
    print(f"pipeline: {run.verdict.published} published in {run.elapsed:.2f}s = "
          f"{run.rate:.0f} posts/s; queue {queue:.0f} msgs/s, platform {capacity:.0f} posts/s "
          f"measured ({platform.capacity:.0f} nominal); ratio {ratio:.3f} (target >= "
          f"{TARGET_RATIO}), {nominal_ratio:.3f} against the nominal capacity", flush=True)
    print(f"RESULT pipeline_posts_per_s={run.rate:.1f} queue_msgs_per_s={queue:.1f} "
          f"platform_capacity={capacity:.1f} platform_nominal={platform.capacity:.1f} "
          f"ratio={ratio:.3f} ratio_nominal={nominal_ratio:.3f} "
          f"lost={run.verdict.lost} duplicates={run.verdict.duplicates} posts={posts}",
          flush=True)


if __name__ == "__main__":
    main()
