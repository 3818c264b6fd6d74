"""bot/slack/dispatch.py: what both transports (HTTP and Socket Mode) share."""

from __future__ import annotations

from bot.slack.dispatch import is_repeated_event
from postflow.runtime import Runtime
from tests.fakes.clock import ManualClock


async def test_an_event_delivered_again_is_recognised_once_taken(rt: Runtime) -> None:
    event = {"type": "event_callback", "event_id": "Ev0PV52K21", "event": {"type": "x"}}

    assert await is_repeated_event(rt, event) is False
    assert await is_repeated_event(rt, event, retry="1") is True
    assert await is_repeated_event(rt, {**event, "event_id": "Ev0PV52K22"}) is False


async def test_an_event_is_forgotten_after_an_hour(rt: Runtime, clock: ManualClock) -> None:
    event = {"type": "event_callback", "event_id": "Ev0PV52K23"}
    assert await is_repeated_event(rt, event) is False

    clock.advance(3601)

    assert await is_repeated_event(rt, event) is False


async def test_payloads_that_are_not_events_are_never_repeats(rt: Runtime) -> None:
    for payload in ({"type": "block_actions"}, {"type": "event_callback"}, "text", None):
        assert await is_repeated_event(rt, payload) is False
        assert await is_repeated_event(rt, payload) is False
