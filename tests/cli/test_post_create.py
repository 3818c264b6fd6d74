"""``postflow posts create``: a post through the same use case as a hook, its time shown back."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import redis

from tests.cli import CliResult, run_cli, use_cli_env

NEXT_YEAR = datetime.now(UTC).year + 1
#: 09:00 on 1 December next year: ahead of the real clock, within the two years allowed.
LOCAL_NINE = f"{NEXT_YEAR}-12-01 09:00"


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture
def conn_id(capsys: pytest.CaptureFixture[str]) -> str:
    run_cli(capsys, "org", "create", "Acme", "--timezone", "Asia/Kolkata")
    result = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo", "--json")
    return str(result.json()["connection"]["id"])


def create(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    return run_cli(capsys, "posts", "create", "--org", "Acme", "--text", "Hello", *args)


def spring_forward_sunday() -> date:
    """The last Sunday of March next year: 02:30 does not exist in Europe/Paris that night."""
    day = date(NEXT_YEAR, 3, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def test_a_local_time_is_read_in_the_organizations_zone_and_shown_back(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = create(capsys, "--target", conn_id, "--at", LOCAL_NINE, "--json")

    assert result.code == 0, result.err
    post = result.json()["post"]
    assert (post["status"], post["timezone"], post["scheduled_at"], post["scheduled_local"]) == (
        "scheduled", "Asia/Kolkata", f"{NEXT_YEAR}-12-01T03:30:00+00:00",
        f"{NEXT_YEAR}-12-01T09:00:00+05:30")
    assert result.json()["handed_to"] is None


def test_a_local_time_is_read_in_the_connections_own_zone(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    run_cli(capsys, "connections", "set-timezone", conn_id, "--org", "Acme",
            "--timezone", "Europe/Paris")

    result = create(capsys, "--target", conn_id, "--at", LOCAL_NINE)

    assert result.code == 0, result.err
    assert (f"Scheduled for {NEXT_YEAR}-12-01 08:00:00 UTC ({NEXT_YEAR}-12-01 09:00 CET, "
            "zone Europe/Paris).") in result.out


def test_a_named_timezone_and_a_time_with_an_offset_are_honoured(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    local = create(capsys, "--target", conn_id, "--at", LOCAL_NINE, "--timezone",
                   "America/New_York", "--json").json()["post"]
    offset = create(capsys, "--target", conn_id, "--schedule-at",
                    f"{NEXT_YEAR}-12-01T09:00:00+01:00", "--json").json()["post"]

    assert (local["scheduled_at"], local["timezone"]) == (
        f"{NEXT_YEAR}-12-01T14:00:00+00:00", "America/New_York")
    assert (offset["scheduled_at"], offset["timezone"]) == (
        f"{NEXT_YEAR}-12-01T08:00:00+00:00", "Asia/Kolkata")


def test_a_local_time_the_clocks_skip_moves_forward_with_a_note(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = create(capsys, "--target", conn_id, "--at", f"{spring_forward_sunday()} 02:30",
                    "--timezone", "Europe/Paris")

    assert result.code == 0, result.err
    assert "03:30 CEST" in result.out and "does not exist" in result.out


def test_targets_in_different_zones_need_an_offset_or_a_zone(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    other = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "other",
                    "--json").json()["connection"]["id"]
    run_cli(capsys, "connections", "set-timezone", other, "--org", "Acme",
            "--timezone", "Europe/Paris")

    result = create(capsys, "--target", conn_id, "--target", other, "--at", LOCAL_NINE,
                    "--json")

    assert result.code == 2
    error = result.json()["error"]
    assert "different time zones" in error["message"]
    assert error["details"]["timezones"] == {conn_id: "Asia/Kolkata", other: "Europe/Paris"}
    assert run_cli(capsys, "posts", "list", "--org", "Acme", "--json").json()["posts"] == []


def test_without_a_time_the_post_is_due_now_for_the_running_scheduler(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = create(capsys, "--target", conn_id, "--now", "--json")

    body = result.json()
    assert (body["post"]["status"], body["post"]["scheduled_at"], body["handed_to"]) == (
        "scheduled", None, "scheduler")
    assert body["post"]["source"] == {"kind": "cli", "ref": ""}


def test_without_a_time_and_with_redis_the_post_goes_to_a_worker(
        capsys: pytest.CaptureFixture[str], conn_id: str, redis_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTFLOW_REDIS_URL", redis_url)

    body = create(capsys, "--target", conn_id, "--json").json()

    assert (body["post"]["status"], body["handed_to"]) == ("queued", "worker")
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen("dramatiq:publish") == 1
    finally:
        client.close()


def test_queue_takes_the_next_slot(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = create(capsys, "--target", conn_id, "--queue")

    assert result.code == 0, result.err
    assert ", from the queue." in result.out


def test_networks_variants_and_text_from_stdin_go_into_the_post(
        capsys: pytest.CaptureFixture[str], conn_id: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("From a script\n"))

    result = run_cli(capsys, "posts", "create", "--org", "Acme", "--text", "-", "--network",
                     "sandbox", "--variant", "sandbox=Shorter", "--json")

    post = result.json()["post"]
    assert (post["text"], post["variants"], [t["connection_id"] for t in post["targets"]]) == (
        "From a script", {"sandbox": "Shorter"}, [conn_id])


def test_the_post_is_audited_as_made_at_the_shell(capsys: pytest.CaptureFixture[str],
                                                  conn_id: str) -> None:
    post_id = create(capsys, "--target", conn_id, "--queue", "--json").json()["post"]["id"]

    shown = run_cli(capsys, "posts", "show", post_id, "--org", "Acme", "--json").json()

    first = shown["audit"][0]
    assert (first["actor"], first["action"]) == ("cli", "post.created")


@pytest.mark.parametrize(("args", "message"), [
    (["--at", "next tuesday"], "not an ISO 8601 time"),
    (["--variant", "sandbox"], "NETWORK=TEXT"),
    (["--at", LOCAL_NINE, "--queue"], "not allowed with"),
    (["--at", "2001-01-01T09:00:00Z"], "in the past"),
    (["--timezone", "Mars/Olympus"], "Mars/Olympus"),
])
def test_a_bad_request_exits_2_saying_why(capsys: pytest.CaptureFixture[str], conn_id: str,
                                          args: list[str], message: str) -> None:
    result = create(capsys, "--target", conn_id, *args)

    assert result.code == 2
    assert message in result.err


def test_no_target_exits_2(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = create(capsys, "--json")

    assert result.code == 2
    assert "targets" in result.json()["error"]["message"]
