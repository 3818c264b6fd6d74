"""Item 3: hook secrets. ``rotate`` keeps the old secret for a grace period (none with
``--grace 0``), never more than two secrets are valid, and a disabled or deleted hook refuses
posts without telling a stranger more than an unknown hook does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from postflow.organizations import Organization
from postflow.runtime import Runtime
from postflow.usecases.hooks import (
    delete_hook,
    rotate_hook_secret,
    set_hook_disabled,
)
from tests.cli import run_cli, use_cli_env
from tests.fakes.clock import ManualClock
from tests.hub.conftest import Sender, error_code
from tests.security.hook_fixtures import *  # noqa: F403


async def _accepted(sender: Sender, secret: str, text: str) -> int:
    """The status of a post signed with ``secret`` (each text is a new request)."""
    return (await sender.post(sender.body(text=text), secret=secret)).status


# -- rotation, through the real route ---------------------------------------------------------

async def test_old_secret_works_during_the_grace_and_is_refused_after(
        sender: Sender, rt: Runtime, org: Organization, clock: ManualClock) -> None:
    old = sender.hook.secret
    rotated = await rotate_hook_secret(rt, org.id, sender.hook.hook.id, actor="test",
                                       grace=timedelta(hours=1))

    assert await _accepted(sender, old, "old, in the grace") == 202
    assert await _accepted(sender, rotated.secret, "new") == 202
    clock.advance(3600 + 1)
    assert await _accepted(sender, old, "old, after the grace") == 401
    assert await _accepted(sender, rotated.secret, "new, later") == 202


async def test_zero_grace_revokes_the_old_secret_at_once(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    old = sender.hook.secret
    rotated = await rotate_hook_secret(rt, org.id, sender.hook.hook.id, actor="test",
                                       grace=timedelta(0))

    assert rotated.hook.sealed_previous_secret is None
    assert await _accepted(sender, old, "old") == 401
    assert await _accepted(sender, rotated.secret, "new") == 202


async def test_rotating_twice_leaves_only_the_two_newest_secrets_valid(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    first = sender.hook.secret
    second = await rotate_hook_secret(rt, org.id, sender.hook.hook.id, actor="test")
    third = await rotate_hook_secret(rt, org.id, sender.hook.hook.id, actor="test")

    assert await _accepted(sender, first, "first") == 401
    assert await _accepted(sender, second.secret, "second") == 202
    assert await _accepted(sender, third.secret, "third") == 202


# -- disable, enable, delete -------------------------------------------------------------------

async def test_a_disabled_hook_refuses_a_signed_post_with_403_and_creates_nothing(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await set_hook_disabled(rt, org.id, sender.hook.hook.id, True, actor="test")

    response = await sender.post()

    assert response.status == 403
    assert await error_code(response) == "hook_disabled"
    assert "disabled" in (await response.json())["error"]["message"]
    assert await rt.store.list_posts(org.id) == []


async def test_a_disabled_hook_answers_a_stranger_as_an_unknown_hook_does(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await set_hook_disabled(rt, org.id, sender.hook.hook.id, True, actor="test")

    forged = await sender.post(secret="whsec_not_the_secret")
    unknown = await sender.post(hook_id="hook_doesnotexist")

    assert forged.status == unknown.status == 404
    assert (await forged.json()) == (await unknown.json())


async def test_an_enabled_hook_accepts_posts_again(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await set_hook_disabled(rt, org.id, sender.hook.hook.id, True, actor="test")
    await set_hook_disabled(rt, org.id, sender.hook.hook.id, False, actor="test")

    assert (await sender.post()).status == 202


async def test_a_deleted_hook_is_gone_for_good(sender: Sender, rt: Runtime,
                                               org: Organization) -> None:
    await delete_hook(rt, org.id, sender.hook.hook.id, actor="test")

    response = await sender.post()

    assert response.status == 404
    assert await rt.store.find_hook(sender.hook.hook.id) is None
    assert await rt.store.list_posts(org.id) == []


# -- the commands --------------------------------------------------------------------------------

@pytest.fixture
def cli_hook(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
             capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    use_cli_env(monkeypatch, tmp_path / "cli")
    run_cli(capsys, "org", "create", "Acme", "--json")
    created = run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci", "--json").json()
    return {"id": created["hook"]["id"], "secret": created["secret"]}


def _expires(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def test_rotate_grace_sets_how_long_the_old_secret_works(
        capsys: pytest.CaptureFixture[str], cli_hook: dict[str, str]) -> None:
    before = datetime.now().astimezone()
    result = run_cli(capsys, "hook", "rotate", cli_hook["id"], "--org", "Acme", "--grace", "2h",
                     "--json")

    assert result.code == 0, result.err
    body = result.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != cli_hook["secret"]
    expires = _expires(body["hook"]["previous_secret_expires_at"])
    assert expires is not None
    assert timedelta(hours=2) <= expires - before < timedelta(hours=2, minutes=1)


def test_rotate_with_grace_zero_keeps_no_old_secret(
        capsys: pytest.CaptureFixture[str], cli_hook: dict[str, str]) -> None:
    result = run_cli(capsys, "hook", "rotate", cli_hook["id"], "--org", "Acme", "--grace", "0",
                     "--json")

    assert result.code == 0, result.err
    assert result.json()["hook"]["previous_secret_expires_at"] is None
    human = run_cli(capsys, "hook", "rotate", cli_hook["id"], "--org", "Acme", "--grace", "0")
    assert "old secret no longer works" in human.out


@pytest.mark.parametrize("grace", ["soon", "-1h", "5w", "31d"])
def test_rotate_refuses_a_grace_it_cannot_read(
        capsys: pytest.CaptureFixture[str], cli_hook: dict[str, str], grace: str) -> None:
    result = run_cli(capsys, "hook", "rotate", cli_hook["id"], "--org", "Acme",
                     f"--grace={grace}")

    assert result.code == 2
    assert "--grace" in result.err and "24h" in result.err


def test_disable_enable_and_delete_commands(capsys: pytest.CaptureFixture[str],
                                            cli_hook: dict[str, str]) -> None:
    def listed() -> list[dict[str, object]]:
        hooks: list[dict[str, object]] = run_cli(
            capsys, "hook", "list", "--org", "Acme", "--json").json()["hooks"]
        return hooks

    disabled = run_cli(capsys, "hook", "disable", cli_hook["id"], "--org", "Acme")
    assert disabled.code == 0 and "disabled" in disabled.out
    assert listed()[0]["disabled"] is True
    assert run_cli(capsys, "hook", "enable", cli_hook["id"], "--org", "Acme").code == 0
    assert listed()[0]["disabled"] is False
    deleted = run_cli(capsys, "hook", "delete", cli_hook["id"], "--org", "Acme")
    assert deleted.code == 0 and "deleted" in deleted.out
    assert listed() == []
    again = run_cli(capsys, "hook", "delete", cli_hook["id"], "--org", "Acme")
    assert again.code == 2 and "No hook" in again.err
    assert cli_hook["secret"] not in disabled.out + deleted.out
