"""``/postflow queue <account> set ...`` and ``clear``: an account's slots edited from Slack
(Admin+), through the queue use case."""

from __future__ import annotations

import pytest

from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.queues import DEFAULT_SLOT_TEXTS
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.queues import queue_settings_for, set_queue_settings
from tests.bot.slack.conftest import SlackSender, all_text


@pytest.fixture
async def conn(rt: Runtime, org: Organization) -> Connection:
    return await connect_sandbox(rt, org.id, "acme", actor="test")


async def test_set_gives_every_listed_day_the_listed_times(
        slack: SlackSender, rt: Runtime, org: Organization, conn: Connection) -> None:
    answer = await slack.command(f"queue {conn.display_name} set mon,wed,fri 09:00 13:00")

    saved = await queue_settings_for(rt, org.id, conn.id)
    assert saved.slots == [(0, "09:00"), (0, "13:00"), (2, "09:00"), (2, "13:00"),
                           (4, "09:00"), (4, "13:00")]
    assert "mon 09:00, 13:00; wed 09:00, 13:00; fri 09:00, 13:00" in all_text(answer)
    audit = await rt.store.list_audit(org.id, conn.id)
    assert any(e.action == "queue.updated" and e.actor == "slack:T0001:UADMIN" for e in audit)


async def test_set_keeps_the_caps_and_knows_weekdays(
        slack: SlackSender, rt: Runtime, org: Organization, conn: Connection) -> None:
    await set_queue_settings(rt, org.id, conn.id, slots=[(0, "08:00")], timezone=None,
                             max_per_day=2, max_per_week=None, actor="test")

    await slack.command(f"queue {conn.id} set weekdays 10:30")

    saved = await queue_settings_for(rt, org.id, conn.id)
    assert saved.slots == [(day, "10:30") for day in range(5)] and saved.max_per_day == 2


async def test_clear_goes_back_to_the_default_slots_without_caps(
        slack: SlackSender, rt: Runtime, org: Organization, conn: Connection) -> None:
    await set_queue_settings(rt, org.id, conn.id, slots=[(6, "20:00")], timezone=None,
                             max_per_day=1, max_per_week=3, actor="test")

    await slack.command(f"queue {conn.display_name} clear")

    saved = await queue_settings_for(rt, org.id, conn.id)
    assert saved.slots == list(DEFAULT_SLOT_TEXTS)
    assert (saved.max_per_day, saved.max_per_week) == (None, None)


async def test_a_member_may_look_but_not_change(
        slack: SlackSender, rt: Runtime, org: Organization, conn: Connection) -> None:
    shown = await slack.command(f"queue {conn.display_name}", user_id="UMEMBER")
    refused = await slack.command(f"queue {conn.display_name} set mon 09:00", user_id="UMEMBER")

    assert "Queue of" in all_text(shown)
    assert "Changing queues needs the Admin role or higher; you are a Member." \
        in all_text(refused)
    assert await rt.store.get_queue_settings(org.id, conn.id) is None


@pytest.mark.parametrize("words, says", [
    ("set", "Say the days and at least one time"),
    ("set mon", "Say the days and at least one time"),
    ("set someday 09:00", "'someday' is not a weekday"),
    ("set mon 9am", "'9am' is not a time as HH:MM"),
    ("clear now", "`clear` takes nothing after it"),
])
async def test_a_bad_edit_says_what_is_wrong_and_changes_nothing(
        slack: SlackSender, rt: Runtime, org: Organization, conn: Connection, words: str,
        says: str) -> None:
    answer = await slack.command(f"queue {conn.display_name} {words}")

    assert says in all_text(answer)
    assert await rt.store.get_queue_settings(org.id, conn.id) is None
