"""``postflow posts reschedule|cancel|publish-now``: output, JSON, and exit 2 for bad requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.posts import PostSource
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture
def connection(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    run_cli(capsys, "org", "create", "Acme")
    conn: dict[str, str] = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name",
                                   "demo", "--json").json()["connection"]
    return conn


def submit(connection: dict[str, str], *, in_hours: float = 2) -> str:
    """A post scheduled ``in_hours`` from now, made the way a hook would."""

    async def go() -> str:
        rt = await open_runtime(Settings())
        try:
            post = await submit_post(
                rt, connection["org_id"], PostRequest(
                    text="hello", targets=[connection["id"]],
                    schedule_at=rt.clock.now() + timedelta(hours=in_hours)),
                source=PostSource(kind="hook", ref="hook_test"), actor="hook:hook_test",
                review_required=False)
            return post.id
        finally:
            await rt.store.close()

    return asyncio.run(go())


def in_hours(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


def test_reschedule_prints_the_post_with_its_new_time(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)
    at = in_hours(5)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", at.isoformat(), "--json")

    assert result.code == 0
    post = result.json()["post"]
    assert (post["id"], post["status"], post["scheduled_at"], post["due_at"]) == (
        post_id, "scheduled", at.isoformat(), at.isoformat())


def test_reschedule_takes_z_for_utc_and_says_when_for_people(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)
    at = in_hours(5)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"))

    assert result.code == 0
    assert result.out.strip() == (
        f"Post {post_id} is scheduled for {at.strftime('%Y-%m-%d %H:%M:%S')} UTC.")


def test_reschedule_without_a_utc_offset_exits_2_and_says_so(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", "2030-12-01T09:00:00")

    assert result.code == 2
    assert result.err.strip() == (
        "error: --at '2030-12-01T09:00:00' has no UTC offset; give one, such as "
        "2026-12-01T09:00:00+01:00 (or ...Z for UTC), or say which zone it is in with "
        "--timezone.")


def test_reschedule_reads_a_local_time_in_the_timezone_given(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", "2027-12-02T09:00:00", "--timezone", "Europe/Paris", "--json")

    assert result.code == 0
    body = result.json()
    assert body["post"]["scheduled_at"] == "2027-12-02T08:00:00+00:00"
    assert body["time_note"] is None


def test_reschedule_into_a_skipped_local_time_moves_forward_and_says_so(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", "2027-03-14T02:30:00", "--timezone", "America/New_York")

    assert result.code == 0
    assert "2027-03-14 07:30:00 UTC (2027-03-14 03:30 EDT)" in result.out
    assert "02:30 does not exist on 2027-03-14 in America/New_York" in result.out


def test_reschedule_with_an_unreadable_time_exits_2_with_a_json_error(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", "next tuesday", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "bad_input"
    assert "not an ISO 8601 time" in result.json()["error"]["message"]


def test_reschedule_into_the_past_exits_2(capsys: pytest.CaptureFixture[str],
                                          connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "reschedule", post_id, "--org", "Acme",
                     "--at", in_hours(-1).isoformat(), "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "bad_input"


def test_cancel_prints_the_canceled_post(capsys: pytest.CaptureFixture[str],
                                         connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "cancel", post_id, "--org", "Acme", "--json")

    assert result.code == 0
    assert (result.json()["post"]["status"], result.json()["post"]["status_reason"]) == (
        "canceled", "canceled by cli")


def test_canceling_a_canceled_post_exits_2_with_the_reason(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)
    run_cli(capsys, "posts", "cancel", post_id, "--org", "Acme")

    result = run_cli(capsys, "posts", "cancel", post_id, "--org", "Acme")

    assert result.code == 2
    assert result.err.strip() == f"error: Post {post_id} cannot be canceled: it was canceled."


def test_cancel_of_an_unknown_post_exits_2(capsys: pytest.CaptureFixture[str],
                                           connection: dict[str, str]) -> None:
    result = run_cli(capsys, "posts", "cancel", "post_nope", "--org", "Acme", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "not_found"


def test_publish_now_without_redis_leaves_the_post_due_for_the_running_scheduler(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)

    body = run_cli(capsys, "posts", "publish-now", post_id, "--org", "Acme", "--json").json()

    assert (body["post"]["status"], body["handed_to"]) == ("scheduled", "scheduler")
    assert datetime.fromisoformat(body["post"]["due_at"]) <= datetime.now(UTC)


def test_publish_now_without_redis_tells_people_the_scheduler_takes_it(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection)

    result = run_cli(capsys, "posts", "publish-now", post_id, "--org", "Acme")

    assert result.code == 0
    assert "the running `postflow up` publishes it" in result.out


def test_publish_now_with_redis_queues_a_message_for_the_workers(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str], redis_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    post_id = submit(connection)
    monkeypatch.setenv("POSTFLOW_REDIS_URL", redis_url)

    body = run_cli(capsys, "posts", "publish-now", post_id, "--org", "Acme", "--json").json()

    assert (body["post"]["status"], body["handed_to"]) == ("queued", "worker")
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.llen("dramatiq:publish") == 1
    finally:
        client.close()


def test_publish_now_of_a_canceled_post_exits_2(capsys: pytest.CaptureFixture[str],
                                                connection: dict[str, str]) -> None:
    post_id = submit(connection)
    run_cli(capsys, "posts", "cancel", post_id, "--org", "Acme")

    result = run_cli(capsys, "posts", "publish-now", post_id, "--org", "Acme", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "invalid_transition"
