from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from composition.runtime import open_runtime
from postflow.attempts import AttemptOutcome, PublishAttempt
from postflow.config import Settings
from postflow.ids import new_id
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


def submit(connection: dict[str, str], text: str, *, review: bool = False,
           failed_attempt: bool = False) -> str:
    """Create a post the way a hook would (settings from the same env as the CLI)."""

    async def go() -> str:
        rt = await open_runtime(Settings())
        try:
            post = await submit_post(
                rt, connection["org_id"], PostRequest(text=text, targets=[connection["id"]]),
                source=PostSource(kind="hook", ref="hook_test"), actor="hook:hook_test",
                review_required=review)
            if failed_attempt:
                attempt = PublishAttempt(
                    id=new_id("att"), org_id=post.org_id, post_id=post.id,
                    connection_id=connection["id"], network="sandbox", trigger="publish_now",
                    started_at=rt.clock.now())
                await rt.store.insert_attempt(attempt)
                await rt.store.finish_attempt(attempt.model_copy(update={
                    "outcome": AttemptOutcome.RETRY, "finished_at": rt.clock.now(),
                    "error_kind": "rate_limited", "error_message": "slow down"}))
            return post.id
        finally:
            await rt.store.close()

    return asyncio.run(go())


def test_posts_list_shows_submitted_posts_newest_first(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    first = submit(connection, "first post")
    second = submit(connection, "second post")

    human = run_cli(capsys, "posts", "list", "--org", "Acme")
    as_json = run_cli(capsys, "posts", "list", "--org", "Acme", "--json")

    assert human.code == 0
    assert first in human.out and "second post" in human.out
    assert [p["id"] for p in as_json.json()["posts"]] == [second, first]


def test_posts_list_filters_by_status_and_limits(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    scheduled = submit(connection, "goes out")
    in_review = submit(connection, "waits", review=True)

    only_review = run_cli(capsys, "posts", "list", "--org", "Acme", "--status", "in_review",
                          "--json").json()["posts"]
    both = run_cli(capsys, "posts", "list", "--org", "Acme", "--status", "in_review",
                   "--status", "scheduled", "--json").json()["posts"]
    limited = run_cli(capsys, "posts", "list", "--org", "Acme", "--limit", "1",
                      "--json").json()["posts"]

    assert [p["id"] for p in only_review] == [in_review]
    assert {p["id"] for p in both} == {scheduled, in_review}
    assert len(limited) == 1


def test_posts_list_refuses_an_unknown_status(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "posts", "list", "--org", "Acme", "--status", "bogus")

    assert result.code == 2
    assert "--status" in result.err


def test_posts_show_prints_targets_attempts_and_audit_trail(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection, "hello world", failed_attempt=True)

    result = run_cli(capsys, "posts", "show", post_id, "--org", "Acme")

    assert result.code == 0
    assert f"Post {post_id}: scheduled" in result.out
    assert "hello world" in result.out
    assert connection["id"] in result.out
    assert "rate_limited: slow down" in result.out
    assert "post.created" in result.out and "draft > approved > scheduled" in result.out


def test_posts_show_json_holds_post_attempts_and_audit(
        capsys: pytest.CaptureFixture[str], connection: dict[str, str]) -> None:
    post_id = submit(connection, "hello world", failed_attempt=True)

    body = run_cli(capsys, "posts", "show", post_id, "--org", "Acme", "--json").json()

    assert body["post"]["id"] == post_id
    assert body["post"]["targets"][0]["connection_id"] == connection["id"]
    assert [a["outcome"] for a in body["attempts"]] == ["retry"]
    assert [(e["action"], e["data"]["status"]) for e in body["audit"]] == [
        ("post.created", "scheduled")]


def test_posts_show_of_unknown_post_exits_2(capsys: pytest.CaptureFixture[str],
                                            connection: dict[str, str]) -> None:
    result = run_cli(capsys, "posts", "show", "post_nope", "--org", "Acme", "--json")

    assert result.code == 2
    assert result.json()["error"]["code"] == "not_found"
