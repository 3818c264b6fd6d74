"""``postflow admin``: tenants with plan, usage and status; feature flags the plan checks
honour; suspend and resume; the support view, only with the Owner's leave and audited."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.runtime import Runtime
from postflow.usecases.admin_support import set_support_access
from tests.cli import run_cli, use_cli_env

T = TypeVar("T")


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def with_runtime(work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run ``work`` on a runtime of the same deployment the CLI uses."""

    async def run() -> T:
        rt = await open_runtime(Settings())
        try:
            return await work(rt)
        finally:
            await rt.store.close()

    return asyncio.run(run())


def make_org(capsys: pytest.CaptureFixture[str], name: str = "Acme") -> str:
    org_id: str = run_cli(capsys, "org", "create", name, "--json").json()["organization"]["id"]
    return org_id


def test_tenants_list_shows_plan_usage_and_status(capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)
    run_cli(capsys, "connect", "sandbox", "--org", org_id, "--name", "demo")

    result = run_cli(capsys, "admin", "tenants", "list", "--json")

    assert result.code == 0
    [found] = result.json()["tenants"]
    assert (found["id"], found["plan"], found["status"]) == (org_id, "free", "active")
    assert found["usage"]["connections"] == 1
    assert found["usage"]["connections_allowed"] == 3
    table = run_cli(capsys, "admin", "tenants", "list").out
    assert "POSTS THIS MONTH" in table and "1/3" in table


def test_tenants_show_lists_features_and_support_access(
        capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)

    result = run_cli(capsys, "admin", "tenants", "show", "Acme")

    assert result.code == 0
    assert org_id in result.out
    assert "incoming_hooks on" in result.out and "recurring_posts off" in result.out
    assert "Support access: off" in result.out


def test_a_flag_turns_a_feature_on_over_the_plan(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    org_id = make_org(capsys)
    assert run_cli(capsys, "admin", "flags", "set", org_id, "recurring_posts",
                   "on").code == 0

    show = run_cli(capsys, "admin", "tenants", "show", org_id, "--json").json()["tenant"]
    assert show["features"]["recurring_posts"] is True
    assert show["feature_flags"] == {"recurring_posts": True}


def test_a_flag_turning_hooks_off_refuses_a_new_hook(capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)
    run_cli(capsys, "admin", "flags", "set", org_id, "incoming-hooks", "off")

    refused = run_cli(capsys, "hook", "create", "--org", org_id, "--name", "CI")

    assert refused.code == 2
    assert "turned off for this organization" in refused.err
    run_cli(capsys, "admin", "flags", "set", org_id, "incoming_hooks", "plan")
    assert run_cli(capsys, "hook", "create", "--org", org_id, "--name", "CI").code == 0


def test_an_unknown_feature_is_refused_with_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)
    result = run_cli(capsys, "admin", "flags", "set", org_id, "teleport", "on")
    assert result.code == 2
    assert "incoming_hooks" in result.err


def test_suspend_needs_a_reason_and_resume_lifts_it(capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)
    assert run_cli(capsys, "admin", "suspend", org_id).code == 2

    suspended = run_cli(capsys, "admin", "suspend", org_id, "--reason", "unpaid", "--json")
    assert suspended.json()["organization"]["status"] == "suspended"
    listed = run_cli(capsys, "admin", "tenants", "list", "--json").json()["tenants"][0]
    assert listed["suspension_reason"] == "unpaid"

    resumed = run_cli(capsys, "admin", "resume", org_id, "--json")
    assert resumed.json()["organization"]["status"] == "active"
    actions = [e["action"] for e in
               run_cli(capsys, "audit", "--org", org_id, "--json").json()["events"]]
    assert actions[:2] == ["organization.resumed", "organization.suspended"]


def test_the_support_view_is_refused_while_the_owner_has_not_allowed_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)

    result = run_cli(capsys, "admin", "support", org_id)

    assert result.code == 2
    assert "/postflow settings support on" in result.err
    events = run_cli(capsys, "audit", "--org", org_id, "--json").json()["events"]
    assert "support.viewed" not in [e["action"] for e in events]


def test_the_support_view_shows_connections_and_posts_and_is_audited(
        capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)
    run_cli(capsys, "connect", "sandbox", "--org", org_id, "--name", "demo")
    with_runtime(lambda rt: set_support_access(rt, org_id, True, actor="slack:T1:U1"))

    result = run_cli(capsys, "admin", "support", org_id, "--reason", "ticket 42", "--json")

    assert result.code == 0
    view = result.json()["support_view"]
    assert [c["network"] for c in view["connections"]] == ["sandbox"]
    assert "sealed_tokens" not in result.out
    [latest] = run_cli(capsys, "audit", "--org", org_id, "--limit", "1",
                       "--json").json()["events"]
    assert (latest["action"], latest["actor"]) == ("support.viewed", "operator")
    assert latest["data"] == {"reason": "ticket 42"}


def test_the_support_view_closes_when_the_owner_turns_it_off(
        capsys: pytest.CaptureFixture[str]) -> None:
    org_id = make_org(capsys)
    with_runtime(lambda rt: set_support_access(rt, org_id, True, actor="slack:T1:U1"))
    with_runtime(lambda rt: set_support_access(rt, org_id, False, actor="slack:T1:U1"))

    assert run_cli(capsys, "admin", "support", org_id).code == 2
