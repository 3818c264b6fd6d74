"""The ``email`` queue: a worker sends each recorded email once, and the scheduler's sweep
hands out again an email whose queue message was lost."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import REGISTRY

from postflow.config import Settings
from postflow.email.message import EmailStatus, OutgoingEmail
from postflow.ids import new_id
from postflow.mailing.delivery import RESEND_AFTER
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock
from tests.polling import eventually
from tests.workers.conftest import RunningWorker
from tests.workers.scenario import RecordingQueue
from workers.broker import EMAIL_QUEUE
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


async def recorded_email(rt: Runtime) -> OutgoingEmail:
    email = OutgoingEmail(id=new_id("mail"), kind="test", to="ada@example.test",
                          subject="Hello", text="Hello there.\n", created_at=rt.clock.now())
    await rt.store.insert_outgoing_email(email)
    return email


def outbox_files(settings: Settings) -> list[Path]:
    return sorted((settings.data_dir / "outbox").glob("*.eml"))


async def test_a_message_delivered_twice_sends_the_email_once(
        rt: Runtime, settings: Settings, running_worker: RunningWorker) -> None:
    from workers.email_actors import DramatiqEmailQueue

    sent_before = REGISTRY.get_sample_value("postflow_email_deliveries_total",
                                            {"outcome": "sent"}) or 0.0
    email = await recorded_email(rt)
    for _ in range(2):
        await DramatiqEmailQueue().enqueue(email.id)

    async def sent() -> OutgoingEmail | None:
        stored = await rt.store.get_outgoing_email(email.id)
        return stored if stored.status is EmailStatus.SENT else None

    await eventually(sent)
    running_worker.broker.join(EMAIL_QUEUE, timeout=5_000)
    assert [p.name for p in outbox_files(settings)] == [
        f"{email.created_at:%Y%m%dT%H%M%S}-{email.id}.eml"]
    # /metrics counts the one email sent, not the message that found it sent already.
    assert REGISTRY.get_sample_value("postflow_email_deliveries_total",
                                     {"outcome": "sent"}) == sent_before + 1


async def test_the_scheduler_resends_an_email_whose_message_was_lost(
        rt: Runtime, settings: Settings, clock: ManualClock) -> None:
    email = await recorded_email(rt)  # recorded; its queue message never sent
    scheduler = Scheduler(rt, RecordingQueue(), LocalLeader())
    assert (await scheduler.tick()).emails_resent == 0

    clock.advance(RESEND_AFTER.total_seconds() + 60)
    report = await scheduler.tick()

    assert report.emails_resent == 1
    assert (await rt.store.get_outgoing_email(email.id)).status is EmailStatus.SENT
    assert len(outbox_files(settings)) == 1
