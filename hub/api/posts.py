"""``/v1/posts``: create, list, read, edit, cancel, publish now and reschedule posts."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hub.api.call import Answer, ApiCall
from hub.api.pages import PageQuery, decode_cursor, next_cursor
from hub.api.table import ApiRoute
from hub.api.views import (
    PostDetail,
    PostPage,
    PostView,
    post_detail,
    post_json,
    post_page_json,
)
from hub.hook_request import HookPostBody
from postflow.api_keys import ApiScope
from postflow.errors import BadInput
from postflow.pages import PageAfter, PostFilter
from postflow.posts import Post, PostSource, PostStatus
from postflow.reviews import ReviewWhen
from postflow.usecases.dispatch import dispatch_if_due
from postflow.usecases.edit_post import PostEdit, edit_post
from postflow.usecases.post_actions import cancel_post, publish_now, reschedule_post
from postflow.usecases.submit_post import submit_post

#: ``source.kind`` of posts created through the API.
API_SOURCE = "api"
#: Audit events shown with a post (the oldest first).
MAX_POST_AUDIT = 200


class PostCreate(HookPostBody):
    """The same fields as a hook's body, read as strictly."""


class PostListQuery(PageQuery):
    status: str | None = Field(None, description="Statuses, comma-separated: "
                               + ", ".join(s.value for s in PostStatus) + ".")
    network: str | None = Field(None, description="Posts with a target on this network.")
    created_from: AwareDatetime | None = Field(None, description="Created at or after.")
    created_before: AwareDatetime | None = Field(None, description="Created before.")
    scheduled_from: AwareDatetime | None = Field(None, description="Scheduled at or after.")
    scheduled_before: AwareDatetime | None = Field(None, description="Scheduled before.")


class PostUpdate(BaseModel):
    """What to change while the post is editable (draft, in review, approved, scheduled);
    a field left out stays. An edit that invalidates a review sends the post back to it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str | None = None
    variants: dict[str, str] | None = None
    schedule_at: AwareDatetime | None = Field(
        None, description="The new time, with an offset.")
    queue: bool = Field(False, description="Take the next free slot of the queue instead.")


class Reschedule(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    schedule_at: AwareDatetime = Field(description="The new time, with an offset.")
    include_unconfirmed: bool = Field(
        False, description="Also retry targets whose outcome is unconfirmed.")


class PublishNow(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_unconfirmed: bool = False


def _position(post: Post) -> PageAfter:
    return PageAfter(at=post.created_at, id=post.id)


def _statuses(text: str | None) -> tuple[PostStatus, ...] | None:
    if text is None:
        return None
    known = {s.value: s for s in PostStatus}
    words = [w.strip() for w in text.split(",") if w.strip()]
    unknown = [w for w in words if w not in known]
    if unknown or not words:
        raise BadInput(f"Unknown status {', '.join(unknown) or '(empty)'}: use "
                       f"{', '.join(known)}.", details={"parameter": "status"})
    return tuple(known[w] for w in words)


async def create_post(call: ApiCall) -> Answer:
    body = call.body_as(PostCreate)
    post = await submit_post(call.rt, call.org.id, body, source=PostSource(
        kind=API_SOURCE, ref=call.key.id), actor=call.actor, review_required=False)
    post = await dispatch_if_due(call.rt, call.queue, post)
    return Answer(post_json(post), status=201,
                  headers={"Location": f"/v1/posts/{post.id}"})


async def list_posts(call: ApiCall) -> Answer:
    query = call.query_as(PostListQuery)
    if query.network is not None:
        call.rt.providers.get(query.network)  # BadInput naming the networks for a typo
    filter_ = PostFilter(statuses=_statuses(query.status), network=query.network,
                         created_from=query.created_from, created_before=query.created_before,
                         scheduled_from=query.scheduled_from,
                         scheduled_before=query.scheduled_before)
    posts = await call.rt.store.list_posts_page(call.org.id, filter_,
                                                after=decode_cursor(query.cursor),
                                                limit=query.limit + 1)
    return Answer(post_page_json(posts[:query.limit],
                                 next_cursor(posts, query.limit, _position)))


async def get_post(call: ApiCall) -> Answer:
    store, org_id = call.rt.store, call.org.id
    post = await store.get_post(org_id, call.path("post_id"))
    return Answer(post_detail(post, await store.list_attempts(org_id, post.id),
                              await store.list_audit(org_id, post.id, MAX_POST_AUDIT)))


async def update_post(call: ApiCall) -> Answer:
    body = call.body_as(PostUpdate)
    if body.schedule_at is not None and body.queue:
        raise BadInput("Give either `schedule_at` or `queue`, not both.")
    when = ReviewWhen.AT if body.schedule_at is not None else \
        ReviewWhen.QUEUE if body.queue else None
    edited = await edit_post(call.rt, call.org.id, call.path("post_id"), PostEdit(
        text=body.text, variants=body.variants, when=when, at=body.schedule_at),
        actor=call.actor)
    return Answer(post_json(edited.post))


async def cancel(call: ApiCall) -> Answer:
    post = await cancel_post(call.rt, call.org.id, call.path("post_id"), actor=call.actor)
    return Answer(post_json(post))


async def publish_post_now(call: ApiCall) -> Answer:
    body = call.body_as(PublishNow)
    post = await publish_now(call.rt, call.queue, call.org.id, call.path("post_id"),
                             actor=call.actor, include_unconfirmed=body.include_unconfirmed)
    return Answer(post_json(post), status=202)


async def reschedule(call: ApiCall) -> Answer:
    body = call.body_as(Reschedule)
    post = await reschedule_post(call.rt, call.org.id, call.path("post_id"), body.schedule_at,
                                 actor=call.actor,
                                 include_unconfirmed=body.include_unconfirmed)
    return Answer(post_json(post))




ROUTES = (
    ApiRoute("POST", "/v1/posts", create_post, ApiScope.POSTS_WRITE, "Create a post",
             PostView, 201, body=PostCreate, tag="posts",
             description="Scheduled at `schedule_at`, in the next queue slot (`queue`), or "
                         "published as soon as possible. Answers 201 with the post."),
    ApiRoute("GET", "/v1/posts", list_posts, ApiScope.POSTS_READ, "List posts", PostPage,
             query=PostListQuery, tag="posts",
             description="Newest first; filter by status, network and time ranges."),
    ApiRoute("GET", "/v1/posts/{post_id}", get_post, ApiScope.POSTS_READ,
             "Get a post with its targets, attempts and audit trail", PostDetail, tag="posts"),
    ApiRoute("PATCH", "/v1/posts/{post_id}", update_post, ApiScope.POSTS_WRITE,
             "Edit a post's text, variants or time", PostView, body=PostUpdate, tag="posts",
             description="Only while the post is a draft, in review, approved or scheduled "
                         "(409 otherwise)."),
    ApiRoute("POST", "/v1/posts/{post_id}/cancel", cancel, ApiScope.POSTS_WRITE,
             "Cancel a post", PostView, tag="posts"),
    ApiRoute("POST", "/v1/posts/{post_id}/publish-now", publish_post_now, ApiScope.POSTS_WRITE,
             "Publish a post now", PostView, 202, body=PublishNow, tag="posts",
             description="Hands the post to a worker (202); failed or partial posts retry "
                         "their failed targets."),
    ApiRoute("POST", "/v1/posts/{post_id}/reschedule", reschedule, ApiScope.POSTS_WRITE,
             "Reschedule a post", PostView, body=Reschedule, tag="posts"),
)
