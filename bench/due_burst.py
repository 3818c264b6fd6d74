"""Due burst: N posts due at the same instant, with the scheduler running as in production;
lag from the due time to the fake platform receiving each post.

One set of production processes serves the whole run: ``--workers`` real ``postflow worker``
processes (default: one per core) and a real ``postflow scheduler`` (child processes, default
settings, on a claimed Redis database), the loopback network plugin (capped at the platform's
concurrency, as in ``bench/pipeline.py``), and the fake platform of ``bench/_fake_platform.py``
in this process (``--latency`` per answer, ``--platform-concurrency`` at once, no scripted
faults: the lags are the scheduler's and the pipeline's, not retries').

1. **Pipeline rate** (unless ``--pipeline-rate`` is given): a backlog of posts claimed and
   enqueued before the worker starts, as ``bench/pipeline.py`` measures it.
2. **Bursts**: for each N, N posts are submitted (``submit_post``) for one instant T a few seconds
   ahead; the scheduler claims them when T comes. For each post: the lag from T to the first
   request for it reaching the platform. Reported: first, p50, p99 and drain (the last one).

Targets: N=100: first <= 1 s and p99 <= 2 s; larger N: drain <= 1.25 x N / pipeline rate + 1 s;
always 0 early, 0 missed, 0 duplicates.

    .venv/bin/python bench/due_burst.py [--sizes 100,1000,10000 | --quick] [--pipeline-rate R]

The last line is ``RESULT pipeline_posts_per_s=... first_s_<N>=... p50_s_<N>=... p99_s_<N>=...
drain_s_<N>=... ... early=... missed=... duplicates=... met=<0|1>``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from _fake_platform import BenchPlatform
from _publish_rig import (
    Processes,
    bench_settings,
    child_env,
    dispatch_backlog,
    platform_ids,
    seed_accounts,
    seed_posts,
    verify,
    wait_all_final,
    wait_for_platform,
)
from _redis_db import claimed_redis_db
from pipeline import (
    DEFAULT_LATENCY_SECONDS,
    DEFAULT_PLATFORM_CONCURRENCY,
    DEFAULT_WORKERS,
    delivery_window,
)

from composition.runtime import open_runtime
from postflow.connections import Connection
from postflow.runtime import Runtime
from workers.broker import close_broker, configure_broker

DEFAULT_SIZES = (100, 1_000, 10_000)
QUICK_SIZES = (100, 1_000)
RATE_POSTS = 2_000
QUICK_RATE_POSTS = 500
#: The due instant is this far beyond the time seeding is expected to take.
LEAD_SECONDS = 3.0
FIRST_TARGET_S, P99_TARGET_S, SMALL_N = 1.0, 2.0, 100
DRAIN_FACTOR, DRAIN_SLACK_S = 1.25, 1.0
STALL_SECONDS = 20.0


@dataclass(frozen=True)
class Burst:
    size: int
    lags: list[float]
    early: int
    missed: int
    duplicates: int
    lost: int

    @property
    def first(self) -> float:
        return min(self.lags) if self.lags else float("nan")

    @property
    def drain(self) -> float:
        return max(self.lags) if self.lags else float("nan")

    def quantile(self, q: float) -> float:
        if len(self.lags) < 2:
            return self.lags[0] if self.lags else float("nan")
        return statistics.quantiles(self.lags, n=100, method="inclusive")[round(q * 100) - 1]

    def met(self, rate: float) -> bool:
        clean = not (self.early or self.missed or self.duplicates or self.lost)
        if self.size <= SMALL_N:
            return clean and self.first <= FIRST_TARGET_S and self.quantile(0.99) <= P99_TARGET_S
        return clean and self.drain <= self.drain_target(rate)

    def drain_target(self, rate: float) -> float:
        return DRAIN_FACTOR * self.size / rate + DRAIN_SLACK_S


async def measure_rate(rt: Runtime, accounts: list[Connection], platform: BenchPlatform,
                       processes: Processes, posts: int, workers: int) -> tuple[float, float]:
    """The pipeline rate (posts/s) with a backlog, as bench/pipeline.py measures it, and the
    seeding cost per post (s). Starts the worker."""
    started = time.monotonic()
    seeded = await seed_posts(rt, accounts, posts, "rate")
    seed_cost = (time.monotonic() - started) / posts
    await dispatch_backlog(rt)
    processes.start_workers(workers)
    if not await wait_for_platform(platform, posts, processes, label="rate",
                                   stall_seconds=STALL_SECONDS):
        raise RuntimeError("the pipeline-rate backlog did not drain")
    first, last = delivery_window(platform.received(), set(seeded), platform.latency)
    await wait_all_final(rt, seeded, within=30.0)
    return posts / (last - first), seed_cost


async def burst(rt: Runtime, accounts: list[Connection], platform: BenchPlatform,
                processes: Processes, size: int, seed_cost: float) -> Burst:
    """``size`` posts due at one instant; the lags of their first arrival at the platform."""
    label = f"burst{size}"
    lead = LEAD_SECONDS + 2.0 * seed_cost * size
    due = (datetime.now(UTC) + timedelta(seconds=lead)).replace(microsecond=0) + timedelta(
        seconds=1)
    due_mono = time.monotonic() + (due - datetime.now(UTC)).total_seconds()
    before = platform.created_count()
    seeded = await seed_posts(rt, accounts, size, label, schedule_at=due)
    margin = due_mono - time.monotonic()
    print(f"{label}: {size} posts due at {due:%H:%M:%S} UTC, seeded {margin:.1f}s before",
          flush=True)
    if margin < 0.2:
        raise RuntimeError(f"{label}: seeding ended {-margin:.1f}s too late for the due time")
    await wait_for_platform(platform, before + size, processes, label=label,
                            stall_seconds=STALL_SECONDS)
    stored = await wait_all_final(rt, seeded, within=15.0)
    texts = set(seeded)
    arrivals: dict[str, float] = {}
    for request in platform.received():
        if request.text in texts and request.text not in arrivals:
            arrivals[request.text] = request.arrived_at
    created = Counter({t: n for t, n in platform.created_per_text().items() if t in texts})
    verdict = verify(seeded, stored, created, platform_ids(platform))
    lags = sorted(at - due_mono for at in arrivals.values())
    return Burst(size=size, lags=lags, early=sum(1 for lag in lags if lag < 0),
                 missed=size - len(arrivals), duplicates=verdict.duplicates, lost=verdict.lost)


async def run(redis_url: str, data_dir: Path, platform: BenchPlatform, sizes: list[int],
              rate_posts: int, given_rate: float | None,
              workers: int) -> tuple[float, list[Burst]]:
    settings = bench_settings(redis_url, data_dir, platform.url, platform.concurrency)
    broker = configure_broker(settings)
    rt = await open_runtime(settings)
    processes = Processes(env=child_env(settings, platform.url), log_dir=data_dir.parent,
                          started=[])
    try:
        accounts = await seed_accounts(rt)
        rate, seed_cost = await measure_rate(rt, accounts, platform, processes, rate_posts,
                                             workers)
        print(f"pipeline rate: {rate:.0f} posts/s (backlog of {rate_posts}); seeding "
              f"{seed_cost * 1e6:.0f} us/post", flush=True)
        if given_rate is not None:
            rate = given_rate
        processes.start("scheduler")
        bursts = [await burst(rt, accounts, platform, processes, size, seed_cost)
                  for size in sizes]
    finally:
        processes.stop_all()
        await rt.store.close()
        close_broker(broker)
    return rate, bursts


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the children


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated burst sizes")
    parser.add_argument("--quick", action="store_true",
                        help=f"sizes {QUICK_SIZES} and a {QUICK_RATE_POSTS}-post rate backlog")
    parser.add_argument("--pipeline-rate", type=float, default=None,
                        help="posts/s to judge the drain by (default: measured in this run)")
    parser.add_argument("--latency", type=float, default=DEFAULT_LATENCY_SECONDS)
    parser.add_argument("--platform-concurrency", type=int,
                        default=DEFAULT_PLATFORM_CONCURRENCY)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS,
                        help="postflow worker processes (default: one per core)")
    args = parser.parse_args()
    sizes = list(QUICK_SIZES) if args.quick else [int(s) for s in args.sizes.split(",")]
    rate_posts = QUICK_RATE_POSTS if args.quick else RATE_POSTS
    if not sizes or min(sizes) < 1:
        parser.error("--sizes must be positive numbers")
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    platform = BenchPlatform(latency=args.latency, concurrency=args.platform_concurrency)
    print(f"bursts of {sizes}; fake platform: {args.latency * 1000:g} ms per answer, "
          f"{args.platform_concurrency} at once = {platform.capacity:.0f} posts/s", flush=True)
    with claimed_redis_db() as redis_url, \
            tempfile.TemporaryDirectory(prefix="postflow-bench-") as tmp:
        print(f"Redis database: {redis_url}", flush=True)
        platform.start()
        try:
            rate, bursts = asyncio.run(run(redis_url, Path(tmp) / "var", platform, sizes,
                                           rate_posts, args.pipeline_rate, args.workers))
        finally:
            platform.stop()
    fields = [f"pipeline_posts_per_s={rate:.1f}"]
    met = True
    for b in bursts:
        target = (f"first <= {FIRST_TARGET_S:g}s, p99 <= {P99_TARGET_S:g}s"
                  if b.size <= SMALL_N else f"drain <= {b.drain_target(rate):.1f}s")
        ok = b.met(rate)
        met = met and ok
        print(f"N={b.size}: first {b.first:.3f}s p50 {b.quantile(0.5):.3f}s "
              f"p99 {b.quantile(0.99):.3f}s drain {b.drain:.3f}s; early {b.early} "
              f"missed {b.missed} duplicates {b.duplicates} lost {b.lost}; target {target}: "
              f"{'met' if ok else 'NOT met'}", flush=True)
        fields += [f"first_s_{b.size}={b.first:.3f}", f"p50_s_{b.size}={b.quantile(0.5):.3f}",
                   f"p99_s_{b.size}={b.quantile(0.99):.3f}", f"drain_s_{b.size}={b.drain:.3f}"]
    fields += [f"early={sum(b.early for b in bursts)}",
               f"missed={sum(b.missed for b in bursts)}",
               f"duplicates={sum(b.duplicates for b in bursts)}", f"met={int(met)}"]
    print("RESULT " + " ".join(fields), flush=True)


if __name__ == "__main__":
    main()
