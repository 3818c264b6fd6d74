"""The S3 media store against moto's S3 server on loopback (docs: python-deps.md, moto).

moto does not check presigned signatures, so only the round trip through a presigned URL is
tested here; the hub's own signed URLs (local store) have their expiry and tamper tests."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from integrations.media.s3 import S3MediaStore, s3_client
from postflow.errors import NotFound
from tests.fakes.media_files import movie
from tests.integrations.media.conftest import mp4, png

BUCKET = "postflow-media"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def client(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    s3 = s3_client(endpoint_url=moto_endpoint, region="eu-west-1")
    existing = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    if BUCKET not in existing:
        s3.create_bucket(Bucket=BUCKET,
                         CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    return s3


@pytest.fixture
def store(client: Any) -> S3MediaStore:
    return S3MediaStore(client, BUCKET, "media/")


async def test_bytes_put_come_back_with_their_type_and_size(store: S3MediaStore,
                                                            client: Any) -> None:
    data = png()

    stored = await store.put(data, "image/png")

    assert stored.id == hashlib.sha256(data).hexdigest()
    assert await store.get(stored.id) == stored
    assert await store.read(stored.id) == data
    head = client.head_object(Bucket=BUCKET, Key=f"media/{stored.id}")
    assert head["ContentType"] == "image/png"


async def test_a_videos_size_and_duration_travel_as_object_metadata(
        store: S3MediaStore, client: Any) -> None:
    stored = await store.put(movie(1280, 720, seconds=42.0), "video/mp4")

    again = await store.get(stored.id)

    assert (again.width, again.height, again.duration_seconds) == (1280, 720, 42.0)
    head = client.head_object(Bucket=BUCKET, Key=f"media/{stored.id}")
    assert head["Metadata"]["duration"] == "42.0"


async def test_a_file_is_uploaded_from_disk_with_its_facts(
        store: S3MediaStore, client: Any, tmp_path: Path) -> None:
    data = movie(1280, 720, seconds=42.0)
    source = tmp_path / "staged"
    source.write_bytes(data)

    stored = await store.put_file(source, "video/mp4")

    assert (stored.id, stored.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert await store.get(stored.id) == stored
    assert await store.read(stored.id) == data
    head = client.head_object(Bucket=BUCKET, Key=f"media/{stored.id}")
    assert (head["ContentType"], head["Metadata"]["duration"]) == ("video/mp4", "42.0")
    assert source.exists()  # the caller's to delete


async def test_the_same_bytes_are_uploaded_once(store: S3MediaStore, client: Any) -> None:
    await store.put(png(), "image/png")
    await store.put(png(), "image/png")

    assert client.list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1


async def test_a_video_reads_back_in_ranged_chunks(store: S3MediaStore) -> None:
    data = mp4(2500)
    stored = await store.put(data, "video/mp4")

    chunks = [c async for c in store.read_chunks(stored.id, 1000)]

    assert [len(c) for c in chunks] == [1000, 1000, 500]
    assert b"".join(chunks) == data


async def test_a_presigned_url_serves_the_object(store: S3MediaStore) -> None:
    stored = await store.put(png(), "image/png")

    url = await store.url(stored.id, timedelta(minutes=5))

    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert await response.read() == png()


async def test_a_missing_object_is_not_found(store: S3MediaStore) -> None:
    with pytest.raises(NotFound):
        await store.get("0" * 64)


async def test_a_deleted_medium_is_gone_and_deleting_it_again_is_fine(
        store: S3MediaStore) -> None:
    kept = await store.put(png(fill=b"k"), "image/png")
    gone = await store.put(png(fill=b"g"), "image/png")

    await store.delete(gone.id)
    await store.delete(gone.id)

    with pytest.raises(NotFound):
        await store.get(gone.id)
    assert await store.read(kept.id) == png(fill=b"k")
