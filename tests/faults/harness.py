"""The fault tests' rig: real ``postflow worker`` processes, the scheduler, a private
``redis-server`` when a test must stop or wipe Redis, the fake platform, and the checks that
nothing was lost and nothing was published twice.

Every process a test starts is killed when the rig closes, whatever happened.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis
import redis.asyncio
from pydantic import SecretStr

from postflow.account_gates import network_cap
from postflow.attempts import AttemptOutcome
from postflow.config import Settings
from postflow.connections import Connection
from postflow.ids import new_id
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus, TargetStatus
from postflow.providers import ConnectedAccount, TokenSet
from postflow.runtime import Runtime
from postflow.usecases.connections import add_connection
from postflow.usecases.health import CANARY
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.loopback_network import NETWORK, TIMEOUT_VARIABLE, URL_VARIABLE
from tests.fakes.platform_server import PlatformServer, ReceivedPublish
from tests.fakes.processes import SchedulerTask, WorkerProcess, worker_env
from tests.workers.scenario import eventually
from workers.broker import PUBLISH_QUEUE
from workers.dramatiq_queue import DramatiqPublishQueue
from workers.redis_gates import KEY_PREFIX

PLUGIN = "tests.fakes.loopback_network:plugin"
#: Where Dramatiq keeps a queue: its message ids (a list) and their bodies (a hash).
DRAMATIQ_NAMESPACE = "dramatiq"
SLOTS_PREFIX = f"{KEY_PREFIX}slots:"
FINAL = (PostStatus.PUBLISHED, PostStatus.PARTIAL, PostStatus.FAILED, PostStatus.CANCELED)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- processes ------------------------------------------------------------------------------


@dataclass
class PrivateRedis:
    """A ``redis-server`` of the test's own, on a free port, with append-only persistence in
    ``data_dir``: a test can stop, restart or wipe it without touching the shared server."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        executable = shutil.which("redis-server")
        assert executable is not None, "redis-server is not installed"
        with (self.data_dir / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the installed redis-server
                [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--dir", str(self.data_dir), "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                time.sleep(0.02)  # polling a starting server, not synchronising with the test
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits (its data survives)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def wipe(self) -> None:
        """Forget every byte it persisted (call while it is stopped)."""
        for path in self.data_dir.iterdir():
            if path.name != "redis.log":
                shutil.rmtree(path) if path.is_dir() else path.unlink()


# -- the rig ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoopbackAccount:
    org: Organization
    connection: Connection


@dataclass
class Rig:
    """One test's world: its store (through ``rt``), the fake platform, Redis at ``redis_url``,
    worker processes and a scheduler started on demand."""

    rt: Runtime
    platform: PlatformServer
    redis_url: str
    tmp_path: Path
    workers: list[WorkerProcess] = field(default_factory=list)
    scheduler: SchedulerTask | None = None

    @property
    def settings(self) -> Settings:
        return self.rt.settings

    def worker_env(self) -> dict[str, str]:
        settings = self.settings
        return worker_env(settings.model_copy(update={"redis_url": SecretStr(self.redis_url)}),
                          POSTFLOW_PROVIDER_PLUGINS=",".join(settings.provider_plugins),
                          POSTFLOW_RECONCILE_AFTER_SECONDS=str(settings.reconcile_after_seconds),
                          POSTFLOW_RETRY_BASE_SECONDS=str(settings.retry_base_seconds),
                          POSTFLOW_RETRY_MAX_SECONDS=str(settings.retry_max_seconds),
                          POSTFLOW_PUBLISH_MAX_ATTEMPTS=str(settings.publish_max_attempts),
                          **{URL_VARIABLE: self.platform.url,
                             TIMEOUT_VARIABLE: os.environ[TIMEOUT_VARIABLE]})

    def start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(env=self.worker_env(),
                               log_path=self.tmp_path / f"worker-{len(self.workers) + 1}.log")
        self.workers.append(worker)
        worker.start()
        return worker

    async def worker_consuming(self, timeout: float = 30.0) -> None:
        """Wait until a worker consumes a canary sent now: its process has started and takes
        jobs. A test that names the trigger of a post's first attempt waits for this before it
        submits: a worker still booting after ``reconcile_after_seconds`` would otherwise find
        the reconciler's message for the post beside the scheduler's."""
        sent = self.rt.clock.now()
        await DramatiqPublishQueue().enqueue_canary()

        async def consumed() -> bool:
            last = await self.rt.store.get_heartbeat(CANARY)
            return last is not None and last >= sent

        await eventually(consumed, timeout=timeout, what="a worker consuming a canary")

    def start_scheduler(self) -> None:
        assert self.scheduler is None
        self.scheduler = SchedulerTask(rt=self.rt, redis_url=self.redis_url)
        self.scheduler.start()

    async def close(self) -> None:
        try:
            if self.scheduler is not None:
                await self.scheduler.close()
        finally:
            for worker in self.workers:
                worker.kill()

    def logs(self) -> str:
        return "\n".join(f"--- {w.log_path.name}\n{w.log()[-4000:]}" for w in self.workers)

    # -- data ---------------------------------------------------------------------------------

    async def new_account(self, org: Organization | None = None) -> LoopbackAccount:
        """A loopback account, in ``org`` or in a new organization (with no monthly post
        limit)."""
        if org is None:
            org = await create_organization(self.rt, f"Org {new_id('n')}", actor="test")
            org = await change_plan(self.rt, org.id, "business", actor="test")
        account = ConnectedAccount(account_id=new_id("lba"), display_name="acme",
                                   tokens=TokenSet.model_validate(
                                       {"access_token": new_id("lbtok")}))
        connection = await add_connection(self.rt, org.id, NETWORK, account, actor="test")
        return LoopbackAccount(org=org, connection=connection)

    async def submit(self, account: LoopbackAccount, count: int, label: str,
                     *more: LoopbackAccount) -> list[Post]:
        """``count`` posts due now, each to ``account`` (and ``more``), with unique texts."""
        targets = [account.connection.id, *(a.connection.id for a in more)]
        posts = []
        for number in range(1, count + 1):
            post = await submit_post(
                self.rt, account.org.id,
                PostRequest(text=f"{label} #{number} {new_id('t')}", targets=targets),
                source=PostSource(kind="cli"), actor="test", review_required=False)
            assert post.status is PostStatus.SCHEDULED
            posts.append(post)
        return posts

    async def requests(self, count: int) -> list[ReceivedPublish]:
        """Wait until the platform received at least ``count`` publish requests."""

        def arrived() -> list[ReceivedPublish] | None:
            received = self.platform.received()
            return received if len(received) >= count else None

        return await eventually(arrived, timeout=10, interval=0.02,
                                what=f"{count} publish request(s) reaching the platform")

    async def current(self, post: Post) -> Post:
        return await self.rt.store.get_post(post.org_id, post.id)

    async def all_final(self, posts: list[Post], timeout: float) -> list[Post]:
        """Wait until every post reached a final status; return them as stored."""

        async def done() -> list[Post] | None:
            current = [await self.current(p) for p in posts]
            return current if all(p.status in FINAL for p in current) else None

        try:
            return await eventually(done, timeout=timeout, interval=0.1,
                                    what=f"{len(posts)} posts reaching a final status")
        except AssertionError:
            states = [(p.id, (await self.current(p)).status.value) for p in posts]
            raise AssertionError(f"not all final: {states}\n{self.logs()}") from None

    async def queues_drained(self, timeout: float = 15.0) -> None:
        """Wait until no publish message is left in Redis: not queued, not held by a worker,
        not waiting out a Dramatiq retry. After that, nothing can call the platform again."""
        client = redis.asyncio.Redis.from_url(self.redis_url)
        keys = [f"{DRAMATIQ_NAMESPACE}:{PUBLISH_QUEUE}.msgs",
                f"{DRAMATIQ_NAMESPACE}:{PUBLISH_QUEUE}.DQ.msgs"]

        async def drained() -> bool:
            return all([await client.hlen(key) == 0 for key in keys])

        try:
            await eventually(drained, timeout=timeout, interval=0.1,
                             what="every publish message being consumed")
        finally:
            await client.aclose()


async def redeliver_dead_workers_messages(redis_url: str) -> int:
    """Put back on their queue the messages that killed workers had taken but not acknowledged.

    This is what Dramatiq's maintenance does once a worker's heartbeat is 15 s old
    (``workers/broker.py``); doing the same steps here spares the test that wait. Call it only
    while no live worker holds messages. Returns how many messages went back.
    """
    client = redis.asyncio.Redis.from_url(redis_url)
    moved = 0
    try:
        async for key in client.scan_iter(f"{DRAMATIQ_NAMESPACE}:__acks__.*"):
            # ``dramatiq:__acks__.<worker id>.<queue>``; a queue name may hold a dot (publish.DQ)
            queue = key.decode().split("__acks__.", 1)[1].split(".", 1)[1]
            messages = f"{DRAMATIQ_NAMESPACE}:{queue}.msgs"
            for message_id in await client.smembers(key):
                if await client.hexists(messages, message_id):
                    await client.rpush(f"{DRAMATIQ_NAMESPACE}:{queue}", message_id)
                    moved += 1
            await client.delete(key)
    finally:
        await client.aclose()
    return moved


async def messages_taken(redis_url: str, queue: str) -> int:
    """How many messages of ``queue`` workers have taken and not acknowledged yet."""
    client = redis.asyncio.Redis.from_url(redis_url)
    taken = 0
    try:
        async for key in client.scan_iter(f"{DRAMATIQ_NAMESPACE}:__acks__.*.{queue}"):
            taken += await client.scard(key)
    finally:
        await client.aclose()
    return taken


async def take_every_network_slot(redis_url: str, network: str) -> list[str]:
    """Fill the network's concurrency slots (``workers/redis_gates.py``) with phantom holders
    leased for a minute, so a publish job waits at the gate; returns the holders."""
    cap = network_cap(network)
    assert cap is not None
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        seconds, micros = await client.time()
        lease_end = seconds * 1000 + micros // 1000 + 60_000
        holders = [f"phantom-{n}" for n in range(cap)]
        await client.zadd(f"{SLOTS_PREFIX}{network}", dict.fromkeys(holders, lease_end))
    finally:
        await client.aclose()
    return holders


async def free_network_slots(redis_url: str, network: str, holders: list[str]) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        await client.zrem(f"{SLOTS_PREFIX}{network}", *holders)
    finally:
        await client.aclose()


@contextmanager
def store_write_lock(path: Path) -> Iterator[None]:
    """Hold SQLite's write lock on the store: every process's writes wait (up to their 5 s busy
    timeout) until the block ends; reads go on (WAL)."""
    connection = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
    finally:
        connection.close()


# -- the checks ---------------------------------------------------------------------------------


async def assert_published_exactly_once(rig: Rig, posts: list[Post]) -> list[Post]:
    """Every post Published; each target created exactly once on the platform, by the one
    attempt recorded as published (or reconciled); no attempt left open; every request the
    platform saw carries one of the post's attempt ids; one ``published`` audit per post."""
    every_attempt_id: set[str] = set()
    expected_total = 0
    stored = []
    for post in posts:
        current = await rig.current(post)
        assert current.status is PostStatus.PUBLISHED, (
            f"{post.id} is {current.status.value}: {current.status_reason}\n{rig.logs()}")
        attempts = await rig.rt.store.list_attempts(post.org_id, post.id)
        every_attempt_id.update(a.id for a in attempts)
        assert not [a.id for a in attempts if a.outcome is AttemptOutcome.PENDING], attempts
        for target in current.targets:
            mine = [a for a in attempts if a.connection_id == target.connection_id]
            created = rig.platform.created_with(a.id for a in mine)
            assert len(created) == 1, (
                f"target {target.connection_id} of {post.id} was created {len(created)} times: "
                f"{created}")
            winners = [a for a in mine if a.outcome in (AttemptOutcome.PUBLISHED,
                                                        AttemptOutcome.RECONCILED)]
            assert [(a.id, a.platform_post_id) for a in winners] == [
                (created[0].client_ref, created[0].id)], (winners, created)
            assert target.status is TargetStatus.PUBLISHED
            assert target.platform_post_id == created[0].id
            expected_total += 1
        published_events = [e for e in await rig.rt.store.list_audit(post.org_id, post.id)
                            if e.action == "post.status_changed"
                            and e.data.get("to") == PostStatus.PUBLISHED.value]
        assert len(published_events) == 1, published_events
        stored.append(current)
    strangers = [r for r in rig.platform.received() if r.client_ref not in every_attempt_id]
    assert not strangers, f"the platform got calls no attempt records: {strangers}"
    assert rig.platform.stats()["total"] == expected_total
    return stored


async def outcomes(rt: Runtime, post: Post) -> list[tuple[str, AttemptOutcome]]:
    """The post's attempts, oldest first, as (trigger, outcome)."""
    return [(a.trigger, a.outcome) for a in await rt.store.list_attempts(post.org_id, post.id)]
