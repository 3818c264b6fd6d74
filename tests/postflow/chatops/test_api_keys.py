"""``/postflow apikey``: Owners and Admins create, list and revoke API keys from chat."""

from __future__ import annotations

import pytest

from postflow.chatops.commands import run_command
from postflow.organizations import Role
from postflow.runtime import Runtime
from tests.postflow.chatops.conftest import Team


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
async def test_an_admin_creates_a_key_shown_only_to_them(rt: Runtime, team: Team,
                                                         role: Role) -> None:
    reply = await run_command(rt, None, team.by_role(role),
                              "apikey create cms posts:read,posts:write")

    assert not reply.error and not reply.public
    keys = await rt.store.list_api_keys(team.org.id)
    assert [(k.name, [s.value for s in k.scopes]) for k in keys] == \
        [("cms", ["posts:read", "posts:write"])]
    token = next(word.strip("`") for word in reply.text.split() if word.startswith("`pf_"))
    assert token.startswith(f"pf_{keys[0].id}_")


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
async def test_members_and_viewers_may_not_manage_keys(rt: Runtime, team: Team,
                                                       role: Role) -> None:
    reply = await run_command(rt, None, team.by_role(role), "apikey create cms posts:read")

    assert reply.error and "Admin" in reply.text
    assert await rt.store.list_api_keys(team.org.id) == []


async def test_list_shows_keys_without_their_secrets(rt: Runtime, team: Team) -> None:
    created = await run_command(rt, None, team.admin, "apikey create cms posts:read")
    secret = next(w for w in created.text.split() if w.startswith("`pf_")).strip("`")

    reply = await run_command(rt, None, team.owner, "apikey list")

    shown = reply.text + " ".join(i.title + " ".join(i.lines) for i in reply.items)
    assert "cms" in shown and "posts:read" in shown
    assert secret.rsplit("_", 1)[1] not in shown


async def test_revoke_revokes_and_an_unknown_scope_is_explained(rt: Runtime,
                                                                team: Team) -> None:
    await run_command(rt, None, team.admin, "apikey create cms posts:read")
    key = (await rt.store.list_api_keys(team.org.id))[0]

    revoked = await run_command(rt, None, team.admin, f"apikey revoke {key.id}")
    unknown = await run_command(rt, None, team.admin, "apikey create x posts:delete")
    bare = await run_command(rt, None, team.admin, "apikey")

    assert not revoked.error
    assert (await rt.store.list_api_keys(team.org.id))[0].revoked
    assert unknown.error and "usage:read" in unknown.text
    assert bare.error and "apikey create" in bare.text
