"""Review and approval in the core: quorum, who may approve, deadlines, content binding."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from postflow.approvals import ApprovalPolicy
from postflow.errors import BadInput, Conflict, Forbidden
from postflow.notices.events import (
    Notice,
    PostScheduled,
    ReviewDecided,
    ReviewExpired,
    ReviewNotice,
    ReviewRequested,
)
from postflow.notices.router import NoticeRouter
from postflow.organizations import ChatChannel, ChatIdentity, Member, Organization, Role
from postflow.posts import Post, PostSource, PostStatus
from postflow.reviews import (
    ChatMessageRef,
    ReviewDecision,
    ReviewRequest,
    ReviewState,
    ReviewWhen,
    Verdict,
)
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.edit_post import PostEdit, edit_post
from postflow.usecases.organizations import add_member, change_plan, create_organization
from postflow.usecases.reviews import decide, request_review
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.fakes.clock import ManualClock
from tests.workers.scenario import RecordingQueue
from workers.leader import LocalLeader
from workers.scheduler import Scheduler


@dataclass
class ReviewRecorder:
    """A notice sink for review notices, and the review cards of a chat platform."""

    requested: list[ReviewRequest] = field(default_factory=list)
    decided: list[tuple[Post, ReviewDecision]] = field(default_factory=list)
    expired: list[Post] = field(default_factory=list)
    #: Posts said to be Scheduled (PostScheduled, for outbound webhooks).
    scheduled: list[Post] = field(default_factory=list)
    name: str = "reviews"

    async def post_card(self, post: Post, review: ReviewRequest,
                        channel: ChatChannel) -> ChatMessageRef:
        return ChatMessageRef(platform="slack", channel_id="C1", message_id="1.0")

    def wants(self, notice: Notice) -> bool:
        return isinstance(notice, ReviewNotice | PostScheduled)

    async def deliver(self, notice: Notice) -> None:
        match notice:
            case ReviewRequested(review=review):
                self.requested.append(review)
            case ReviewDecided(post=post, decision=decision):
                self.decided.append((post, decision))
            case ReviewExpired(post=post):
                self.expired.append(post)
            case PostScheduled(post=post):
                self.scheduled.append(post)


@dataclass
class Team:
    org: Organization
    author: Member
    admin: Member
    admin2: Member
    member: Member
    connection_id: str


def actor(member: Member) -> str:
    return f"slack:{member.identity.user_id}"


@pytest.fixture
def notes() -> ReviewRecorder:
    return ReviewRecorder()


@pytest.fixture
def rt(rt: Runtime, notes: ReviewRecorder) -> Runtime:
    """The runtime telling ``notes``."""
    return dataclasses.replace(rt, notices=NoticeRouter([notes]), review_cards={"slack": notes})


@pytest.fixture
async def team(rt: Runtime, notes: ReviewRecorder) -> Team:
    org = await change_plan(rt, (await create_organization(rt, "Acme", actor="test")).id,
                            "pro", actor="test")
    org = org.model_copy(update={"review_channel": ChatChannel(
        platform="slack", workspace_id="T1", channel_id="C1")})
    await rt.store.update_organization(org)
    people = {}
    for user_id, role in (("UAUTHOR", Role.ADMIN), ("UADMIN", Role.ADMIN),
                          ("UADMIN2", Role.OWNER), ("UMEMBER", Role.MEMBER)):
        people[user_id] = await add_member(
            rt, org.id, ChatIdentity(platform="slack", workspace_id="T1", user_id=user_id),
            role, actor="test")
    conn = await connect_sandbox(rt, org.id, "acme", actor="test")
    return Team(org, people["UAUTHOR"], people["UADMIN"], people["UADMIN2"],
                people["UMEMBER"], conn.id)


async def draft(rt: Runtime, team: Team, clock: ManualClock, **request: object) -> Post:
    """A post in review, written by the author, for two hours from now."""
    fields: dict[str, object] = {"text": "Launch day!", "targets": [team.connection_id],
                                 "schedule_at": clock.now() + timedelta(hours=2)}
    return await submit_post(rt, team.org.id, PostRequest(**(fields | request)),
                             source=PostSource(kind="slack"), actor=actor(team.author),
                             review_required=True)


async def test_a_post_created_in_review_gets_a_review_request_bound_to_its_content(
        rt: Runtime, team: Team, clock: ManualClock, notes: ReviewRecorder) -> None:
    post = await draft(rt, team, clock)

    review = await rt.store.find_review_for_post(team.org.id, post.id)
    assert review is not None and review.state is ReviewState.OPEN
    assert review.content.text == "Launch day!" and review.content.when is ReviewWhen.AT
    assert len(review.fingerprint) == 64
    assert review.expires_at == clock.now() + timedelta(hours=72)
    assert review.message == ChatMessageRef(platform="slack", channel_id="C1", message_id="1.0")
    assert [r.id for r in notes.requested] == [review.id]


async def test_request_review_moves_a_draft_in_review_and_is_idempotent(
        rt: Runtime, team: Team, clock: ManualClock, notes: ReviewRecorder) -> None:
    post = await draft(rt, team, clock)
    review = await rt.store.find_review_for_post(team.org.id, post.id)
    assert review is not None

    again = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    assert again.id == review.id and again.round == 1 and len(notes.requested) == 1


async def test_one_approval_with_the_default_quorum_schedules_the_post(
        rt: Runtime, team: Team, clock: ManualClock, notes: ReviewRecorder) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    decided = await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                           actor=actor(team.admin))

    assert decided.review.state is ReviewState.APPROVED
    assert decided.post.status is PostStatus.SCHEDULED
    assert decided.post.due_at == post.scheduled_at
    audit = [e.action for e in await rt.store.list_audit(team.org.id, post.id)]
    assert "review.requested" in audit and "review.decided" in audit


async def test_an_approved_post_is_said_to_be_scheduled(
        rt: Runtime, team: Team, clock: ManualClock, notes: ReviewRecorder) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    assert notes.scheduled == []

    decided = await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                           actor=actor(team.admin))

    assert notes.scheduled == [decided.post]


async def test_quorum_of_two_needs_two_different_approvers(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    await rt.store.save_approval_policy(team.org.id, "", ApprovalPolicy(quorum=2))
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    first = await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                         actor=actor(team.admin))
    assert first.review.progress() == "1 of 2 approvals"
    assert first.post.status is PostStatus.IN_REVIEW
    with pytest.raises(BadInput, match=r"already approved this version \(1 of 2 approvals\)"):
        await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                     actor=actor(team.admin))
    second = await decide(rt, team.org.id, review.id, team.admin2, Verdict.APPROVE,
                          actor=actor(team.admin2))

    assert second.review.state is ReviewState.APPROVED
    assert second.post.status is PostStatus.SCHEDULED


async def test_the_author_may_not_approve_their_own_post(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    with pytest.raises(Forbidden, match="Authors may not approve their own posts"):
        await decide(rt, team.org.id, review.id, team.author, Verdict.APPROVE,
                     actor=actor(team.author))
    assert (await rt.store.get_post(team.org.id, post.id)).status is PostStatus.IN_REVIEW


async def test_the_author_may_not_approve_their_own_post_from_a_linked_identity(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    author = team.author.model_copy(update={"linked_identities": [
        ChatIdentity(platform="slack", workspace_id="T2", user_id="U9")]})
    await rt.store.update_member(author)
    post = await submit_post(rt, team.org.id, PostRequest(
        text="Launch day!", targets=[team.connection_id],
        schedule_at=clock.now() + timedelta(hours=2)), source=PostSource(kind="slack"),
        actor="slack:T1:UAUTHOR", review_required=True)
    review = await rt.store.find_review_for_post(team.org.id, post.id)
    assert review is not None

    with pytest.raises(Forbidden, match="Authors may not approve their own posts"):
        await decide(rt, team.org.id, review.id, author, Verdict.APPROVE, actor="slack:T2:U9")
    assert (await rt.store.get_post(team.org.id, post.id)).status is PostStatus.IN_REVIEW


async def test_authors_may_approve_when_the_policy_allows_it(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    await rt.store.save_approval_policy(team.org.id, "",
                                        ApprovalPolicy(authors_may_approve=True))
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    decided = await decide(rt, team.org.id, review.id, team.author, Verdict.APPROVE,
                           actor=actor(team.author))

    assert decided.review.state is ReviewState.APPROVED


async def test_a_member_is_refused_unless_named_in_the_policy(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    with pytest.raises(Forbidden, match="needs the Admin role or to be named in the policy"):
        await decide(rt, team.org.id, review.id, team.member, Verdict.APPROVE,
                     actor=actor(team.member))

    await rt.store.save_approval_policy(team.org.id, "",
                                        ApprovalPolicy(approvers=(team.member.id,)))
    post2 = await draft(rt, team, clock, text="Second")
    review2 = await request_review(rt, post2.id, team.org.id, requested_by=actor(team.author))
    decided = await decide(rt, team.org.id, review2.id, team.member, Verdict.APPROVE,
                           actor=actor(team.member))

    assert decided.review.state is ReviewState.APPROVED


async def test_a_connection_override_makes_the_strictest_policy_apply(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    await rt.store.save_approval_policy(team.org.id, team.connection_id,
                                        ApprovalPolicy(quorum=2, deadline_hours=5))
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    assert review.rules.quorum == 2 and review.rules.deadline_hours == 5


async def test_reject_cancels_the_post(rt: Runtime, team: Team, clock: ManualClock,
                                       notes: ReviewRecorder) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))

    decided = await decide(rt, team.org.id, review.id, team.admin, Verdict.REJECT,
                           actor=actor(team.admin))

    assert decided.review.state is ReviewState.REJECTED
    assert decided.post.status is PostStatus.CANCELED
    assert [d.verdict for _, d in notes.decided] == [Verdict.REJECT]
    with pytest.raises(Conflict, match="This review is closed"):
        await decide(rt, team.org.id, review.id, team.admin2, Verdict.APPROVE,
                     actor=actor(team.admin2))


async def test_request_changes_needs_a_comment_and_sends_the_post_back_as_a_draft(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    with pytest.raises(BadInput, match="needs a comment"):
        await decide(rt, team.org.id, review.id, team.admin, Verdict.REQUEST_CHANGES,
                     actor=actor(team.admin), comment="  ")

    decided = await decide(rt, team.org.id, review.id, team.admin, Verdict.REQUEST_CHANGES,
                           actor=actor(team.admin), comment="Add the link")

    assert decided.review.state is ReviewState.CHANGES_REQUESTED
    assert decided.post.status is PostStatus.DRAFT
    assert decided.review.decisions[-1].comment == "Add the link"


async def test_editing_after_changes_requested_asks_for_review_again_in_the_same_record(
        rt: Runtime, team: Team, clock: ManualClock, notes: ReviewRecorder) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    await decide(rt, team.org.id, review.id, team.admin, Verdict.REQUEST_CHANGES,
                 actor=actor(team.admin), comment="Add the link")

    edited = await edit_post(rt, team.org.id, post.id,
                             PostEdit(text="Launch day! https://acme.test"),
                             actor=actor(team.author))

    assert edited.post.status is PostStatus.IN_REVIEW
    assert edited.review is not None and edited.review.id == review.id
    assert edited.review.round == 2 and edited.review.changes == ["the text changed"]
    assert notes.requested[-1].message is not None  # the card to update is known


async def test_an_edit_after_approval_invalidates_it_and_reopens_review(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    await rt.store.save_approval_policy(team.org.id, "", ApprovalPolicy(quorum=2))
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                 actor=actor(team.admin))

    new_time = clock.now() + timedelta(hours=5)
    edited = await edit_post(rt, team.org.id, post.id,
                             PostEdit(when=ReviewWhen.AT, at=new_time),
                             actor=actor(team.author))

    assert edited.changes == ("the time changed",)
    assert edited.review is not None and edited.review.progress() == "0 of 2 approvals"
    # The approval given on the old content no longer counts: two fresh ones are needed.
    one = await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                       actor=actor(team.admin))
    assert one.review.state is ReviewState.OPEN
    two = await decide(rt, team.org.id, review.id, team.admin2, Verdict.APPROVE,
                       actor=actor(team.admin2))
    assert two.post.status is PostStatus.SCHEDULED and two.post.due_at == new_time


async def test_an_edit_of_a_scheduled_approved_post_takes_it_back_to_review(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                 actor=actor(team.admin))

    edited = await edit_post(rt, team.org.id, post.id, PostEdit(text="Changed after approval"),
                             actor=actor(team.author))

    assert edited.post.status is PostStatus.IN_REVIEW and edited.post.due_at is None
    assert edited.review is not None and edited.review.state is ReviewState.OPEN
    assert edited.review.round == 2


async def test_an_unchanged_edit_changes_nothing(rt: Runtime, team: Team,
                                                 clock: ManualClock) -> None:
    post = await draft(rt, team, clock)

    edited = await edit_post(rt, team.org.id, post.id, PostEdit(text="Launch day!"),
                             actor=actor(team.author))

    assert edited.changes == () and edited.review is None
    assert (await rt.store.get_post(team.org.id, post.id)).version == post.version


async def test_approving_a_post_edited_outside_edit_post_is_refused(
        rt: Runtime, team: Team, clock: ManualClock) -> None:
    post = await draft(rt, team, clock)
    review = await request_review(rt, post.id, team.org.id, requested_by=actor(team.author))
    stored = await rt.store.get_post(team.org.id, post.id)
    await rt.store.replace_post(stored.model_copy(update={"text": "sneaky",
                                                          "version": stored.version + 1}),
                                expected_version=stored.version)

    with pytest.raises(Conflict, match="changed since review was requested"):
        await decide(rt, team.org.id, review.id, team.admin, Verdict.APPROVE,
                     actor=actor(team.admin))


async def test_the_scheduler_tick_expires_an_open_review_past_its_deadline(
        rt: Runtime, team: Team, clock: ManualClock, notes: ReviewRecorder) -> None:
    await rt.store.save_approval_policy(team.org.id, "", ApprovalPolicy(deadline_hours=2))
    post = await draft(rt, team, clock, schedule_at=clock.now() + timedelta(days=2))
    scheduler = Scheduler(rt, RecordingQueue(), LocalLeader())

    clock.advance(2 * 3600 - 1)
    assert (await scheduler.tick()).reviews_expired == 0
    clock.advance(1)
    report = await scheduler.tick()

    assert report.reviews_expired == 1
    review = await rt.store.find_review_for_post(team.org.id, post.id)
    assert review is not None and review.state is ReviewState.EXPIRED
    after = await rt.store.get_post(team.org.id, post.id)
    assert after.status is PostStatus.DRAFT and "review expired" in after.status_reason
    assert [p.id for p in notes.expired] == [post.id]
    assert (await scheduler.tick()).reviews_expired == 0
