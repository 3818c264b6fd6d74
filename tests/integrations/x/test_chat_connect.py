"""``/postflow connect x`` gives the same single-use link as ``postflow connect x``."""

from __future__ import annotations

from pathlib import Path

import pytest

from postflow.chatops.commands import run_command
from postflow.config import Settings
from postflow.runtime import Runtime
from tests.conftest import TEST_SECRET_KEY
from tests.postflow.chatops import conftest as chatops_fixtures
from tests.postflow.chatops.conftest import Team

#: The chat-ops ``team`` fixture: an organization with one member per role.
team = chatops_fixtures.team


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                    public_url="https://postflow.example", x_client_id="chat-client",
                    x_client_secret="chat-secret")  # type: ignore[arg-type]


async def test_connect_x_in_chat_answers_the_link_to_the_asker_only(rt: Runtime,
                                                                     team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "connect x")

    assert "https://postflow.example/oauth/x/start?state=" in reply.text
    assert not reply.public and not reply.error


async def test_connect_x_in_chat_needs_the_admin_role(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.member, "connect x")

    assert "/oauth/x/start" not in reply.text
