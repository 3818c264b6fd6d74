"""The scheduler's digest pass: due digests go out through the outbox once per period, whatever
restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postflow.connections import ConnectionStatus
from postflow.email.preferences import DigestFrequency, EmailPreferences, MemberEmail
from postflow.organizations import Role
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.postflow.store.factories import make_connection, make_member, make_org
from tests.workers.scenario import RecordingQueue
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


async def test_a_restarted_scheduler_sends_no_digest_twice(rt: Runtime,
                                                         clock: ManualClock) -> None:
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    org = make_org()
    await rt.store.insert_organization(org)
    member = make_member(org.id, role=Role.ADMIN,
                         email_preferences=EmailPreferences(digest=DigestFrequency.DAILY),
                         email=MemberEmail(address="ada@example.test",
                                           confirmed_at=clock.now()))
    await rt.store.insert_member(member)
    await rt.store.insert_connection(make_connection(
        org.id, status=ConnectionStatus.NEEDS_RECONNECT))

    first = await Scheduler(rt, RecordingQueue(), LocalLeader()).tick()
    clock.advance(timedelta(minutes=5).total_seconds())
    restarted = await Scheduler(rt, RecordingQueue(), LocalLeader()).tick()
    clock.advance(timedelta(days=1).total_seconds())
    next_day = await Scheduler(rt, RecordingQueue(), LocalLeader()).tick()

    assert (first.digests_sent, restarted.digests_sent, next_day.digests_sent) == (1, 0, 1)
    emails = await rt.store.list_outgoing_emails(org.id, 10)
    assert sorted(e.dedupe_key for e in emails) == [f"digest:{member.id}:2026-06-01",
                                                    f"digest:{member.id}:2026-06-02"]
    assert len(list((rt.settings.data_dir / "outbox").glob("*.eml"))) == 2
