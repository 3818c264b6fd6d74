"""The local media store: content-addressed files under the data dir."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from integrations.media.local import LocalMediaStore
from postflow.errors import NotFound
from tests.fakes.media_files import movie
from tests.integrations.media.conftest import mp4, png


async def test_bytes_put_come_back_with_their_type_size_and_digest(
        local_store: LocalMediaStore) -> None:
    data = png()

    stored = await local_store.put(data, "image/png")

    assert stored.id == stored.sha256 == hashlib.sha256(data).hexdigest()
    assert (stored.content_type, stored.size) == ("image/png", len(data))
    assert await local_store.get(stored.id) == stored
    assert await local_store.read(stored.id) == data


async def test_the_same_bytes_are_stored_once(local_store: LocalMediaStore) -> None:
    first = await local_store.put(png(), "image/png")
    again = await local_store.put(png(), "image/png")

    assert again == first
    files = [p for p in local_store.path_of(first.id).parent.iterdir()]
    assert sorted(p.name for p in files) == [first.id, first.id + ".json"]


async def test_a_file_is_stored_from_disk_and_stays_the_callers(
        local_store: LocalMediaStore, tmp_path: Path) -> None:
    data = movie(1280, 720, seconds=12.0)
    source = tmp_path / "staged"
    source.write_bytes(data)

    stored = await local_store.put_file(source, "video/mp4")

    assert stored.id == hashlib.sha256(data).hexdigest()
    assert (stored.size, stored.width, stored.height, stored.duration_seconds) == (
        len(data), 1280, 720, 12.0)
    assert await local_store.get(stored.id) == stored
    assert await local_store.read(stored.id) == data
    source.unlink()  # the caller's to delete: the stored copy does not depend on it
    assert await local_store.read(stored.id) == data


async def test_a_file_and_the_same_bytes_put_are_one_object(
        local_store: LocalMediaStore, tmp_path: Path) -> None:
    source = tmp_path / "staged"
    source.write_bytes(png())

    from_file = await local_store.put_file(source, "image/png",
                                           sha256=hashlib.sha256(png()).hexdigest())

    assert await local_store.put(png(), "image/png") == from_file


async def test_a_large_file_reads_back_in_chunks(local_store: LocalMediaStore) -> None:
    data = mp4(2500)
    stored = await local_store.put(data, "video/mp4")

    chunks = [c async for c in local_store.read_chunks(stored.id, 1000)]

    assert [len(c) for c in chunks] == [1000, 1000, 500]
    assert b"".join(chunks) == data


async def test_an_unknown_or_malformed_id_is_not_found(local_store: LocalMediaStore) -> None:
    with pytest.raises(NotFound):
        await local_store.get("0" * 64)
    with pytest.raises(NotFound):
        await local_store.read("../../secret.key")


async def test_its_url_is_the_hubs_signed_media_address(local_store: LocalMediaStore) -> None:
    stored = await local_store.put(png(), "image/png")

    url = await local_store.url(stored.id, timedelta(minutes=10))

    assert url.startswith(f"http://127.0.0.1:8080/media/{stored.id}?exp=")
    assert "&sig=" in url


async def test_a_deleted_medium_is_gone_and_deleting_it_again_is_fine(
        local_store: LocalMediaStore) -> None:
    kept = await local_store.put(png(fill=b"k"), "image/png")
    gone = await local_store.put(png(fill=b"g"), "image/png")

    await local_store.delete(gone.id)
    await local_store.delete(gone.id)

    with pytest.raises(NotFound):
        await local_store.get(gone.id)
    assert not local_store.path_of(gone.id).exists()
    assert await local_store.read(kept.id) == png(fill=b"k")
