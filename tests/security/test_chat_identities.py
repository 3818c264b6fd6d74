"""Issue 15, item 18: a chat identity names its workspace (``slack:T1:U1``) wherever PostFlow
records or compares it. User U1 of workspace T2 is not user U1 of workspace T1, so the
self-approval check neither refuses the one for the other's post nor can be fooled; records
written before (``slack:U1``, no workspace) are still read as that user's, on the safe side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.slack.review_blocks import person as person_mention
from postflow.chat_actors import read_chat_actor
from postflow.chatops.callers import Caller
from postflow.chatops.install import WorkspaceOwner, link_or_create
from postflow.chatops.review import press_review
from postflow.organizations import ChatIdentity, Organization, Role
from postflow.posts import Post, PostSource, PostStatus
from postflow.reviews import Verdict
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import add_member, change_plan, link_workspace
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock


def person(workspace_id: str, user_id: str) -> Caller:
    return Caller(identity=ChatIdentity(platform="slack", workspace_id=workspace_id,
                                        user_id=user_id))


@dataclass(frozen=True)
class TwoWorkspaces:
    """One organization linked to Slack workspaces T1 and T2, each with an Admin called U1."""

    org: Organization
    connection_id: str
    author: Caller  # T1:U1
    namesake: Caller  # T2:U1, another person


@pytest.fixture
async def orgs(rt: Runtime) -> TwoWorkspaces:
    owner = person("T1", "UOWNER")
    linked = await link_or_create(rt, "slack", "T1", "Acme", WorkspaceOwner(owner.identity),
                                  actor="test")
    org = await change_plan(rt, linked.org.id, "pro", actor="test")
    await link_workspace(rt, org.id, "slack", "T2", actor="test")
    author, namesake = person("T1", "U1"), person("T2", "U1")
    for who in (author, namesake):
        await add_member(rt, org.id, who.identity, Role.ADMIN, actor="test")
    connection = await connect_sandbox(rt, org.id, "acme", actor="test")
    return TwoWorkspaces(org, connection.id, author, namesake)


async def in_review(rt: Runtime, orgs: TwoWorkspaces, clock: ManualClock, *,
                    created_by: str) -> Post:
    request = PostRequest(text="Launch day!", targets=[orgs.connection_id],
                          schedule_at=clock.now() + timedelta(hours=2))
    return await submit_post(rt, orgs.org.id, request, source=PostSource(kind="slack"),
                             actor=created_by, review_required=True)


async def review_id(rt: Runtime, post: Post) -> str:
    review = await rt.store.find_review_for_post(post.org_id, post.id)
    assert review is not None
    return review.id


def test_the_actor_of_a_chat_identity_names_its_workspace() -> None:
    assert person("T1", "U1").actor == "slack:T1:U1"
    assert person("T1", "U1").actor != person("T2", "U1").actor


async def test_the_author_may_not_approve_their_own_post(
        rt: Runtime, orgs: TwoWorkspaces, clock: ManualClock) -> None:
    post = await in_review(rt, orgs, clock, created_by=orgs.author.actor)

    reply = await press_review(rt, None, orgs.author, Verdict.APPROVE, await review_id(rt, post))

    assert reply.error and "Authors may not approve their own posts" in reply.text
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.IN_REVIEW


async def test_the_same_user_id_in_another_workspace_is_another_person(
        rt: Runtime, orgs: TwoWorkspaces, clock: ManualClock) -> None:
    post = await in_review(rt, orgs, clock, created_by=orgs.author.actor)

    reply = await press_review(rt, None, orgs.namesake, Verdict.APPROVE,
                               await review_id(rt, post))

    assert not reply.error, reply.text
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.SCHEDULED


async def test_a_post_recorded_without_a_workspace_is_never_approved_by_that_user_id(
        rt: Runtime, orgs: TwoWorkspaces, clock: ManualClock) -> None:
    post = await in_review(rt, orgs, clock, created_by="slack:U1")  # written before workspaces
    rid = await review_id(rt, post)

    for who in (orgs.author, orgs.namesake):
        reply = await press_review(rt, None, who, Verdict.APPROVE, rid)
        assert reply.error and "Authors may not approve their own posts" in reply.text
    assert (await rt.store.get_post(post.org_id, post.id)).status is PostStatus.IN_REVIEW


def test_both_forms_of_a_chat_actor_are_read_back() -> None:
    assert read_chat_actor("slack:T1:U1") == ChatIdentity(platform="slack", workspace_id="T1",
                                                          user_id="U1")
    assert read_chat_actor("slack:U1") == ChatIdentity(platform="slack", user_id="U1")
    assert read_chat_actor("hook:hook_1") is None and read_chat_actor("cli") is None
    assert person_mention("slack:T1:U1") == person_mention("slack:U1") == "<@U1>"
