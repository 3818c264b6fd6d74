"""``postflow queue show|set|share-next``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from postflow.queues import WEEKDAYS
from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture
def conn_id(capsys: pytest.CaptureFixture[str]) -> str:
    run_cli(capsys, "org", "create", "Acme")
    result = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo", "--json")
    return str(result.json()["connection"]["id"])


def test_show_without_settings_prints_the_defaults(capsys: pytest.CaptureFixture[str],
                                                   conn_id: str) -> None:
    result = run_cli(capsys, "queue", "show", "--org", "Acme", "--connection", conn_id, "--json")

    assert result.code == 0
    queue = result.json()["queue"]
    assert (queue["default"], len(queue["slots"]), queue["max_per_day"]) == (True, 15, None)
    assert queue["slots"][0] == {"weekday": 0, "day": "mon", "time": "09:00"}
    assert result.json()["posts"] == []


def test_set_saves_slots_zone_and_caps(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    saved = run_cli(capsys, "queue", "set", "--org", "Acme", "--connection", conn_id,
                    "--slot", "wed 13:00", "--slot", "mon 09:00", "--timezone",
                    "America/New_York", "--max-per-day", "1", "--max-per-week", "3", "--json")
    shown = run_cli(capsys, "queue", "show", "--org", "Acme", "--connection", conn_id, "--json")

    assert saved.code == 0
    queue = shown.json()["queue"]
    assert [(s["day"], s["time"]) for s in queue["slots"]] == [("mon", "09:00"), ("wed", "13:00")]
    assert (queue["timezone"], queue["max_per_day"], queue["max_per_week"], queue["default"]) == (
        "America/New_York", 1, 3, False)


def test_show_for_people_lists_slots_and_caps(capsys: pytest.CaptureFixture[str],
                                              conn_id: str) -> None:
    run_cli(capsys, "queue", "set", "--org", "Acme", "--connection", conn_id,
            "--slot", "fri 17:30", "--max-per-week", "2")

    result = run_cli(capsys, "queue", "show", "--org", "Acme", "--connection", conn_id)

    assert result.code == 0
    assert "fri 17:30" in result.out
    assert "Per week:   2" in result.out
    assert "No queued posts." in result.out


@pytest.mark.parametrize(("args", "message"), [
    (["--slot", "someday 09:00"], "not a weekday"),
    (["--slot", "mon 9am"], "HH:MM"),
    (["--slot", "mon 09:00", "--slot", "mon 09:00"], "given twice"),
    (["--slot", "mon 09:00", "--max-per-day", "0"], "at least 1"),
    (["--slot", "mon 09:00", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
])
def test_bad_settings_exit_2_with_the_reason(capsys: pytest.CaptureFixture[str], conn_id: str,
                                             args: list[str], message: str) -> None:
    result = run_cli(capsys, "queue", "set", "--org", "Acme", "--connection", conn_id, *args)

    assert result.code == 2
    assert message in result.err


def test_an_unknown_connection_exits_2_as_json(capsys: pytest.CaptureFixture[str],
                                               conn_id: str) -> None:
    result = run_cli(capsys, "queue", "show", "--org", "Acme", "--connection", "conn_nope",
                     "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "not_found"


def test_set_without_a_slot_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                             conn_id: str) -> None:
    result = run_cli(capsys, "queue", "set", "--org", "Acme", "--connection", conn_id)

    assert result.code == 2


@pytest.fixture
def far_slots(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    """Slots a day or more away, so no slot passes while a test runs on the real clock."""
    day = WEEKDAYS[(datetime.now(UTC) + timedelta(days=2)).weekday()]
    run_cli(capsys, "queue", "set", "--org", "Acme", "--connection", conn_id,
            "--slot", f"{day} 09:00", "--slot", f"{day} 13:00", "--slot", f"{day} 17:00")


def queue_post(capsys: pytest.CaptureFixture[str], conn_id: str, text: str) -> dict[str, Any]:
    result = run_cli(capsys, "posts", "create", "--org", "Acme", "--text", text,
                     "--target", conn_id, "--queue", "--json")
    assert result.code == 0, result.err
    post: dict[str, Any] = result.json()["post"]
    return post


def test_share_next_moves_a_queued_post_to_the_front(capsys: pytest.CaptureFixture[str],
                                                    conn_id: str, far_slots: None) -> None:
    first, second, third = [queue_post(capsys, conn_id, f"post {n}") for n in range(3)]

    result = run_cli(capsys, "queue", "share-next", third["id"], "--org", "Acme", "--json")
    shown = run_cli(capsys, "queue", "show", "--org", "Acme", "--connection", conn_id, "--json")

    assert result.code == 0, result.err
    body = result.json()
    assert (body["moved"], body["post"]["scheduled_at"], body["previous_scheduled_at"]) == (
        True, first["scheduled_at"], third["scheduled_at"])
    assert [s["id"] for s in body["shifted"]] == [first["id"], second["id"]]
    assert [(p["id"], p["scheduled_at"]) for p in shown.json()["posts"]] == [
        (third["id"], first["scheduled_at"]), (first["id"], second["scheduled_at"]),
        (second["id"], third["scheduled_at"])]


def test_share_next_for_people_says_what_moved(capsys: pytest.CaptureFixture[str],
                                               conn_id: str, far_slots: None) -> None:
    first, second = [queue_post(capsys, conn_id, f"post {n}") for n in range(2)]

    result = run_cli(capsys, "queue", "share-next", second["id"], "--org", "Acme")
    again = run_cli(capsys, "queue", "share-next", second["id"], "--org", "Acme")

    assert f"Post {second['id']} is next in the queue" in result.out
    assert first["id"] in result.out and "Moved back one slot" in result.out
    assert f"Post {second['id']} is already next in the queue" in again.out


def test_share_next_of_an_unknown_post_exits_2(capsys: pytest.CaptureFixture[str],
                                               conn_id: str) -> None:
    result = run_cli(capsys, "queue", "share-next", "post_nope", "--org", "Acme", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "not_found"
