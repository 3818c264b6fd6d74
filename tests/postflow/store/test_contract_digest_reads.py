"""Store contract: the reads a digest pass makes per organization (posts written in a period,
open reviews) and the dedupe keys already recorded."""

from __future__ import annotations

from postflow.posts import PostStatus
from postflow.reviews import ReviewState
from postflow.store.port import Store
from tests.postflow.store.factories import at, make_post
from tests.postflow.store.test_contract_outgoing_emails import make_email
from tests.postflow.store.test_contract_reviews import make_review


async def test_posts_updated_between_count_only_the_period_statuses_and_org(store: Store) -> None:
    for post in (make_post("org_a", status=PostStatus.PUBLISHED, updated_at=at(0)),
                 make_post("org_a", status=PostStatus.PUBLISHED, updated_at=at(59)),
                 make_post("org_a", status=PostStatus.PUBLISHED, updated_at=at(60)),
                 make_post("org_a", status=PostStatus.PUBLISHED, updated_at=at(-1)),
                 make_post("org_a", status=PostStatus.FAILED, updated_at=at(10)),
                 make_post("org_b", status=PostStatus.PUBLISHED, updated_at=at(10))):
        await store.insert_post(post)

    published = await store.count_posts_updated_between("org_a", [PostStatus.PUBLISHED],
                                                        at(0), at(60))
    failed = await store.count_posts_updated_between(
        "org_a", [PostStatus.FAILED, PostStatus.PARTIAL], at(0), at(60))

    assert (published, failed) == (2, 1)


async def test_open_reviews_are_the_orgs_open_ones_oldest_first(store: Store) -> None:
    later = make_review("org_a", post_id="post_2", requested_at=at(5))
    first = make_review("org_a", post_id="post_1", requested_at=at(1))
    closed = make_review("org_a", post_id="post_3", state=ReviewState.APPROVED)
    other = make_review("org_b", post_id="post_4")
    for review in (later, first, closed, other):
        await store.insert_review(review)

    got = await store.list_open_reviews("org_a", limit=10)

    assert [r.id for r in got] == [first.id, later.id]
    assert len(await store.list_open_reviews("org_a", limit=1)) == 1


async def test_recorded_email_keys_are_those_recorded(store: Store) -> None:
    await store.insert_outgoing_email(make_email(dedupe_key="digest:mem_1:2026-03-29"))
    await store.insert_outgoing_email(make_email(dedupe_key="digest:mem_2:2026-W13"))

    got = await store.find_recorded_email_keys(
        ["digest:mem_1:2026-03-29", "digest:mem_1:2026-03-30", "digest:mem_2:2026-W13"])

    assert got == {"digest:mem_1:2026-03-29", "digest:mem_2:2026-W13"}
    assert await store.find_recorded_email_keys([]) == set()
