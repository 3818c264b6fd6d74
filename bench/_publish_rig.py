"""What the publishing benches share: a store with loopback accounts and posts, the production
processes (``postflow worker`` and ``postflow scheduler``, as child processes on our Redis
database), handing a backlog to the worker, and the check that nothing was lost or doubled.

The workers reach the fake platform through the loopback network that the fault tests use
(``tests/fakes/loopback_network.py``), added through ``POSTFLOW_PROVIDER_PLUGINS`` like any
network plugin.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from _fake_platform import BenchPlatform
from pydantic import SecretStr

from postflow.config import Settings
from postflow.connections import Connection
from postflow.ids import new_id
from postflow.posts import Post, PostSource, PostStatus
from postflow.providers import ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.dispatch import dispatch_due_posts
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.loopback_network import NETWORK, URL_VARIABLE
from tests.fakes.processes import WorkerProcess
from workers.dramatiq_queue import DramatiqPublishQueue

PLUGIN = "tests.fakes.loopback_network:plugin"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
#: Accounts are spread over a few organizations (the business plan allows 60 accounts each).
ORGANIZATIONS = 4
ACCOUNTS_PER_ORGANIZATION = 10
#: Posts submitted at once while seeding (the store commits concurrent writes together).
SEED_CONCURRENCY = 32
#: Retried targets come back after 0.5-1 s instead of the default 2.5-5 s, so that the few
#: scripted failures finish inside the run instead of stretching its tail.
RETRY_BASE_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 40.0
FINAL = frozenset({PostStatus.PUBLISHED, PostStatus.PARTIAL, PostStatus.FAILED,
                   PostStatus.CANCELED})


def bench_settings(redis_url: str, data_dir: Path, platform_url: str,
                   platform_concurrency: int) -> Settings:
    """Production defaults, plus the bench's store, Redis database and the loopback network.

    The loopback network's concurrency cap (``POSTFLOW_NETWORK_CONCURRENCY``) is the platform's
    own, as an operator sets it to what a network allows: below it, PostFlow's cap and not the
    platform would set the pace; above it, calls would queue at the platform.

    The loopback plugin reads the platform's address from the environment (it is the plugin's
    composition root), in this process too: the bench opens a runtime of its own.
    """
    os.environ[URL_VARIABLE] = platform_url
    return Settings(data_dir=data_dir, secret_key=SecretStr(SECRET_KEY),
                    redis_url=SecretStr(redis_url), provider_plugins=[PLUGIN],
                    retry_base_seconds=RETRY_BASE_SECONDS,
                    network_concurrency={NETWORK: platform_concurrency})


# -- processes ----------------------------------------------------------------------------------
def child_env(settings: Settings, platform_url: str) -> dict[str, str]:
    """The environment of the child processes: ``settings`` as POSTFLOW_* variables."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("POSTFLOW_")}
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else ""
    env.update({
        "POSTFLOW_DATA_DIR": str(settings.data_dir),
        "POSTFLOW_SECRET_KEY": SECRET_KEY,
        "POSTFLOW_REDIS_URL": redis_url,
        "POSTFLOW_PROVIDER_PLUGINS": ",".join(settings.provider_plugins),
        "POSTFLOW_RETRY_BASE_SECONDS": str(settings.retry_base_seconds),
        "POSTFLOW_NETWORK_CONCURRENCY": json.dumps(settings.network_concurrency),
        "POSTFLOW_SCHEDULER_INTERVAL_SECONDS": str(settings.scheduler_interval_seconds),
        URL_VARIABLE: platform_url,
    })
    if settings.worker_threads is not None:
        env["POSTFLOW_WORKER_THREADS"] = str(settings.worker_threads)
    return env


@dataclass
class Processes:
    """The worker and scheduler processes of one bench run; stopped in reverse order."""

    env: dict[str, str]
    log_dir: Path
    started: list[WorkerProcess]

    def start(self, command: str) -> WorkerProcess:
        child = WorkerProcess(
            env=self.env, log_path=self.log_dir / f"{command}-{len(self.started) + 1}.log",
            command=command, stop_timeout=STOP_TIMEOUT_SECONDS)
        child.start()
        self.started.append(child)
        print(f"started postflow {command} (pid {child.pid})", flush=True)
        return child

    def start_workers(self, count: int) -> None:
        """``count`` ``postflow worker`` processes, as a deployment runs one per core."""
        for _ in range(count):
            self.start("worker")

    def check_alive(self) -> None:
        for child in self.started:
            if not child.alive:
                raise RuntimeError(f"postflow {child.command} exited:\n{child.log()[-3000:]}")

    def stop_all(self) -> None:
        for child in reversed(self.started):
            child.stop()


# -- data ---------------------------------------------------------------------------------------
async def seed_accounts(rt: Runtime, organizations: int = ORGANIZATIONS,
                        per_organization: int = ACCOUNTS_PER_ORGANIZATION) -> list[Connection]:
    """Loopback accounts in organizations on the business plan (no monthly post limit)."""
    accounts = []
    for number in range(1, organizations + 1):
        org = await create_organization(rt, f"Bench {number} {new_id('n')}", actor="bench")
        await change_plan(rt, org.id, "business", actor="bench")
        for _ in range(per_organization):
            account = ConnectedAccount(account_id=new_id("lba"), display_name="bench",
                                       tokens=TokenSet.model_validate(
                                           {"access_token": new_id("lbtok")}))
            accounts.append(await add_connection(rt, org.id, NETWORK, account, actor="bench"))
    return accounts


async def seed_posts(rt: Runtime, accounts: list[Connection], count: int, label: str,
                     schedule_at: datetime | None = None) -> dict[str, Post]:
    """``count`` posts, round-robin over ``accounts``, each with a unique text, through
    ``submit_post`` (due now, or at ``schedule_at``); returns them by text."""
    posts: dict[str, Post] = {}

    async def submit(number: int) -> None:
        account = accounts[number % len(accounts)]
        text = f"{label} #{number} {new_id('t')}"
        posts[text] = await submit_post(
            rt, account.org_id,
            PostRequest(text=text, targets=[account.id], schedule_at=schedule_at),
            source=PostSource(kind="cli"), actor="bench", review_required=False)

    for start in range(0, count, SEED_CONCURRENCY):
        chunk = range(start, min(count, start + SEED_CONCURRENCY))
        await asyncio.gather(*(submit(n) for n in chunk))
    not_scheduled = [p for p in posts.values() if p.status is not PostStatus.SCHEDULED]
    if not_scheduled:
        raise RuntimeError(f"{len(not_scheduled)} seeded posts are not Scheduled, e.g. "
                           f"{not_scheduled[0].status.value}")
    return posts


async def dispatch_backlog(rt: Runtime) -> int:
    """Claim every due post and send its publish message, as the scheduler's dispatch step does
    (``dispatch_due_posts``, batch after batch), while no worker runs yet."""
    queue = DramatiqPublishQueue()
    total = 0
    while sent := await dispatch_due_posts(rt, queue):
        total += sent
    return total


# -- waiting and checking -----------------------------------------------------------------------
async def wait_for_platform(platform: BenchPlatform, expected: int, processes: Processes, *,
                            label: str, stall_seconds: float) -> bool:
    """Wait until the platform created ``expected`` more posts than now... or made no progress
    for ``stall_seconds``; prints progress each second. True when all arrived."""
    last_count, last_change, next_report = -1, time.monotonic(), time.monotonic() + 1.0
    started = time.monotonic()
    while True:
        count = platform.created_count()
        now = time.monotonic()
        if count >= expected:
            return True
        if count != last_count:
            last_count, last_change = count, now
        elif now - last_change > stall_seconds:
            print(f"{label}: no progress for {stall_seconds:g}s; giving up", flush=True)
            return False
        if now >= next_report:
            print(f"{label}: {count}/{expected} created after {now - started:.1f}s", flush=True)
            next_report = now + 1.0
        processes.check_alive()
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class Verdict:
    """Lost: a post not Published in the store, or never created on the platform. Duplicates:
    platform posts beyond the first one per post. Strangers: platform posts of no seeded post."""

    posts: int
    published: int
    lost: int
    duplicates: int
    strangers: int
    statuses: Counter[str]
    mismatched_ids: int

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicates or self.strangers or self.mismatched_ids)

    def describe(self) -> str:
        return (f"{self.published}/{self.posts} published, lost={self.lost} "
                f"duplicates={self.duplicates} strangers={self.strangers} "
                f"mismatched_ids={self.mismatched_ids} statuses={dict(self.statuses)}")


async def stored_posts(rt: Runtime, posts: Iterable[Post]) -> dict[str, Post]:
    """The current version of ``posts`` by id, one store query per organization."""
    wanted: dict[str, set[str]] = {}
    for post in posts:
        wanted.setdefault(post.org_id, set()).add(post.id)
    found: dict[str, Post] = {}
    for org_id, ids in wanted.items():
        for post in await rt.store.list_posts(org_id, limit=10_000_000):
            if post.id in ids:
                found[post.id] = post
    return found


async def wait_all_final(rt: Runtime, posts: dict[str, Post], within: float) -> dict[str, Post]:
    """Poll the store until every post is final, for up to ``within`` seconds; returns them as
    stored."""
    deadline = time.monotonic() + within
    while True:
        stored = await stored_posts(rt, posts.values())
        if all(p.status in FINAL for p in stored.values()) or time.monotonic() > deadline:
            return stored
        await asyncio.sleep(0.5)


def verify(posts: dict[str, Post], stored: dict[str, Post], created: Counter[str],
           ids_by_text: Callable[[str], set[str]]) -> Verdict:
    """Compare the seeded posts (by text), the store and the platform's counts."""
    statuses: Counter[str] = Counter()
    lost = duplicates = published = mismatched = 0
    for text, seeded in posts.items():
        current = stored.get(seeded.id)
        status = current.status if current is not None else None
        statuses[status.value if status is not None else "missing"] += 1
        times = created.get(text, 0)
        duplicates += max(0, times - 1)
        if current is None or status is not PostStatus.PUBLISHED or times == 0:
            lost += 1
            continue
        published += 1
        platform_ids = ids_by_text(text)
        if any(t.platform_post_id not in platform_ids for t in current.targets):
            mismatched += 1
    strangers = sum(n for text, n in created.items() if text not in posts)
    return Verdict(posts=len(posts), published=published, lost=lost, duplicates=duplicates,
                   strangers=strangers, statuses=statuses, mismatched_ids=mismatched)


def platform_ids(platform: BenchPlatform) -> Callable[[str], set[str]]:
    """Look up the platform's post ids by text (built once)."""
    by_text: dict[str, set[str]] = {}
    for post in platform.created():
        by_text.setdefault(post.text, set()).add(post.id)
    return lambda text: by_text.get(text, set())


def redis_keys_left(redis_url: str) -> int:
    """Publish messages still in Redis (queued, delayed or unacknowledged)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return sum(int(client.hlen(key)) for key in
                   ("dramatiq:publish.msgs", "dramatiq:publish.DQ.msgs"))
    finally:
        client.close()
