"""The notification center's sink: each notice is kept for the members it addresses (the
author, the Owners and Admins, the reviewers), never for another organization's, and a failing
inbox keeps no other sink from its notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from postflow.approvals import ApprovalPolicy, ApprovalRules
from postflow.ids import new_id
from postflow.inbox import InboxEntry
from postflow.notices.audience import notice_audience
from postflow.notices.events import (
    ChatAppRemoved,
    ConnectionAdded,
    ConnectionBroken,
    GraceEnding,
    HookCreated,
    HookRotated,
    MemberRoleChanged,
    Notice,
    PaymentFailed,
    PlanChanged,
    PlanLimitReached,
    PostFailed,
    PostPublished,
    ReviewDecided,
    ReviewExpired,
    ReviewRequested,
    TokenExpiring,
    TrialEnding,
    WebhookEndpointDisabled,
)
from postflow.notices.inbox_sink import InboxSink
from postflow.notices.router import NoticeRouter
from postflow.organizations import ChatIdentity, Member, Organization, Role
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.reviews import ReviewDecision, ReviewedContent, ReviewRequest, Verdict
from postflow.runtime import Runtime
from postflow.store.port import Store
from tests.fakes.clock import ManualClock
from tests.postflow.store.factories import T0, make_connection, make_member, make_org, make_post


@dataclass
class People:
    org: Organization
    owner: Member
    admin: Member
    author: Member
    viewer: Member
    #: A member of another organization with the author's very identity.
    stranger: Member
    other_org: Organization = field(repr=False)

    def actor(self, member: Member) -> str:
        i = member.identity
        return f"{i.platform}:{i.workspace_id}:{i.user_id}"


def slack(user_id: str) -> ChatIdentity:
    return ChatIdentity(platform="slack", workspace_id="T1", user_id=user_id)


@pytest.fixture
async def people(rt: Runtime) -> People:
    org, other = make_org(), make_org()
    await rt.store.insert_organization(org)
    await rt.store.insert_organization(other)
    owner = make_member(org.id, role=Role.OWNER, identity=slack("UOWNER"))
    admin = make_member(org.id, role=Role.ADMIN, identity=slack("UADMIN"))
    author = make_member(org.id, role=Role.MEMBER, identity=slack("UAUTHOR"))
    viewer = make_member(org.id, role=Role.VIEWER, identity=slack("UVIEWER"))
    stranger = make_member(other.id, role=Role.OWNER, identity=slack("UAUTHOR"))
    for member in (owner, admin, author, viewer, stranger):
        await rt.store.insert_member(member)
    return People(org, owner, admin, author, viewer, stranger, other)


def post_by(people: People, author: str, status: PostStatus = PostStatus.PUBLISHED,
            **fields: object) -> Post:
    return make_post(people.org.id, status=status, created_by=author,
                     text="Our spring launch is here", **fields)


async def inbox(store: Store, member: Member) -> list[InboxEntry]:
    return await store.list_inbox_entries(member.org_id, member.id)


async def receivers(rt: Runtime, people: People) -> set[str]:
    everyone = (people.owner, people.admin, people.author, people.viewer, people.stranger)
    return {m.identity.user_id + ("@other" if m.org_id != people.org.id else "")
            for m in everyone if await inbox(rt.store, m)}


def review_of(post: Post, requested_by: str, **fields: object) -> ReviewRequest:
    content = ReviewedContent.of(post)
    values: dict[str, object] = {
        "id": new_id("rev"), "org_id": post.org_id, "post_id": post.id,
        "requested_by": requested_by, "requested_at": T0, "content": content,
        "fingerprint": content.fingerprint(),
        "rules": ApprovalRules(policies=(ApprovalPolicy(),)),
        "expires_at": T0 + timedelta(hours=72)}
    return ReviewRequest.model_validate(values | fields)


async def test_a_published_post_is_kept_for_its_author_only_with_a_link_to_it(
        rt: Runtime, people: People, clock: ManualClock) -> None:
    post = post_by(people, people.actor(people.author), targets=[PostTarget(
        connection_id="conn_a", network="mastodon", status=TargetStatus.PUBLISHED,
        url="https://mastodon.example/@acme/1")])

    await rt.notices.notify(PostPublished(post))

    assert await receivers(rt, people) == {"UAUTHOR"}
    [entry] = await inbox(rt.store, people.author)
    assert (entry.kind, entry.post_id, entry.subject_id) == ("post.published", post.id, post.id)
    assert entry.link == "https://mastodon.example/@acme/1"
    assert entry.created_at == clock.now() and entry.unread
    assert f"`{post.id}`" in entry.text and "Our spring launch" in entry.text


async def test_a_failed_post_goes_to_its_author_and_the_owners_and_admins(
        rt: Runtime, people: People) -> None:
    post = post_by(people, people.actor(people.author), PostStatus.FAILED,
                   status_reason="mastodon: the account's token was revoked")

    await rt.notices.notify(PostFailed(post))

    assert await receivers(rt, people) == {"UAUTHOR", "UOWNER", "UADMIN"}
    [entry] = await inbox(rt.store, people.owner)
    assert entry.link is None and "token was revoked" in entry.text


async def test_a_post_no_member_wrote_goes_to_the_owners_and_admins(
        rt: Runtime, people: People) -> None:
    await rt.notices.notify(PostPublished(post_by(people, "hook:hook_1")))

    assert await receivers(rt, people) == {"UOWNER", "UADMIN"}


async def test_connection_plan_limit_and_app_removal_notices_go_to_the_owners_and_admins(
        rt: Runtime, people: People) -> None:
    connection = make_connection(people.org.id, display_name="acme")

    await rt.notices.notify(ConnectionBroken(connection, reason="the token was revoked"))
    await rt.notices.notify(TokenExpiring(connection, days_left=3))
    await rt.notices.notify(PlanLimitReached(organization_id=people.org.id,
                                             limit="posts_per_month",
                                             message="Your plan allows 10 posts a month."))
    await rt.notices.notify(ChatAppRemoved(organization_id=people.org.id, platform="discord",
                                           workspace_id="600000000000000001",
                                           workspace_name="Acme"))

    assert await receivers(rt, people) == {"UOWNER", "UADMIN"}
    kinds = [e.kind for e in await inbox(rt.store, people.admin)]
    assert sorted(kinds) == ["chat.app_removed", "connection.needs_reconnect",
                             "connection.token_expiring", "plan.limit_reached"]


async def test_billing_notices_go_to_the_owners_alone(rt: Runtime, people: People) -> None:
    org_id, day = people.org.id, datetime(2026, 12, 8, 14, 30, tzinfo=UTC)

    await rt.notices.notify(PaymentFailed(org_id, "Pro", grace_until=day))
    await rt.notices.notify(TrialEnding(org_id, "Pro", trial_end=day))
    await rt.notices.notify(PlanChanged(org_id, "Free", old_plan_name="Pro",
                                        reason="the subscription ended"))
    await rt.notices.notify(GraceEnding(org_id, "Pro", grace_until=day))

    assert await receivers(rt, people) == {"UOWNER"}
    entries = {e.kind: e for e in await inbox(rt.store, people.owner)}
    assert sorted(entries) == ["billing.grace_ending", "billing.payment_failed",
                               "billing.plan_changed", "billing.trial_ending"]
    assert "failed" in entries["billing.payment_failed"].text
    assert "2026-12-08" in entries["billing.payment_failed"].text
    assert "from the Pro plan to the Free plan" in entries["billing.plan_changed"].text


async def test_security_notices_go_to_the_owners_and_admins(rt: Runtime,
                                                           people: People) -> None:
    org_id, actor = people.org.id, people.actor(people.admin)

    await rt.notices.notify(ConnectionAdded(org_id, actor, "conn_1", network="mastodon",
                                            account_name="@acme"))
    await rt.notices.notify(MemberRoleChanged(org_id, actor, people.author.id,
                                              member_name="Ann", old_role="member",
                                              new_role="admin"))
    await rt.notices.notify(HookCreated(org_id, actor, "hook_1", hook_name="CI"))
    await rt.notices.notify(HookRotated(org_id, actor, "hook_1", hook_name="CI"))

    assert await receivers(rt, people) == {"UOWNER", "UADMIN"}
    entries = {e.kind: e for e in await inbox(rt.store, people.owner)}
    assert sorted(entries) == ["security.connection_added", "security.hook_created",
                               "security.hook_rotated", "security.role_changed"]
    assert "@acme" in entries["security.connection_added"].text
    assert "Ann" in entries["security.role_changed"].text
    assert "'CI'" in entries["security.hook_rotated"].text


async def test_a_disabled_webhook_endpoint_goes_to_the_owners_alone(rt: Runtime,
                                                                   people: People) -> None:
    await rt.notices.notify(WebhookEndpointDisabled(
        organization_id=people.org.id, endpoint_id="we_1",
        shown_url="https://hooks.example.com/in", reason="it failed every delivery for a day"))

    assert await receivers(rt, people) == {"UOWNER"}
    [entry] = await inbox(rt.store, people.owner)
    assert "https://hooks.example.com/in" in entry.text


async def test_a_review_request_goes_to_those_who_may_approve_not_its_author(
        rt: Runtime, people: People) -> None:
    post = post_by(people, people.actor(people.author), PostStatus.IN_REVIEW)

    await rt.notices.notify(ReviewRequested(post, review_of(post, people.actor(people.author)),
                                            card_posted=True))

    assert await receivers(rt, people) == {"UOWNER", "UADMIN"}


async def test_a_review_request_goes_to_a_named_approver_whatever_their_role(
        rt: Runtime, people: People) -> None:
    post = post_by(people, people.actor(people.author), PostStatus.IN_REVIEW)
    rules = ApprovalRules(policies=(ApprovalPolicy(approver_role=None,
                                                   approvers=(people.viewer.id,)),))

    await rt.notices.notify(ReviewRequested(
        post, review_of(post, people.actor(people.author), rules=rules)))

    assert await receivers(rt, people) == {"UVIEWER"}


async def test_a_decision_goes_to_the_author_not_to_the_reviewer_who_made_it(
        rt: Runtime, people: People, clock: ManualClock) -> None:
    post = post_by(people, people.actor(people.author), PostStatus.DRAFT)
    review = review_of(post, people.actor(people.owner))
    decision = ReviewDecision(actor=people.actor(people.owner), member_id=people.owner.id,
                              verdict=Verdict.REQUEST_CHANGES, comment="Shorter, please",
                              at=clock.now(), round=1, fingerprint=review.fingerprint)

    await rt.notices.notify(ReviewDecided(post, review, decision=decision))

    assert await receivers(rt, people) == {"UAUTHOR"}
    [entry] = await inbox(rt.store, people.author)
    assert "asked for changes" in entry.text and "Shorter, please" in entry.text


async def test_an_expired_review_goes_to_the_author_and_whoever_asked(
        rt: Runtime, people: People) -> None:
    post = post_by(people, people.actor(people.author), PostStatus.DRAFT)

    await rt.notices.notify(ReviewExpired(post, review_of(post, people.actor(people.admin))))

    assert await receivers(rt, people) == {"UAUTHOR", "UADMIN"}


async def test_another_organizations_member_with_the_same_identity_never_receives_it(
        rt: Runtime, people: People) -> None:
    await rt.notices.notify(PostFailed(post_by(people, people.actor(people.author),
                                               PostStatus.FAILED, status_reason="down")))

    assert await inbox(rt.store, people.stranger) == []
    assert all(m.org_id == people.org.id
               for m in await notice_audience(rt.store, PostFailed(post_by(
                   people, people.actor(people.author), PostStatus.FAILED))))


async def test_the_audience_lists_each_member_once(rt: Runtime, people: People) -> None:
    # The author is also an Admin: one entry, not two.
    admin_post = post_by(people, people.actor(people.admin), PostStatus.FAILED)

    audience = await notice_audience(rt.store, PostFailed(admin_post))

    assert sorted(m.id for m in audience) == sorted([people.owner.id, people.admin.id])


@dataclass
class Recorder:
    name: str = "chat"
    heard: list[Notice] = field(default_factory=list)

    def wants(self, notice: Notice) -> bool:
        return True

    async def deliver(self, notice: Notice) -> None:
        self.heard.append(notice)


class BrokenInboxStore:
    """A store whose inbox writes fail (the database refusing them)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def list_members(self, org_id: str) -> list[Member]:
        return await self._store.list_members(org_id)

    async def insert_inbox_entries(self, entries: object) -> None:
        raise OSError("disk full")


async def test_a_failing_inbox_does_not_keep_the_chat_sinks_from_the_notice(
        rt: Runtime, people: People, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    before, after = Recorder("slack"), Recorder("discord")
    broken = InboxSink(BrokenInboxStore(rt.store), clock)  # type: ignore[arg-type]
    notice = PostFailed(post_by(people, people.actor(people.author), PostStatus.FAILED))

    await NoticeRouter([before, broken, after]).notify(notice)

    assert before.heard == [notice] and after.heard == [notice]
    assert any("the inbox sink could not say post.failed" in r.getMessage()
               for r in caplog.records)
