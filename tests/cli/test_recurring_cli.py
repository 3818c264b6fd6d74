"""``postflow recurring create|list|show|pause|resume|cancel``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env

#: A default plan with recurring posts, so organizations created by the CLI can use them.
PLANS = """
default = "team"

[[plans]]
key = "team"
name = "Team"
features = ["recurring_posts"]

[plans.limits]
scheduled_posts_per_month = 100
"""


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")
    plans = tmp_path / "plans.toml"
    plans.write_text(PLANS, encoding="utf-8")
    monkeypatch.setenv("POSTFLOW_PLANS_FILE", str(plans))


@pytest.fixture
def conn_id(capsys: pytest.CaptureFixture[str]) -> str:
    run_cli(capsys, "org", "create", "Acme", "--timezone", "America/New_York")
    result = run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo", "--json")
    return str(result.json()["connection"]["id"])


def create(capsys: pytest.CaptureFixture[str], conn_id: str, *args: str) -> dict[str, object]:
    result = run_cli(capsys, "recurring", "create", "--org", "Acme", "--text", "Hello again",
                     "--target", conn_id, *args, "--json")
    assert result.code == 0, result.out + result.err
    created: dict[str, object] = result.json()
    return created


def test_create_prints_the_next_occurrences_and_which_a_dst_gap_shifted(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    created = create(capsys, conn_id, "--weekly", "sun", "--at", "02:30", "--timezone",
                     "America/New_York", "--starts", "2027-03-01")

    series = created["series"]
    assert isinstance(series, dict)
    assert (series["status"], series["rule"]["weekdays"], series["rule"]["at"]) == (
        "active", [6], "02:30")
    upcoming = created["upcoming"]
    assert isinstance(upcoming, list) and len(upcoming) == 5
    assert [o["local_date"] for o in upcoming[:3]] == ["2027-03-07", "2027-03-14", "2027-03-21"]
    assert [o["shifted"] for o in upcoming[:3]] == [None, "nonexistent", None]
    assert upcoming[1]["at"] == "2027-03-14T07:30:00+00:00"
    assert upcoming[1]["at_local"] == "2027-03-14T03:30:00-04:00"
    assert "does not exist" in upcoming[1]["note"]


def test_create_for_people_shows_local_and_utc_times_and_the_shift(
        capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = run_cli(capsys, "recurring", "create", "--org", "Acme", "--text", "Hi",
                     "--target", conn_id, "--weekly", "sun", "--at", "02:30",
                     "--starts", "2027-03-01")

    assert result.code == 0, result.err
    assert "Sun 2027-03-14 03:30 EDT  2027-03-14 07:30:00 UTC  shifted" in result.out
    assert "02:30 does not exist on 2027-03-14 in America/New_York" in result.out


def test_monthly_with_a_count_lists_only_that_many(capsys: pytest.CaptureFixture[str],
                                                   conn_id: str) -> None:
    created = create(capsys, conn_id, "--monthly", "31", "--at", "09:00", "--starts",
                     "2027-01-01", "--count", "3")

    upcoming = created["upcoming"]
    assert isinstance(upcoming, list)
    assert [o["local_date"] for o in upcoming] == ["2027-01-31", "2027-02-28", "2027-03-31"]


def test_list_and_show_the_series(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    series = create(capsys, conn_id, "--weekly", "mon,wed", "--at", "09:00")["series"]
    assert isinstance(series, dict)

    listed = run_cli(capsys, "recurring", "list", "--org", "Acme", "--json")
    shown = run_cli(capsys, "recurring", "show", series["id"], "--org", "Acme", "--json")

    assert [s["id"] for s in listed.json()["series"]] == [series["id"]]
    assert shown.code == 0
    assert shown.json()["series"]["id"] == series["id"]
    assert shown.json()["posts"] == []
    assert len(shown.json()["upcoming"]) == 5


def test_pause_resume_and_cancel(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    series = create(capsys, conn_id, "--weekly", "fri", "--at", "17:00")["series"]
    assert isinstance(series, dict)
    series_id = str(series["id"])

    paused = run_cli(capsys, "recurring", "pause", series_id, "--org", "Acme", "--json")
    resumed = run_cli(capsys, "recurring", "resume", series_id, "--org", "Acme", "--json")
    canceled = run_cli(capsys, "recurring", "cancel", series_id, "--org", "Acme", "--json")
    again = run_cli(capsys, "recurring", "cancel", series_id, "--org", "Acme", "--json")

    assert paused.json()["series"]["status"] == "paused"
    assert resumed.json()["series"]["status"] == "active"
    assert canceled.json()["series"]["status"] == "canceled"
    assert canceled.json()["canceled_posts"] == []
    assert again.code == 2
    assert again.json()["error"]["code"] == "invalid_transition"
    listed = run_cli(capsys, "recurring", "list", "--org", "Acme", "--status", "active",
                     "--json")
    assert listed.json()["series"] == []


@pytest.mark.parametrize(("args", "message"), [
    (["--weekly", "someday", "--at", "09:00"], "not a weekday"),
    (["--monthly", "32", "--at", "09:00"], "1 to 31"),
    (["--weekly", "mon", "--at", "9am"], "HH:MM"),
    (["--weekly", "mon", "--at", "09:00", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
    (["--weekly", "mon", "--at", "09:00", "--until", "2020-01-01"], "end date"),
])
def test_bad_rules_exit_2_with_the_reason(capsys: pytest.CaptureFixture[str], conn_id: str,
                                          args: list[str], message: str) -> None:
    result = run_cli(capsys, "recurring", "create", "--org", "Acme", "--text", "Hi",
                     "--target", conn_id, *args)

    assert result.code == 2
    assert message in result.err


def test_until_and_count_together_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                   conn_id: str) -> None:
    result = run_cli(capsys, "recurring", "create", "--org", "Acme", "--text", "Hi",
                     "--target", conn_id, "--weekly", "mon", "--at", "09:00",
                     "--until", "2027-01-01", "--count", "3")

    assert result.code == 2


def test_a_plan_without_recurring_posts_exits_2_as_json(
        capsys: pytest.CaptureFixture[str], conn_id: str, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    (tmp_path / "plans.toml").write_text(PLANS.replace('["recurring_posts"]', "[]"),
                                         encoding="utf-8")

    result = run_cli(capsys, "recurring", "create", "--org", "Acme", "--text", "Hi",
                     "--target", conn_id, "--weekly", "mon", "--at", "09:00", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "limit_reached"
    assert "does not include recurring posts" in result.json()["error"]["message"]


def test_an_unknown_series_exits_2(capsys: pytest.CaptureFixture[str], conn_id: str) -> None:
    result = run_cli(capsys, "recurring", "show", "rec_nope", "--org", "Acme", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "not_found"
