from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli import run_cli, use_cli_env
from tests.conftest import TEST_SECRET_KEY


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_cli_env(monkeypatch, tmp_path / "var")


def test_keys_reseal_counts_connection_tokens_and_hook_secrets(
        capsys: pytest.CaptureFixture[str]) -> None:
    run_cli(capsys, "org", "create", "Acme")
    run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo")
    run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci")

    human = run_cli(capsys, "keys", "reseal")
    as_json = run_cli(capsys, "keys", "reseal", "--json")

    assert human.code == 0
    assert "Resealed 2 secrets" in human.out
    assert as_json.json() == {"resealed": 2}


def test_resealed_secrets_open_under_the_new_key(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    run_cli(capsys, "org", "create", "Acme")
    run_cli(capsys, "connect", "sandbox", "--org", "Acme", "--name", "demo")
    old_key = "old-secret-key-0123456789abcdefgh"
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", old_key)
    run_cli(capsys, "hook", "create", "--org", "Acme", "--name", "ci")
    monkeypatch.setenv("POSTFLOW_SECRET_KEY", "new-secret-key-0123456789abcdefgh")
    monkeypatch.setenv("POSTFLOW_PREVIOUS_SECRET_KEYS", f"{old_key},{TEST_SECRET_KEY}")

    assert run_cli(capsys, "keys", "reseal", "--json").json() == {"resealed": 2}

    monkeypatch.delenv("POSTFLOW_PREVIOUS_SECRET_KEYS")
    assert run_cli(capsys, "keys", "reseal", "--json").json() == {"resealed": 2}
