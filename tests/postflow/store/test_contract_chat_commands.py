"""Store contract: the digest of the chat commands last registered (ChatCommandRecords)."""

from __future__ import annotations

from postflow.store.port import Store
from tests.postflow.store.factories import at


async def test_a_scope_never_registered_has_no_digest(store: Store) -> None:
    assert await store.get_chat_commands_digest("discord", "global") is None


async def test_the_last_digest_set_reads_back(store: Store) -> None:
    await store.set_chat_commands_digest("discord", "global", "first", at(1))
    await store.set_chat_commands_digest("discord", "global", "second", at(2))

    assert await store.get_chat_commands_digest("discord", "global") == "second"


async def test_digests_are_kept_per_platform_and_scope(store: Store) -> None:
    await store.set_chat_commands_digest("discord", "global", "g", at(1))
    await store.set_chat_commands_digest("discord", "guild:42", "one", at(1))

    assert await store.get_chat_commands_digest("discord", "global") == "g"
    assert await store.get_chat_commands_digest("discord", "guild:42") == "one"
    assert await store.get_chat_commands_digest("slack", "global") is None
