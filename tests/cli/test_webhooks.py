"""``postflow webhook``: endpoints, their secret shown once, the delivery log and replays."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.usecases.webhook_events import WebhookEmitter
from postflow.webhooks.event_types import WebhookEventType
from postflow.webhooks.sending import SweptLater
from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture
def org(capsys: pytest.CaptureFixture[str]) -> str:
    return str(run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"])


def add(capsys: pytest.CaptureFixture[str], *events: str) -> dict[str, object]:
    result = run_cli(capsys, "webhook", "add", "--org", "Acme", "--url",
                     "https://example.com/in", "--events", ",".join(events), "--json")
    assert result.code == 0, result.err
    body: dict[str, object] = result.json()
    return body


def test_add_prints_the_secret_once_and_list_never(capsys: pytest.CaptureFixture[str],
                                                   org: str) -> None:
    human = run_cli(capsys, "webhook", "add", "--org", "Acme", "--url",
                    "https://example.com/in", "--events", "post.published,post.failed")
    secret = next(line for line in human.out.splitlines() if line.startswith("Secret:"))

    listed = run_cli(capsys, "webhook", "list", "--org", "Acme")

    assert "only once" in human.out and secret.split()[-1].startswith("whsec_")
    assert "post.published,post.failed" in listed.out
    assert secret.split()[-1] not in listed.out


def test_an_unknown_event_is_refused_naming_the_known_ones(capsys: pytest.CaptureFixture[str],
                                                           org: str) -> None:
    result = run_cli(capsys, "webhook", "add", "--org", "Acme", "--url",
                     "https://example.com/in", "--events", "post.deleted")

    assert result.code != 0 and "connection.broken" in result.err


def test_disable_enable_and_remove(capsys: pytest.CaptureFixture[str], org: str) -> None:
    endpoint_id = add(capsys, "post.published")["endpoint"]["id"]  # type: ignore[index]

    disabled = run_cli(capsys, "webhook", "disable", endpoint_id, "--org", "Acme", "--json")
    enabled = run_cli(capsys, "webhook", "enable", endpoint_id, "--org", "Acme", "--json")
    removed = run_cli(capsys, "webhook", "remove", endpoint_id, "--org", "Acme")
    listed = run_cli(capsys, "webhook", "list", "--org", "Acme", "--json")

    assert disabled.json()["endpoint"]["disabled"] is True
    assert enabled.json()["endpoint"]["disabled"] is False
    assert removed.code == 0 and listed.json()["endpoints"] == []


def test_replay_records_a_new_delivery_of_the_same_event(capsys: pytest.CaptureFixture[str],
                                                         org: str) -> None:
    add(capsys, "post.published")

    async def emit() -> str:
        rt = await open_runtime(Settings())
        try:
            event = await WebhookEmitter(rt.store, rt.clock, SweptLater()).emit(
                org, WebhookEventType.POST_PUBLISHED, {"object": "post", "id": "post_1"})
            assert event is not None
            return event.id
        finally:
            await rt.store.close()

    event_id = asyncio.run(emit())

    replayed = run_cli(capsys, "webhook", "replay", event_id, "--org", "Acme")
    log = run_cli(capsys, "webhook", "deliveries", "--org", "Acme", "--event", event_id,
                  "--json")

    assert replayed.code == 0, replayed.err
    deliveries = log.json()["deliveries"]
    assert [d["replay"] for d in deliveries] == [True, False]
    assert {d["status"] for d in deliveries} == {"pending"}
