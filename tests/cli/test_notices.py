"""``postflow notices list|read``: members' notification centers from the shell, as JSON."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.notices.events import PostFailed, PostPublished
from postflow.organizations import ChatIdentity, Role
from postflow.posts import PostStatus
from postflow.usecases.organizations import add_member
from tests.cli import run_cli, use_cli_env
from tests.postflow.store.factories import make_post


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


@dataclass(frozen=True)
class Seeded:
    org_id: str
    author_id: str
    admin_id: str
    other_org_id: str


def slack(user_id: str) -> ChatIdentity:
    return ChatIdentity(platform="slack", workspace_id="T1", user_id=user_id)


@pytest.fixture
def seeded(capsys: pytest.CaptureFixture[str]) -> Seeded:
    """Acme with an Admin and a Member who wrote a published and a failed post; Other with a
    member of the same chat identity as Acme's author."""
    org_id = run_cli(capsys, "org", "create", "Acme", "--json").json()["organization"]["id"]
    other_id = run_cli(capsys, "org", "create", "Other", "--json").json()["organization"]["id"]

    async def go() -> Seeded:
        rt = await open_runtime(Settings())
        try:
            admin = await add_member(rt, org_id, slack("UADMIN"), Role.ADMIN, actor="test")
            author = await add_member(rt, org_id, slack("UAUTHOR"), Role.MEMBER, actor="test")
            await add_member(rt, other_id, slack("UAUTHOR"), Role.OWNER, actor="test")
            await rt.notices.notify(PostPublished(make_post(
                org_id, status=PostStatus.PUBLISHED, created_by="slack:T1:UAUTHOR")))
            await rt.notices.notify(PostFailed(make_post(
                org_id, status=PostStatus.FAILED, created_by="slack:T1:UAUTHOR",
                status_reason="the network refused it")))
            return Seeded(org_id, author.id, admin.id, other_id)
        finally:
            await rt.store.close()

    return asyncio.run(go())


def test_list_for_a_member_named_by_chat_identity(
        capsys: pytest.CaptureFixture[str], seeded: Seeded) -> None:
    result = run_cli(capsys, "notices", "list", "--org", "Acme", "--member", "slack:T1:UAUTHOR",
                     "--json")

    assert result.code == 0
    notices = result.json()["notices"]
    assert sorted(n["kind"] for n in notices) == ["post.failed", "post.published"]
    assert {n["member_id"] for n in notices} == {seeded.author_id}
    assert all(n["unread"] and n["read_at"] is None for n in notices)
    assert notices[0]["member"]["identity"] == "slack:T1:UAUTHOR"


def test_list_for_the_organization_names_each_receiver(
        capsys: pytest.CaptureFixture[str], seeded: Seeded) -> None:
    notices = run_cli(capsys, "notices", "list", "--org", seeded.org_id,
                      "--json").json()["notices"]

    assert sorted((n["member_id"], n["kind"]) for n in notices) == sorted([
        (seeded.author_id, "post.published"), (seeded.author_id, "post.failed"),
        (seeded.admin_id, "post.failed")])


def test_read_marks_a_members_notices_read_and_unread_lists_the_rest(
        capsys: pytest.CaptureFixture[str], seeded: Seeded) -> None:
    read = run_cli(capsys, "notices", "read", "--org", "Acme", "--member", seeded.author_id,
                   "--json")

    assert read.json() == {"member_id": seeded.author_id, "marked_read": 2}
    unread = run_cli(capsys, "notices", "list", "--org", "Acme", "--unread",
                     "--json").json()["notices"]
    assert [(n["member_id"], n["kind"]) for n in unread] == [(seeded.admin_id, "post.failed")]


def test_another_organization_sees_none_of_these_notices(
        capsys: pytest.CaptureFixture[str], seeded: Seeded) -> None:
    same_person = run_cli(capsys, "notices", "list", "--org", "Other", "--member",
                          "slack:T1:UAUTHOR", "--json")
    by_id = run_cli(capsys, "notices", "list", "--org", "Other", "--member",
                    seeded.author_id, "--json")

    assert same_person.json() == {"notices": []}
    assert by_id.code == 2 and by_id.json()["error"]["code"] == "not_found"


def test_the_human_listing_is_a_table(capsys: pytest.CaptureFixture[str],
                                      seeded: Seeded) -> None:
    result = run_cli(capsys, "notices", "list", "--org", "Acme", "--member",
                     "slack:T1:UAUTHOR")

    assert result.out.splitlines()[0].split() == ["ID", "MEMBER", "KIND", "CREATED", "READ",
                                                  "TEXT"]
    assert "unread" in result.out
