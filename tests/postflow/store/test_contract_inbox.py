"""Store contract: members' notification centers (read or unread, per member, per
organization, deleted by age)."""

from __future__ import annotations

from typing import Any

from postflow.ids import new_id
from postflow.inbox import InboxEntry
from postflow.store.port import Store
from tests.postflow.store.factories import at


def entry(org_id: str = "org_a", member_id: str = "mem_a", minutes: float = 0,
          **fields: Any) -> InboxEntry:
    values: dict[str, Any] = {"id": new_id("ntc"), "org_id": org_id, "member_id": member_id,
                              "kind": "post.failed", "subject_id": "post_1",
                              "post_id": "post_1", "text": "Post post_1 failed.",
                              "created_at": at(minutes)}
    return InboxEntry(**(values | fields))


async def test_entries_are_listed_newest_first(store: Store) -> None:
    first, second, third = entry(minutes=1), entry(minutes=3), entry(minutes=2)
    await store.insert_inbox_entries([first, second, third])

    assert await store.list_inbox_entries("org_a", "mem_a") == [second, third, first]


async def test_the_limit_keeps_the_newest(store: Store) -> None:
    entries = [entry(minutes=m) for m in range(5)]
    await store.insert_inbox_entries(entries)

    listed = await store.list_inbox_entries("org_a", "mem_a", limit=2)

    assert [e.id for e in listed] == [entries[4].id, entries[3].id]


async def test_a_member_sees_only_their_own_entries(store: Store) -> None:
    mine, theirs = entry(), entry(member_id="mem_b")
    await store.insert_inbox_entries([mine, theirs])

    assert await store.list_inbox_entries("org_a", "mem_a") == [mine]


async def test_another_organization_never_sees_the_entries(store: Store) -> None:
    await store.insert_inbox_entries([entry(org_id="org_a", member_id="mem_a")])

    assert await store.list_inbox_entries("org_b", "mem_a") == []
    assert await store.count_unread_inbox_entries("org_b", "mem_a") == 0
    assert await store.mark_inbox_read("org_b", "mem_a", at(5)) == 0
    assert (await store.list_inbox_entries("org_a", "mem_a"))[0].unread


async def test_marking_read_marks_every_unread_entry_of_the_member_only(store: Store) -> None:
    await store.insert_inbox_entries([entry(minutes=1), entry(minutes=2),
                                      entry(member_id="mem_b")])

    assert await store.mark_inbox_read("org_a", "mem_a", at(10)) == 2

    assert [e.read_at for e in await store.list_inbox_entries("org_a", "mem_a")] == \
        [at(10), at(10)]
    assert await store.count_unread_inbox_entries("org_a", "mem_a") == 0
    assert await store.count_unread_inbox_entries("org_a", "mem_b") == 1


async def test_marking_read_again_keeps_the_first_read_time(store: Store) -> None:
    await store.insert_inbox_entries([entry()])
    await store.mark_inbox_read("org_a", "mem_a", at(10))

    assert await store.mark_inbox_read("org_a", "mem_a", at(20)) == 0
    assert (await store.list_inbox_entries("org_a", "mem_a"))[0].read_at == at(10)


async def test_unread_only_lists_the_unread(store: Store) -> None:
    await store.insert_inbox_entries([entry(minutes=1)])
    await store.mark_inbox_read("org_a", "mem_a", at(2))
    newer = entry(minutes=3)
    await store.insert_inbox_entries([newer])

    assert await store.list_inbox_entries("org_a", "mem_a", unread_only=True) == [newer]
    assert await store.count_unread_inbox_entries("org_a", "mem_a") == 1


async def test_purge_deletes_entries_created_before_the_cutoff_in_every_organization(
        store: Store) -> None:
    old_a, old_b = entry(minutes=1), entry(org_id="org_b", minutes=2)
    kept = entry(minutes=10)
    await store.insert_inbox_entries([old_a, old_b, kept])

    assert await store.purge_inbox_entries(at(10), limit=100) == 2

    assert await store.list_inbox_entries("org_a", "mem_a") == [kept]
    assert await store.list_inbox_entries("org_b", "mem_a") == []


async def test_purge_deletes_at_most_the_limit_oldest_first(store: Store) -> None:
    entries = [entry(minutes=m) for m in range(5)]
    await store.insert_inbox_entries(entries)

    assert await store.purge_inbox_entries(at(100), limit=3) == 3

    assert [e.id for e in await store.list_inbox_entries("org_a", "mem_a")] == \
        [entries[4].id, entries[3].id]


async def test_inserting_nothing_is_nothing(store: Store) -> None:
    await store.insert_inbox_entries([])

    assert await store.list_inbox_entries("org_a", "mem_a") == []
