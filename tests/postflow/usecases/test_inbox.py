"""Members' notification centers as use cases: unread first, mark all read, naming a member
from the shell, and notices deleted once past their retention (the injected clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from composition.runtime import open_runtime
from postflow.config import Settings
from postflow.errors import BadInput, NotFound
from postflow.ids import new_id
from postflow.inbox import InboxEntry
from postflow.organizations import ChatIdentity, Member, Role
from postflow.runtime import Runtime
from postflow.usecases.inbox import (
    delete_old_notices,
    latest_notices,
    mark_all_read,
    member_named,
)
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.clock import ManualClock
from tests.postflow.store.factories import make_member, make_org

DAY = 24 * 3600.0


async def a_member(rt: Runtime) -> Member:
    org = make_org()
    await rt.store.insert_organization(org)
    member = make_member(org.id, role=Role.MEMBER, identity=ChatIdentity(
        platform="slack", workspace_id="T1", user_id="U1"))
    await rt.store.insert_member(member)
    return member


async def receive(rt: Runtime, member: Member, text: str) -> InboxEntry:
    entry = InboxEntry(id=new_id("ntc"), org_id=member.org_id, member_id=member.id,
                       kind="post.failed", subject_id="post_1", text=text,
                       created_at=rt.clock.now())
    await rt.store.insert_inbox_entries([entry])
    return entry


async def test_unread_notices_come_first_then_the_latest_read(
        rt: Runtime, clock: ManualClock) -> None:
    member = await a_member(rt)
    old = await receive(rt, member, "old")
    clock.advance(60)
    await mark_all_read(rt, member.org_id, member.id)
    clock.advance(60)
    new = await receive(rt, member, "new")

    view = await latest_notices(rt, member.org_id, member.id)

    assert [e.text for e in view.entries] == ["new", "old"] and view.unread == 1
    assert view.entries[0].id == new.id and not view.entries[1].unread
    assert old.unread


async def test_unread_notices_older_than_read_ones_still_come_first(
        rt: Runtime, clock: ManualClock) -> None:
    member = await a_member(rt)
    await receive(rt, member, "read")
    await mark_all_read(rt, member.org_id, member.id)
    clock.advance(-60)  # an entry stored late, with an earlier time
    await receive(rt, member, "unread")

    view = await latest_notices(rt, member.org_id, member.id, limit=1)

    assert [e.text for e in view.entries] == ["unread"]


async def test_mark_all_read_says_how_many_and_records_when(
        rt: Runtime, clock: ManualClock) -> None:
    member = await a_member(rt)
    await receive(rt, member, "a")
    await receive(rt, member, "b")

    assert await mark_all_read(rt, member.org_id, member.id) == 2
    view = await latest_notices(rt, member.org_id, member.id)
    assert view.unread == 0 and {e.read_at for e in view.entries} == {clock.now()}


async def test_a_member_is_named_by_id_or_by_chat_identity(rt: Runtime) -> None:
    member = await a_member(rt)

    assert (await member_named(rt, member.org_id, member.id)).id == member.id
    assert (await member_named(rt, member.org_id, "slack:T1:U1")).id == member.id


async def test_a_member_of_another_organization_is_not_found(rt: Runtime) -> None:
    member = await a_member(rt)
    other = make_org()
    await rt.store.insert_organization(other)

    with pytest.raises(NotFound):
        await member_named(rt, other.id, member.id)
    with pytest.raises(NotFound):
        await member_named(rt, other.id, "slack:T1:U1")


async def test_an_identity_without_its_workspace_is_refused(rt: Runtime) -> None:
    member = await a_member(rt)

    with pytest.raises(BadInput):
        await member_named(rt, member.org_id, "slack:U1")


async def test_notices_older_than_the_retention_are_deleted(
        rt: Runtime, clock: ManualClock) -> None:
    member = await a_member(rt)
    await receive(rt, member, "over ninety days old")
    clock.advance(DAY)
    await receive(rt, member, "eighty-nine days old")
    clock.advance(89 * DAY + 1)

    assert await delete_old_notices(rt) == 1

    view = await latest_notices(rt, member.org_id, member.id)
    assert [e.text for e in view.entries] == ["eighty-nine days old"]


@pytest.fixture
async def week_rt(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "var", secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
                        http_port=0, notice_retention_days=7)
    runtime = await open_runtime(settings, clock=clock)
    try:
        yield runtime
    finally:
        await runtime.store.close()


async def test_the_retention_is_a_setting(week_rt: Runtime, clock: ManualClock) -> None:
    member = await a_member(week_rt)
    await receive(week_rt, member, "a week old")
    clock.advance(7 * DAY)
    assert await delete_old_notices(week_rt) == 0  # a week old, not older

    clock.advance(1)

    assert await delete_old_notices(week_rt) == 1


def test_the_retention_defaults_to_ninety_days(settings: Settings) -> None:
    assert settings.notice_retention_days == 90
    assert timedelta(days=settings.notice_retention_days) == timedelta(days=90)
