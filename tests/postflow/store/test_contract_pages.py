"""Store contract: keyset pages of posts and audit events, newest first, stable under inserts."""

from __future__ import annotations

from postflow.audit import AuditEvent
from postflow.pages import PageAfter, PostFilter
from postflow.posts import Post, PostStatus, PostTarget
from postflow.store.port import Store
from tests.postflow.store.factories import at, make_post


def _after(post: Post) -> PageAfter:
    return PageAfter(at=post.created_at, id=post.id)


async def _page_through(store: Store, org_id: str, filter_: PostFilter,
                        limit: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = await store.list_posts_page(org_id, filter_, after=after, limit=limit)
        seen += [p.id for p in page]
        if len(page) < limit:
            return seen
        after = _after(page[-1])


async def test_posts_page_through_every_post_once_newest_first(store: Store) -> None:
    # Several posts share an instant: the id breaks the tie.
    posts = [make_post("org_a", created_at=at(i // 3)) for i in range(11)]
    for post in posts:
        await store.insert_post(post)
    await store.insert_post(make_post("org_b"))

    seen = await _page_through(store, "org_a", PostFilter(), limit=4)

    expected = [p.id for p in sorted(posts, key=lambda p: (p.created_at, p.id), reverse=True)]
    assert seen == expected


async def test_a_post_inserted_while_paging_shifts_no_page(store: Store) -> None:
    posts = [make_post("org_a", created_at=at(i)) for i in range(6)]
    for post in posts:
        await store.insert_post(post)
    first = await store.list_posts_page("org_a", PostFilter(), after=None, limit=3)
    await store.insert_post(make_post("org_a", created_at=at(10)))

    second = await store.list_posts_page("org_a", PostFilter(), after=_after(first[-1]),
                                         limit=3)

    assert [p.id for p in second] == [posts[2].id, posts[1].id, posts[0].id]


async def test_posts_page_filters_by_status_network_and_times(store: Store) -> None:
    scheduled = make_post("org_a", status=PostStatus.SCHEDULED, created_at=at(1),
                          scheduled_at=at(100))
    on_x = make_post("org_a", created_at=at(2), targets=[
        PostTarget(connection_id="c1", network="mastodon"),
        PostTarget(connection_id="c2", network="x")])
    old = make_post("org_a", created_at=at(-10))
    for post in (scheduled, on_x, old):
        await store.insert_post(post)

    async def ids(filter_: PostFilter) -> list[str]:
        return [p.id for p in await store.list_posts_page("org_a", filter_, after=None,
                                                          limit=10)]

    assert await ids(PostFilter(statuses=(PostStatus.SCHEDULED,))) == [scheduled.id]
    assert await ids(PostFilter(network="x")) == [on_x.id]
    assert await ids(PostFilter(created_from=at(0))) == [on_x.id, scheduled.id]
    assert await ids(PostFilter(created_before=at(2))) == [scheduled.id, old.id]
    assert await ids(PostFilter(scheduled_from=at(50), scheduled_before=at(101))) == \
        [scheduled.id]
    assert await ids(PostFilter(scheduled_from=at(101))) == []


async def test_audit_page_is_newest_first_and_continues_after_the_cursor(store: Store) -> None:
    events = [AuditEvent(id=f"evt_{i:03d}", org_id="org_a", at=at(i // 2), actor="cli",
                         action="post.created", subject_id="post_1" if i % 2 else "post_2")
              for i in range(7)]
    for event in events:
        await store.append_audit(event)
    await store.append_audit(AuditEvent(id="evt_other", org_id="org_b", at=at(0), actor="cli",
                                        action="post.created", subject_id="post_9"))

    first = await store.list_audit_page("org_a", subject_id=None, after=None, limit=4)
    rest = await store.list_audit_page("org_a", subject_id=None,
                                       after=PageAfter(at=first[-1].at, id=first[-1].id),
                                       limit=10)
    only = await store.list_audit_page("org_a", subject_id="post_1", after=None, limit=10)

    assert [e.id for e in first + rest] == [e.id for e in reversed(events)]
    assert [e.subject_id for e in only] == ["post_1"] * 3


async def test_a_page_read_again_shows_a_post_changed_since(store: Store) -> None:
    post = make_post("org_a")
    await store.insert_post(post)
    await store.list_posts_page("org_a", PostFilter(), after=None, limit=10)

    await store.replace_post(post.model_copy(update={"text": "Changed", "version": 2}),
                             expected_version=1)

    again = await store.list_posts_page("org_a", PostFilter(), after=None, limit=10)
    assert [(p.text, p.version) for p in again] == [("Changed", 2)]
