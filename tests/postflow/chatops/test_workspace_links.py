"""``/postflow link``: one organization on two platforms, one member with two identities.

The second platform is ``discord`` here: the model and the chat-ops layer carry no Slack."""

from __future__ import annotations

import re

from postflow.chatops.callers import Caller, resolve_member
from postflow.chatops.commands import run_command
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.chatops.notice_actions import EditDraft, edit_draft
from postflow.organizations import ChatIdentity, Role
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import add_member, change_plan, link_workspace
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.postflow.chatops.conftest import Team


def on_discord(user_id: str = "D1", guild: str = "G1") -> Caller:
    return Caller(identity=ChatIdentity(platform="discord", workspace_id=guild, user_id=user_id),
                  display_name="ada")


async def code_for(rt: Runtime, owner: Caller) -> str:
    reply = await run_command(rt, None, owner, "link")
    assert not reply.error, reply.text
    found = re.search(r"`/postflow link (\S+)`", reply.text)
    assert found is not None, reply.text
    return found.group(1)


async def test_an_owner_gets_a_code_that_says_how_and_until_when(rt: Runtime,
                                                                  team: Team) -> None:
    reply = await run_command(rt, None, team.owner, "link")

    assert not reply.error and not reply.public
    assert "within 15 minutes" in reply.text and "/postflow link " in reply.text


async def test_only_an_owner_gets_a_code(rt: Runtime, team: Team) -> None:
    reply = await run_command(rt, None, team.admin, "link")

    assert reply.error
    assert "Owner" in reply.text and "/postflow link " not in reply.text


async def test_the_code_links_the_other_platform_and_the_person_becomes_one_member(
        rt: Runtime, team: Team) -> None:
    code = await code_for(rt, team.owner)
    members_before = await rt.store.count_members(team.org.id)

    reply = await run_command(rt, None, on_discord(), f"link {code}")

    assert not reply.error, reply.text
    assert "linked to Acme" in reply.text
    workspace = await rt.store.find_workspace("discord", "G1")
    assert workspace is not None and workspace.org_id == team.org.id
    there = await resolve_member(rt, on_discord())
    here = await resolve_member(rt, team.owner)
    assert there.member.id == here.member.id and there.member.role is Role.OWNER
    assert there.member.identities == (team.owner.identity, on_discord().identity)
    assert await rt.store.count_members(team.org.id) == members_before


async def test_a_code_is_used_once(rt: Runtime, team: Team) -> None:
    code = await code_for(rt, team.owner)
    await run_command(rt, None, on_discord(guild="G1"), f"link {code}")

    again = await run_command(rt, None, on_discord(guild="G2"), f"link {code}")

    assert again.error and "already used" in again.text
    assert await rt.store.find_workspace("discord", "G2") is None


async def test_an_expired_code_is_refused(rt: Runtime, team: Team, clock: ManualClock) -> None:
    code = await code_for(rt, team.owner)
    clock.advance(15 * 60 + 1)

    reply = await run_command(rt, None, on_discord(), f"link {code}")

    assert reply.error and "expired" in reply.text and "/postflow link" in reply.text
    assert await rt.store.find_workspace("discord", "G1") is None


async def test_a_malformed_code_is_refused(rt: Runtime, team: Team) -> None:
    code = await code_for(rt, team.owner)

    for bad in ("nonsense", code[:-2] + "xx", "a.b.c", code + " extra"):
        reply = await run_command(rt, None, on_discord(), f"link {bad}")
        assert reply.error, bad
        assert "Traceback" not in reply.text
    assert await rt.store.find_workspace("discord", "G1") is None


async def test_a_workspace_of_an_organization_with_its_own_data_is_not_linked(
        rt: Runtime, team: Team) -> None:
    theirs = await link_or_create(rt, "discord", "G1", "Guild", WorkspaceOwner(
        on_discord().identity), actor="test")
    await connect_sandbox(rt, theirs.org.id, "guild", actor="test")
    code = await code_for(rt, team.owner)

    reply = await run_command(rt, None, on_discord(), f"link {code}")

    assert reply.error and "Guild" in reply.text and "stays there" in reply.text
    workspace = await rt.store.find_workspace("discord", "G1")
    assert workspace is not None and workspace.org_id == theirs.org.id
    retried = await run_command(rt, None, on_discord(guild="G2"), f"link {code}")
    assert not retried.error, "a refused code stays good"


async def test_a_workspace_just_installed_by_the_same_person_joins_and_leaves_its_org_empty(
        rt: Runtime, team: Team) -> None:
    fresh = await link_or_create(rt, "discord", "G1", "Guild", WorkspaceOwner(
        on_discord().identity), actor="test")
    code = await code_for(rt, team.owner)

    reply = await run_command(rt, None, on_discord(), f"link {code}")

    assert not reply.error, reply.text
    workspace = await rt.store.find_workspace("discord", "G1")
    assert workspace is not None and workspace.org_id == team.org.id
    assert await rt.store.count_workspaces(fresh.org.id) == 0


async def test_a_workspace_already_linked_to_the_organization_is_refused(
        rt: Runtime, team: Team) -> None:
    code = await code_for(rt, team.owner)

    reply = await run_command(rt, None, team.owner, f"link {code}")

    assert reply.error and "already linked to Acme" in reply.text


async def test_the_plans_workspace_limit_holds_and_keeps_the_code_good(
        rt: Runtime, team: Team) -> None:
    await change_plan(rt, team.org.id, "free", actor="test")
    code = await code_for(rt, team.owner)

    refused = await run_command(rt, None, on_discord(), f"link {code}")

    assert refused.error and "workspaces" in refused.text.lower()
    assert await rt.store.find_workspace("discord", "G1") is None
    await change_plan(rt, team.org.id, "pro", actor="test")
    assert not (await run_command(rt, None, on_discord(), f"link {code}")).error


async def test_a_member_edits_their_own_post_from_their_linked_identity_only(
        rt: Runtime, team: Team) -> None:
    await link_workspace(rt, team.org.id, "discord", "G1", actor="test")
    writer = (await resolve_member(rt, team.member)).member
    await rt.store.update_member(writer.model_copy(
        update={"linked_identities": [on_discord("D1").identity]}))
    await add_member(rt, team.org.id, on_discord("D2").identity, Role.MEMBER, actor="test")
    conn = await connect_sandbox(rt, team.org.id, "acme", actor="test")
    post = await submit_post(rt, team.org.id, PostRequest(text="Hi", targets=[conn.id]),
                             source=PostSource(kind="slack"), actor=team.member.actor,
                             review_required=True)

    assert isinstance(await edit_draft(rt, on_discord("D1"), post.id), EditDraft)
    refused = await edit_draft(rt, on_discord("D2"), post.id)
    assert not isinstance(refused, EditDraft) and "someone else's post" in refused.text
