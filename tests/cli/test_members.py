"""``postflow member list|email set|prefs``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.organizations import ChatIdentity, Role
from postflow.usecases.organizations import add_member, create_organization
from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture
def org_with_admin() -> tuple[str, str]:
    async def make() -> tuple[str, str]:
        rt = await open_runtime(Settings())
        try:
            org = await create_organization(rt, "Acme", actor="test")
            member = await add_member(rt, org.id, ChatIdentity(
                platform="slack", workspace_id="T1", user_id="UADA"), Role.ADMIN, actor="test",
                display_name="Ada")
            return org.id, member.id
        finally:
            await rt.store.close()

    return asyncio.run(make())


def test_member_list_json_has_roles_and_mail(capsys: pytest.CaptureFixture[str],
                                             org_with_admin: tuple[str, str]) -> None:
    result = run_cli(capsys, "member", "list", "--org", "Acme", "--json")

    [member] = result.json()["members"]
    assert (member["id"], member["role"], member["email"]) == (org_with_admin[1], "admin", None)
    assert member["email_preferences"]["digest"] == "weekly"


def test_email_set_mails_a_confirmation_to_the_outbox(capsys: pytest.CaptureFixture[str],
                                                      org_with_admin: tuple[str, str],
                                                      tmp_path: Path) -> None:
    result = run_cli(capsys, "member", "email", "set", "--org", "Acme", "--member", "UADA",
                     "--email", "ada@example.test")

    assert result.code == 0 and "confirmation link to ada@example.test" in result.out
    [mail] = (tmp_path / "var" / "outbox").glob("*.eml")
    assert "/email/confirm?token=" in mail.read_text()
    listed = run_cli(capsys, "member", "list", "--org", "Acme")
    assert "ada@example.test (unconfirmed)" in listed.out


def test_prefs_turn_kinds_off_and_choose_the_digest(capsys: pytest.CaptureFixture[str],
                                                    org_with_admin: tuple[str, str]) -> None:
    result = run_cli(capsys, "member", "prefs", "--org", "Acme", "--member",
                     org_with_admin[1], "--off", "failures", "--digest", "none", "--json")

    prefs = result.json()["member"]["email_preferences"]
    assert prefs == {"immediate": ["connections", "security"], "digest": "none",
                     "chosen": True}


def test_prefs_set_the_zone_the_digest_comes_in(capsys: pytest.CaptureFixture[str],
                                                org_with_admin: tuple[str, str]) -> None:
    result = run_cli(capsys, "member", "prefs", "--org", "Acme", "--member",
                     org_with_admin[1], "--timezone", "America/New_York", "--json")
    bad = run_cli(capsys, "member", "prefs", "--org", "Acme", "--member",
                  org_with_admin[1], "--timezone", "Nowhere/Atall")

    assert result.json()["member"]["timezone"] == "America/New_York"
    assert bad.code == 2 and "IANA time zone" in bad.err


def test_an_unknown_member_exits_2_and_says_how_to_list(
        capsys: pytest.CaptureFixture[str], org_with_admin: tuple[str, str]) -> None:
    result = run_cli(capsys, "member", "prefs", "--org", "Acme", "--member", "UNOBODY")

    assert result.code == 2 and "postflow member list" in result.err


def test_email_list_shows_recorded_mail_without_its_links(
        capsys: pytest.CaptureFixture[str], org_with_admin: tuple[str, str]) -> None:
    run_cli(capsys, "member", "email", "set", "--org", "Acme", "--member", "UADA",
            "--email", "ada@example.test")

    result = run_cli(capsys, "email", "list", "--org", "Acme", "--json")

    [email] = result.json()["emails"]
    assert (email["kind"], email["to"], email["status"]) == (
        "confirm_address", "ada@example.test", "sent")
    assert "token" not in result.out


def test_unsuppress_mails_an_address_again(capsys: pytest.CaptureFixture[str]) -> None:
    from postflow.email.message import EmailSuppression, SuppressionReason
    from tests.postflow.store.factories import T0

    async def suppress() -> None:
        rt = await open_runtime(Settings())
        try:
            await rt.store.suppress_email_address(EmailSuppression(
                address="gone@example.test", reason=SuppressionReason.BOUNCE, at=T0))
        finally:
            await rt.store.close()

    asyncio.run(suppress())

    assert "mails gone@example.test again" in run_cli(
        capsys, "email", "unsuppress", "Gone@example.test").out
    assert "was not suppressed" in run_cli(capsys, "email", "unsuppress",
                                           "gone@example.test").out
