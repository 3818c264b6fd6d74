"""``postflow member invite|invitations|revoke-invite``, and invited members in
``postflow member list --json``."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.mailing.invitations import accept_by_email, form_token
from postflow.usecases.oauth_states import new_browser_key
from postflow.usecases.organizations import create_organization
from tests.cli import run_cli, use_cli_env


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@pytest.fixture(autouse=True)
def org() -> str:
    async def make() -> str:
        rt = await open_runtime(Settings())
        try:
            return (await create_organization(rt, "Acme", actor="test")).id
        finally:
            await rt.store.close()

    return asyncio.run(make())


def accept(url: str) -> None:
    async def work() -> None:
        rt = await open_runtime(Settings())
        try:
            token = parse_qs(urlsplit(url).query)["token"][0]
            browser = new_browser_key()
            await accept_by_email(rt, token, csrf=form_token(rt, token, browser),
                                  browser_key=browser, display_name="Ada")
        finally:
            await rt.store.close()

    asyncio.run(work())


def test_invite_mails_the_invitation_to_the_outbox(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    result = run_cli(capsys, "member", "invite", "--org", "Acme", "--email",
                     "ada@example.test", "--role", "owner", "--json")

    assert result.code == 0
    invitation = result.json()["invitation"]
    assert (invitation["email"], invitation["role"], invitation["state"]) == (
        "ada@example.test", "owner", "pending")
    [mail] = (tmp_path / "var" / "outbox").glob("*.eml")
    assert "/invitations/accept?token=" in mail.read_text()


def test_invitations_lists_the_pending_ones(capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "member", "invite", "--org", "Acme", "--email", "ada@example.test")

    listed = run_cli(capsys, "member", "invitations", "--org", "Acme", "--json")

    [invitation] = listed.json()["invitations"]
    assert (invitation["email"], invitation["role"]) == ("ada@example.test", "member")


def test_revoke_invite_revokes_it(capsys: pytest.CaptureFixture[str]) -> None:
    sent = run_cli(capsys, "member", "invite", "--org", "Acme", "--email",
                   "ada@example.test", "--json").json()["invitation"]

    revoked = run_cli(capsys, "member", "revoke-invite", "--org", "Acme", "--id", sent["id"])
    listed = run_cli(capsys, "member", "invitations", "--org", "Acme", "--all", "--json")

    assert revoked.code == 0 and "revoked" in revoked.out
    assert [i["state"] for i in listed.json()["invitations"]] == ["revoked"]
    assert run_cli(capsys, "member", "revoke-invite", "--org", "Acme", "--id",
                   sent["id"]).code != 0


def test_a_bad_role_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "member", "invite", "--org", "Acme", "--email",
                     "ada@example.test", "--role", "boss")

    assert result.code != 0 and "not a role" in result.err


def test_an_email_only_member_lists_as_such(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    run_cli(capsys, "member", "invite", "--org", "Acme", "--email", "ada@example.test",
            "--role", "admin")
    [mail] = (tmp_path / "var" / "outbox").glob("*.eml")
    text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(
        ("plain",)).get_content()  # type: ignore[attr-defined]
    link = next(w for w in text.split() if "/invitations/accept?token=" in w)
    accept(link)

    [member] = run_cli(capsys, "member", "list", "--org", "Acme", "--json").json()["members"]

    assert (member["role"], member["display_name"], member["email_only"]) == (
        "admin", "Ada", True)
    assert member["identities"] == [{"platform": "email", "workspace_id": "",
                                     "user_id": "ada@example.test"}]
    assert member["email"]["confirmed"] is True


def test_billing_link_mails_an_email_only_owner_a_billing_page_link(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run_cli(capsys, "member", "invite", "--org", "Acme", "--email", "bo@example.test",
            "--role", "owner")
    [mail] = (tmp_path / "var" / "outbox").glob("*.eml")
    text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(
        ("plain",)).get_content()  # type: ignore[attr-defined]
    accept(next(w for w in text.split() if "/invitations/accept?token=" in w))

    result = run_cli(capsys, "member", "billing-link", "--org", "Acme", "--member",
                     "bo@example.test")

    assert result.code == 0 and "billing page link to bo@example.test" in result.out
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (tmp_path / "var" / "outbox").glob("*.eml")]
    [billing] = [m for m in mails if "billing page" in m["Subject"]]
    assert billing["To"] == "bo@example.test"
    assert "/billing?token=" in billing.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_billing_link_is_refused_for_a_non_owner(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    run_cli(capsys, "member", "invite", "--org", "Acme", "--email", "ada@example.test")
    [mail] = (tmp_path / "var" / "outbox").glob("*.eml")
    text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_body(
        ("plain",)).get_content()  # type: ignore[attr-defined]
    accept(next(w for w in text.split() if "/invitations/accept?token=" in w))

    result = run_cli(capsys, "member", "billing-link", "--org", "Acme", "--member",
                     "ada@example.test")

    assert result.code != 0 and "Only an Owner" in result.err
