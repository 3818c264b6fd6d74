"""Media kept in an S3 bucket (or an S3-compatible store: MinIO, R2, ...) through boto3.

Objects are named ``<prefix><sha256>`` and carry their content type and, as user metadata, what
their bytes say (``width``, ``height``, ``duration``: see ``probe.py``), so the bucket itself is the
index; networks that fetch by URL get a presigned GET URL. boto3 is blocking: every call runs in
a thread. A file on disk (a fetched medium) is sent with boto3's ``upload_file``, which reads it
in parts (multipart above 8 MiB), never whole. Credentials come from boto3's usual chain
(``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``, a profile, an instance role); PostFlow
never reads or logs them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from boto3.exceptions import S3UploadFailedError
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from integrations.media.probe import MediaFacts, probe_file, probe_media
from postflow.errors import NotFound
from postflow.media import READ_CHUNK_BYTES, MediaObject, check_media_id, media_id_of_file

_MISSING = {"404", "NoSuchKey", "NotFound"}


class MediaStoreUnavailable(Exception):
    """The bucket could not be reached or refused PostFlow (credentials, permissions)."""


def s3_client(*, endpoint_url: str | None, region: str | None) -> Any:
    """A client signing SigV4 (presigned URLs with ``X-Amz-*``); path-style addressing for an
    S3-compatible endpoint, which often has no per-bucket host names."""
    config = Config(signature_version="s3v4",
                    s3={"addressing_style": "path" if endpoint_url else "auto"})
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3MediaStore:
    def __init__(self, client: Any, bucket: str, prefix: str = "media/") -> None:
        self._client = client
        self._bucket = bucket
        self._prefix = prefix

    def _key(self, media_id: str) -> str:
        return self._prefix + check_media_id(media_id)

    async def put(self, data: bytes, content_type: str) -> MediaObject:
        media_id = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
        try:
            return await self.get(media_id)  # stored already: never uploaded twice
        except NotFound:
            pass
        facts = await asyncio.to_thread(probe_media, data, content_type)
        await self._call("put_object", Bucket=self._bucket, Key=self._key(media_id), Body=data,
                         ContentType=content_type, Metadata=_metadata(media_id, facts))
        return MediaObject(id=media_id, content_type=content_type, size=len(data),
                           sha256=media_id, width=facts.width, height=facts.height,
                           duration_seconds=facts.duration_seconds)

    async def put_file(self, path: Path, content_type: str, *,
                       sha256: str | None = None) -> MediaObject:
        if sha256 is None:
            sha256 = await asyncio.to_thread(media_id_of_file, path)
        media_id = check_media_id(sha256)
        try:
            return await self.get(media_id)
        except NotFound:
            pass
        facts = await asyncio.to_thread(probe_file, path, content_type)
        size = (await asyncio.to_thread(path.stat)).st_size
        await self._call("upload_file", str(path), self._bucket, self._key(media_id),
                         ExtraArgs={"ContentType": content_type,
                                    "Metadata": _metadata(media_id, facts)})
        return MediaObject(id=media_id, content_type=content_type, size=size,
                           sha256=media_id, width=facts.width, height=facts.height,
                           duration_seconds=facts.duration_seconds)

    async def get(self, media_id: str) -> MediaObject:
        head = await self._call("head_object", Bucket=self._bucket, Key=self._key(media_id))
        facts = _facts(head.get("Metadata") or {})
        return MediaObject(id=media_id, content_type=str(head["ContentType"]),
                           size=int(head["ContentLength"]), sha256=media_id, width=facts.width,
                           height=facts.height, duration_seconds=facts.duration_seconds)

    async def read(self, media_id: str) -> bytes:
        answer = await self._call("get_object", Bucket=self._bucket, Key=self._key(media_id))
        data: bytes = await asyncio.to_thread(answer["Body"].read)
        return data

    async def read_chunks(self, media_id: str,
                          chunk_size: int = READ_CHUNK_BYTES) -> AsyncIterator[bytes]:
        size = (await self.get(media_id)).size
        for start in range(0, size, chunk_size):
            end = min(start + chunk_size, size) - 1
            answer = await self._call("get_object", Bucket=self._bucket,
                                      Key=self._key(media_id), Range=f"bytes={start}-{end}")
            yield await asyncio.to_thread(answer["Body"].read)

    async def url(self, media_id: str, expires_in: timedelta) -> str:
        url: str = await asyncio.to_thread(
            self._client.generate_presigned_url, "get_object",
            Params={"Bucket": self._bucket, "Key": self._key(media_id)},
            ExpiresIn=int(expires_in.total_seconds()))
        return url

    async def delete(self, media_id: str) -> None:
        # S3 answers a delete of a missing key with success too: nothing to tell apart.
        await self._call("delete_object", Bucket=self._bucket, Key=self._key(media_id))

    async def _call(self, operation: str, *args: Any, **params: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self._client, operation), *args, **params)
        except ClientError as err:
            code = str(err.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise NotFound("No medium has this id.") from None
            raise MediaStoreUnavailable(f"The media bucket refused {operation} ({code}).") \
                from None
        except S3UploadFailedError:  # upload_file's wrapper around a refused part
            raise MediaStoreUnavailable(f"The media bucket refused {operation}.") from None
        except BotoCoreError as err:
            raise MediaStoreUnavailable(f"The media bucket could not be reached "
                                        f"({type(err).__name__}).") from None


def _metadata(media_id: str, facts: MediaFacts) -> dict[str, str]:
    """An object's user metadata: its digest and the facts that are known."""
    metadata = {"sha256": media_id}
    for name, value in (("width", facts.width), ("height", facts.height),
                        ("duration", facts.duration_seconds)):
        if value is not None:
            metadata[name] = str(value)
    return metadata


def _facts(metadata: dict[str, str]) -> MediaFacts:
    """The probe's facts from an object's user metadata; objects stored before have none."""
    def number(name: str) -> float | None:
        try:
            return float(metadata[name])
        except (KeyError, ValueError):
            return None

    width, height = number("width"), number("height")
    return MediaFacts(width=int(width) if width is not None else None,
                      height=int(height) if height is not None else None,
                      duration_seconds=number("duration"))
