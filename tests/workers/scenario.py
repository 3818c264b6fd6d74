"""Helpers shared by the worker and end-to-end tests: an organization with a sandbox account,
posts due now, a recording queue, and polling with a deadline."""

from __future__ import annotations

from dataclasses import dataclass, field

from postflow.connections import Connection
from postflow.ids import new_id
from postflow.organizations import Organization
from postflow.posts import Post, PostSource, PostStatus
from postflow.runtime import Runtime
from postflow.sandbox_posts import SandboxPost
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import change_plan, create_organization
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.polling import eventually


@dataclass
class RecordingQueue:
    """A PublishQueue that remembers what it was sent; ``failure`` makes it raise (broker down)."""

    published: list[tuple[str, str, int, str]] = field(default_factory=list)
    canaries: int = 0
    failure: Exception | None = None

    async def enqueue_publish(self, org_id: str, post_id: str, version: int,
                              trigger: str) -> None:
        if self.failure is not None:
            raise self.failure
        self.published.append((org_id, post_id, version, trigger))

    async def enqueue_canary(self) -> None:
        if self.failure is not None:
            raise self.failure
        self.canaries += 1

    @property
    def post_ids(self) -> list[str]:
        return [post_id for _, post_id, _, _ in self.published]


@dataclass(frozen=True)
class SandboxAccount:
    org: Organization
    connection: Connection


async def sandbox_account(rt: Runtime) -> SandboxAccount:
    """A new organization (on the Business plan: no monthly post limit) with a sandbox account."""
    org = await create_organization(rt, f"Org {new_id('n')}", actor="test")
    org = await change_plan(rt, org.id, "business", actor="test")
    connection = await connect_sandbox(rt, org.id, "acme", actor="test")
    return SandboxAccount(org=org, connection=connection)


async def due_post(rt: Runtime, account: SandboxAccount, text: str = "Hello from PostFlow",
                   ) -> Post:
    """A Scheduled post due now."""
    post = await submit_post(rt, account.org.id,
                             PostRequest(text=text, targets=[account.connection.id]),
                             source=PostSource(kind="cli"), actor="test", review_required=False)
    assert post.status is PostStatus.SCHEDULED
    return post


async def published_records(rt: Runtime, connection_id: str) -> list[SandboxPost]:
    return [r for r in await rt.store.find_sandbox_posts(connection_id)
            if r.outcome == "published"]


async def post_in_status(rt: Runtime, post: Post, *statuses: PostStatus,
                         timeout: float = 10.0) -> Post:
    """Wait until ``post`` reaches one of ``statuses``; return it as stored."""

    async def reached() -> Post | None:
        current = await rt.store.get_post(post.org_id, post.id)
        return current if current.status in statuses else None

    return await eventually(reached, timeout=timeout,
                            what=f"post {post.id} reaching {[s.value for s in statuses]}")
