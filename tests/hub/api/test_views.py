"""Views built as plain dicts for speed read exactly as their pydantic models would."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic_core import to_json

from hub.api.views import PostPage, PostView, post_page_json, post_view
from postflow.posts import MediaRef, Post, PostSource, PostStatus, PostTarget, TargetStatus

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_post_view_is_a_post_view_model_field_for_field() -> None:
    post = Post(id="post_1", org_id="org_1", text="Hello", variants={"x": "Hi"},
                media=[MediaRef(url="https://example.com/a.png")],
                targets=[PostTarget(connection_id="c1", network="x",
                                    status=TargetStatus.FAILED, error_kind="rejected",
                                    error_message="Too long", error_code="186"),
                         PostTarget(connection_id="c2", network="sandbox",
                                    status=TargetStatus.PUBLISHED, url="https://s/1",
                                    published_at=AT)],
                timezone="Europe/Paris", scheduled_at=AT, time_note="moved",
                status=PostStatus.PARTIAL, source=PostSource(kind="api", ref="key_1"),
                created_by="api_key:key_1", created_at=AT, updated_at=AT)

    view = post_view(post)

    assert set(view) == set(PostView.model_fields)
    assert to_json(view) == PostView.model_validate(view).model_dump_json().encode()
    assert b'"scheduled_local":"2026-11-25T13:00:00+01:00"' in to_json(view)


def test_a_changed_post_gets_a_new_view() -> None:
    post = Post(id="post_1", org_id="org_1", text="Hello",
                targets=[PostTarget(connection_id="c1", network="x")],
                status=PostStatus.SCHEDULED, source=PostSource(kind="api"),
                created_at=AT, updated_at=AT)
    first = post_view(post)

    changed = post.model_copy(update={"text": "Changed", "version": 2})

    assert post_view(post) is first
    assert post_view(changed)["text"] == "Changed"


def test_a_page_of_posts_serializes_as_its_model() -> None:
    posts = [Post(id=f"post_{i}", org_id="org_1", text=f"Hello {i}",
                  targets=[PostTarget(connection_id="c1", network="x")],
                  status=PostStatus.SCHEDULED, source=PostSource(kind="api"),
                  created_at=AT, updated_at=AT) for i in range(3)]

    for cursor in (None, "abc"):
        page = post_page_json(posts, cursor)
        assert page == PostPage.model_validate_json(page).model_dump_json().encode()
        assert page == to_json({"data": [post_view(p) for p in posts], "next_cursor": cursor})
