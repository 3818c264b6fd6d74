"""Hook requests that create posts: publish now, scheduled, review, and secret handling."""

from __future__ import annotations

from datetime import timedelta

from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.runtime import Runtime
from postflow.usecases.connections import set_connection_timezone
from postflow.usecases.hooks import create_hook, rotate_hook_secret
from tests.fakes.clock import ManualClock
from tests.hub.conftest import RecordingQueue, Sender


async def test_post_now_is_accepted_and_enqueued_once(sender: Sender, rt: Runtime,
                                                      org: Organization,
                                                      queue: RecordingQueue) -> None:
    response = await sender.post()
    assert response.status == 202
    body = await response.json()
    post = await rt.store.get_post(org.id, body["post_id"])
    assert body == {"post_id": post.id, "status": "queued", "scheduled_at": None,
                    "scheduled_local": None, "timezone": "UTC", "time_note": None,
                    "status_url": f"http://127.0.0.1:8080/v1/hooks/{sender.hook.hook.id}"
                                  f"/posts/{post.id}"}
    assert post.status is PostStatus.QUEUED
    assert queue.published == [(org.id, post.id, post.version, "publish_now")]


async def test_post_with_future_schedule_at_is_scheduled_not_enqueued(
        sender: Sender, rt: Runtime, org: Organization, queue: RecordingQueue,
        clock: ManualClock) -> None:
    when = clock.now() + timedelta(days=1)
    response = await sender.post(sender.body(schedule_at=when.isoformat()))
    assert response.status == 202
    body = await response.json()
    assert body["status"] == "scheduled"
    assert body["scheduled_at"] == when.isoformat()
    assert (await rt.store.get_post(org.id, body["post_id"])).status is PostStatus.SCHEDULED
    assert queue.published == []


async def test_review_hook_leaves_the_post_in_review(sender: Sender, rt: Runtime,
                                                     org: Organization,
                                                     queue: RecordingQueue) -> None:
    sender.hook = await create_hook(rt, org.id, "Needs a look", actor="test",
                                    review_required=True)
    response = await sender.post()
    assert response.status == 202
    body = await response.json()
    assert body["status"] == "in_review"
    assert (await rt.store.get_post(org.id, body["post_id"])).status is PostStatus.IN_REVIEW
    assert queue.published == []


async def test_post_to_networks_by_name(sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post({"text": "by network", "networks": ["sandbox"]})
    assert response.status == 202
    post = await rt.store.get_post(org.id, (await response.json())["post_id"])
    assert [t.connection_id for t in post.targets] == [sender.sandbox.id]


async def test_one_good_signature_among_several_is_enough(sender: Sender, rt: Runtime,
                                                          org: Organization) -> None:
    raw = b'{"text": "two signatures", "networks": ["sandbox"]}'
    good = sender.sign(raw)
    timestamp, good_v1 = good.split(",")
    response = await sender.post(raw, signature=f"{timestamp},v1={'0' * 64},{good_v1}")
    assert response.status == 202
    assert len(await rt.store.list_posts(org.id)) == 1


async def test_old_secret_still_works_during_rotation_overlap(sender: Sender, rt: Runtime,
                                                              org: Organization) -> None:
    old_secret = sender.hook.secret
    rotated = await rotate_hook_secret(rt, org.id, sender.hook.hook.id, actor="test")
    assert (await sender.post(secret=old_secret)).status == 202
    assert (await sender.post(sender.body(text="signed with the new secret"),
                              secret=rotated.secret)).status == 202
    assert len(await rt.store.list_posts(org.id)) == 2


async def test_old_secret_is_refused_after_the_overlap(sender: Sender, rt: Runtime,
                                                       org: Organization,
                                                       clock: ManualClock) -> None:
    old_secret = sender.hook.secret
    await rotate_hook_secret(rt, org.id, sender.hook.hook.id, actor="test",
                             grace=timedelta(hours=1))
    clock.advance(3601)
    assert (await sender.post(secret=old_secret)).status == 401


async def test_a_local_time_with_a_timezone_is_scheduled_and_shown_back(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    response = await sender.post(sender.body(schedule_at="2026-12-01T09:00:00",
                                             timezone="Europe/Paris"))
    assert response.status == 202
    body = await response.json()
    assert (body["scheduled_at"], body["scheduled_local"], body["timezone"], body["time_note"]) \
        == ("2026-12-01T08:00:00+00:00", "2026-12-01T09:00:00+01:00", "Europe/Paris", None)
    post = await rt.store.get_post(org.id, body["post_id"])
    assert post.timezone == "Europe/Paris"


async def test_a_local_time_without_a_timezone_is_read_in_the_connections_zone(
        sender: Sender, rt: Runtime, org: Organization) -> None:
    await set_connection_timezone(rt, org.id, sender.sandbox.id, "America/New_York",
                                  actor="test")

    response = await sender.post(sender.body(schedule_at="2026-12-01T09:00:00"))

    assert response.status == 202
    body = await response.json()
    assert (body["scheduled_at"], body["scheduled_local"], body["timezone"]) == (
        "2026-12-01T14:00:00+00:00", "2026-12-01T09:00:00-05:00", "America/New_York")
    post = await rt.store.get_post(org.id, body["post_id"])
    assert post.timezone == "America/New_York"


async def test_a_local_time_without_any_zone_is_read_in_the_organizations(
        sender: Sender) -> None:
    response = await sender.post(sender.body(schedule_at="2026-12-01T09:00:00"))

    assert response.status == 202
    body = await response.json()
    assert (body["scheduled_at"], body["timezone"]) == ("2026-12-01T09:00:00+00:00", "UTC")


async def test_a_local_time_skipped_by_spring_forward_moves_forward_with_a_note(
        sender: Sender) -> None:
    response = await sender.post(sender.body(schedule_at="2027-03-14T02:30:00",
                                             timezone="America/New_York"))
    body = await response.json()
    assert (body["scheduled_at"], body["scheduled_local"]) == (
        "2027-03-14T07:30:00+00:00", "2027-03-14T03:30:00-04:00")
    assert "does not exist" in body["time_note"]


async def test_a_local_time_repeated_by_fall_back_takes_the_first_with_a_note(
        sender: Sender) -> None:
    response = await sender.post(sender.body(schedule_at="2027-11-07T01:30:00",
                                             timezone="America/New_York"))
    body = await response.json()
    assert (body["scheduled_at"], body["scheduled_local"]) == (
        "2027-11-07T05:30:00+00:00", "2027-11-07T01:30:00-04:00")
    assert "happens twice" in body["time_note"]
