"""Digests: N members across 24 time zones, built by the scheduler's digest pass and sent
through the real ``email`` path to a loopback SMTP server, in one run.

- **Server**: an ``aiosmtpd`` server on 127.0.0.1 in its own process, counting the messages
  each recipient receives.
- **Store**: SQLite in a temp dir; 100 members per organization, each member's digest daily at
  08:00 in one of 24 zones (``Pacific/Honolulu`` to ``Pacific/Auckland``), a confirmed address
  each; every organization has something to say (posts published and failed in the period,
  posts scheduled in the week ahead, an account whose access ends in 3 days). The run starts
  at a moment when every zone's 08:00 has passed since its last digest (the scheduler was away
  for a day): all N digests are due at once, the worst case.
- **Path**: this process configures the Dramatiq broker on a Redis database of its own (see
  ``_redis_db.py``) and runs the digest pass exactly as the scheduler's leader does
  (:func:`postflow.mailing.digest_pass.send_due_digests`): per organization it reads what the
  digests say once, renders each digest, records it under ``digest:<member>:<period>`` and
  hands its id to the ``email`` queue. ``--workers`` real ``postflow worker`` processes
  (default: one per core) consume the queue and send each mail by SMTP
  (``POSTFLOW_SMTP_URL``: aiosmtplib, connections kept open between mails).

The time is from the start of the pass to the server having received all N mails (the workers
are up and idle before it starts; seeding is not counted). Then a second pass (a restarted
scheduler) must record none, and every member must have received exactly one mail.

    .venv/bin/python bench/digest.py [--members 10000 | --quick] [--workers N]

The last line is ``RESULT digests=... seconds=... per_s=... pass_seconds=... duplicates=...
missing=... second_pass=...``. Target: 10,000 within 60 s, none twice.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import os
import socket
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import _repo_root  # noqa: F401  (puts the repository root on sys.path)
from _redis_db import claimed_redis_db
from pydantic import SecretStr

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.connections import Connection
from postflow.email.preferences import DigestFrequency, EmailPreferences, MemberEmail
from postflow.ids import new_id
from postflow.mailing.digest_pass import send_due_digests
from postflow.organizations import ChatIdentity, Member, Organization, Role
from postflow.posts import Post, PostSource, PostStatus, PostTarget
from postflow.runtime import Runtime
from tests.fakes.processes import WorkerProcess
from workers.broker import close_broker, configure_broker

HOST = "127.0.0.1"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
DEFAULT_MEMBERS = 10_000
QUICK_MEMBERS = 1_000
MEMBERS_PER_ORGANIZATION = 100
TARGET_SECONDS = 60.0
#: The longest the run waits for the mails after the pass.
WAIT_SECONDS = 300.0
ZONES = ("Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
         "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
         "Atlantic/South_Georgia", "Atlantic/Azores", "Europe/London", "Europe/Paris",
         "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata",
         "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
         "Pacific/Noumea", "Pacific/Auckland")


# -- the SMTP server ----------------------------------------------------------------------------
class CountingHandler:
    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for recipient in envelope.rcpt_tos:
            self.received[recipient.lower()] += 1
        return "250 OK"


def _smtp_main(port: int, conn: multiprocessing.connection.Connection) -> None:
    """Serve SMTP on ``port``; answer ``total`` and ``counts`` asked on ``conn``; ``stop``."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    conn.send("ready")
    try:
        while True:
            asked = conn.recv()
            if asked == "total":
                conn.send(sum(handler.received.values()))
            elif asked == "counts":
                conn.send(dict(handler.received))
            else:
                break
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- data ---------------------------------------------------------------------------------------
def _address(org_number: int, member_number: int) -> str:
    return f"m{org_number}-{member_number}@bench.test"


async def seed(rt: Runtime, members: int, now: datetime) -> None:
    """Organizations of MEMBERS_PER_ORGANIZATION members, each with something to say."""
    store = rt.store
    daily = EmailPreferences(digest=DigestFrequency.DAILY)
    for org_number in range((members + MEMBERS_PER_ORGANIZATION - 1) // MEMBERS_PER_ORGANIZATION):
        org = Organization(id=new_id("org"), name=f"Bench {org_number}", created_at=now)
        await store.insert_organization(org)
        connection = Connection(
            id=new_id("conn"), org_id=org.id, network="mastodon", account_id=new_id("acct"),
            display_name=f"@bench{org_number}", sealed_tokens="sealed:bench",
            token_expires_at=now + timedelta(days=3), created_at=now, updated_at=now)
        await store.insert_connection(connection)
        target = [PostTarget(connection_id=connection.id, network="mastodon")]
        for hours, status in ((-3, PostStatus.PUBLISHED), (-5, PostStatus.PUBLISHED),
                              (-7, PostStatus.FAILED), (30, PostStatus.SCHEDULED),
                              (60, PostStatus.SCHEDULED)):
            when = now + timedelta(hours=hours)
            await store.insert_post(Post(
                id=new_id("post"), org_id=org.id, text=f"Bench post {hours}", targets=target,
                status=status, source=PostSource(kind="cli"), created_at=now - timedelta(days=2),
                updated_at=min(when, now), scheduled_at=when, due_at=when if hours > 0 else None))
        first = org_number * MEMBERS_PER_ORGANIZATION
        for member_number in range(first, min(first + MEMBERS_PER_ORGANIZATION, members)):
            await store.insert_member(Member(
                id=new_id("mem"), org_id=org.id, role=Role.MEMBER,
                identity=ChatIdentity(platform="slack", workspace_id="T1",
                                      user_id=f"U{member_number}"),
                created_at=now, timezone=ZONES[member_number % len(ZONES)],
                email=MemberEmail(address=_address(org_number, member_number),
                                  confirmed_at=now), email_preferences=daily))


# -- the run ------------------------------------------------------------------------------------
def child_env(settings: Settings) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("POSTFLOW_")}
    assert settings.redis_url is not None and settings.smtp_url is not None
    env.update({"POSTFLOW_DATA_DIR": str(settings.data_dir), "POSTFLOW_SECRET_KEY": SECRET_KEY,
                "POSTFLOW_REDIS_URL": settings.redis_url.get_secret_value(),
                "POSTFLOW_SMTP_URL": settings.smtp_url.get_secret_value(),
                "POSTFLOW_PUBLIC_URL": settings.public_url or ""})
    return env


def _ask(conn: multiprocessing.connection.Connection, what: str) -> Any:
    conn.send(what)
    return conn.recv()


async def run(members: int, workers: int, redis_url: str, data_dir: Path,
              smtp: multiprocessing.connection.Connection, smtp_port: int) -> dict[str, Any]:
    settings = Settings(data_dir=data_dir, secret_key=SecretStr(SECRET_KEY),
                        redis_url=SecretStr(redis_url),
                        smtp_url=SecretStr(f"smtp://{HOST}:{smtp_port}"),
                        public_url="https://postflow.bench.test")
    broker = configure_broker(settings)
    rt = await open_runtime(settings)
    children = [WorkerProcess(env=child_env(settings), log_path=data_dir / f"worker-{n}.log")
                for n in range(workers)]
    try:
        now = rt.clock.now()
        seeded = time.perf_counter()
        await seed(rt, members, now)
        print(f"seeded {members} members in {time.perf_counter() - seeded:.1f}s", flush=True)
        for child in children:
            child.start()
        await asyncio.sleep(3.0)   # the workers boot and idle; not measured
        for child in children:
            if not child.alive:
                raise SystemExit(f"postflow worker exited: see {child.log_path}")
        started = time.perf_counter()
        report = await send_due_digests(rt)
        pass_seconds = time.perf_counter() - started
        print(f"pass: {report.sent} digests recorded and queued in {pass_seconds:.1f}s "
              f"({report.empty} with nothing to say)", flush=True)
        received, last_print = 0, started
        while received < members and time.perf_counter() - started < WAIT_SECONDS:
            await asyncio.sleep(0.05)
            received = _ask(smtp, "total")
            if time.perf_counter() - last_print >= 5:
                last_print = time.perf_counter()
                print(f"received {received} after {last_print - started:.1f}s", flush=True)
        seconds = time.perf_counter() - started
        second = await send_due_digests(rt, nothing_to_say=set())  # a restarted scheduler
        await asyncio.sleep(2.0)   # anything sent twice would arrive by now
        counts: dict[str, int] = _ask(smtp, "counts")
        expected = {_address(n // MEMBERS_PER_ORGANIZATION, n) for n in range(members)}
        return {"digests": sum(1 for a in expected if counts.get(a, 0) >= 1),
                "seconds": seconds, "pass_seconds": pass_seconds,
                "duplicates": sum(c - 1 for c in counts.values() if c > 1),
                "missing": sum(1 for a in expected if a not in counts),
                "second_pass": second.sent}
    finally:
        for child in children:
            child.stop()
        await rt.store.close()
        close_broker(broker)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK_MEMBERS} members instead of {DEFAULT_MEMBERS}")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="postflow worker processes (default: one per core)")
    args = parser.parse_args()
    members = QUICK_MEMBERS if args.quick else args.members
    spawn = multiprocessing.get_context("spawn")
    parent, child = spawn.Pipe()
    port = _free_port()
    server = spawn.Process(target=_smtp_main, args=(port, child), name="bench-smtp")
    server.start()
    try:
        if not parent.poll(30) or parent.recv() != "ready":
            raise SystemExit("the SMTP server did not start")
        with claimed_redis_db() as redis_url, tempfile.TemporaryDirectory() as tmp:
            result = asyncio.run(run(members, args.workers, redis_url, Path(tmp), parent, port))
    finally:
        parent.send("stop")
        server.join(10)
    per_s = result["digests"] / result["seconds"] if result["seconds"] else 0.0
    verdict = ("ok" if result["digests"] == members and not result["duplicates"]
               and not result["second_pass"] else "FAILED")
    target = TARGET_SECONDS * members / DEFAULT_MEMBERS
    print(f"{verdict}: {result['digests']} of {members} members got their digest in "
          f"{result['seconds']:.1f}s (target {target:.0f}s), {result['duplicates']} twice, "
          f"{result['second_pass']} recorded again by a second pass", flush=True)
    print(f"RESULT digests={result['digests']} seconds={result['seconds']:.2f} "
          f"per_s={per_s:.1f} pass_seconds={result['pass_seconds']:.2f} "
          f"duplicates={result['duplicates']} missing={result['missing']} "
          f"second_pass={result['second_pass']}", flush=True)


if __name__ == "__main__":
    main()
