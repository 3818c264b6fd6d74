"""Store contract: drafts of multi-step chat forms (kept for minutes, then gone)."""

from __future__ import annotations

from postflow.chat_drafts import ChatDraft
from postflow.store.port import Store
from tests.postflow.store.factories import at


def draft(state: str = '{"text": "hi"}', expires: float = 15) -> ChatDraft:
    return ChatDraft(id="d1", org_id="org1", actor="discord:g:u", state=state,
                     expires_at=at(expires))


async def test_a_saved_draft_is_read_back_while_it_lives(store: Store) -> None:
    await store.save_chat_draft(draft())

    assert await store.get_chat_draft("d1", at(1)) == draft()


async def test_saving_again_replaces_the_state(store: Store) -> None:
    await store.save_chat_draft(draft())
    await store.save_chat_draft(draft('{"text": "bye"}', expires=20))

    assert await store.get_chat_draft("d1", at(16)) == draft('{"text": "bye"}', expires=20)


async def test_an_expired_or_unknown_draft_is_none(store: Store) -> None:
    await store.save_chat_draft(draft())

    assert await store.get_chat_draft("d1", at(15)) is None
    assert await store.get_chat_draft("nope", at(1)) is None


async def test_a_deleted_draft_is_gone(store: Store) -> None:
    await store.save_chat_draft(draft())

    assert await store.delete_chat_draft("d1") is True
    assert await store.delete_chat_draft("d1") is False
    assert await store.get_chat_draft("d1", at(1)) is None


async def test_purge_deletes_expired_drafts_only(store: Store) -> None:
    await store.save_chat_draft(draft())
    await store.save_chat_draft(ChatDraft(id="d2", org_id="org1", actor="a", state="{}",
                                          expires_at=at(30)))

    assert await store.purge_chat_drafts(at(20)) == 1
    assert await store.get_chat_draft("d2", at(20)) is not None
