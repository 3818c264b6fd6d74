"""Media kept in a local folder (the default): ``$POSTFLOW_DATA_DIR/media``.

Each medium is one file named by its SHA-256 (``ab/abcdef...``) with a small JSON file beside it
holding its content type and what its bytes say (width, height, duration: see ``probe.py``).
Files are written to a temporary name and renamed into place, so a reader never sees half a file
and two writers of the same bytes both end with the same file. A file already on disk (a fetched
medium in ``$POSTFLOW_DATA_DIR/tmp``) is hard-linked into place, or copied piece by piece when
it is on another file system: never read whole into memory. The hub serves them at signed,
expiring URLs (``hub/routes/media.py``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from integrations.media.probe import MediaFacts, probe_file
from integrations.media.signed_urls import signed_media_url
from postflow.clock import Clock
from postflow.errors import NotFound
from postflow.media import READ_CHUNK_BYTES, MediaObject, check_media_id, media_id_of_file
from postflow.signed_tokens import TokenSigner


class LocalMediaStore:
    def __init__(self, root: Path, *, base_url: str, secret_key: str, clock: Clock) -> None:
        self._root = root
        self._base_url = base_url
        self._signer = TokenSigner([secret_key], clock)

    def path_of(self, media_id: str) -> Path:
        """Where the bytes of ``media_id`` are (or would be)."""
        media_id = check_media_id(media_id)
        return self._root / media_id[:2] / media_id

    async def put(self, data: bytes, content_type: str) -> MediaObject:
        return await asyncio.to_thread(self._put, data, content_type)

    async def put_file(self, path: Path, content_type: str, *,
                       sha256: str | None = None) -> MediaObject:
        return await asyncio.to_thread(self._put_file, path, content_type, sha256)

    async def get(self, media_id: str) -> MediaObject:
        return await asyncio.to_thread(self._get, media_id)

    async def read(self, media_id: str) -> bytes:
        path = self.path_of(media_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise NotFound("No medium has this id.") from None

    async def read_chunks(self, media_id: str,
                          chunk_size: int = READ_CHUNK_BYTES) -> AsyncIterator[bytes]:
        path = self.path_of(media_id)
        try:
            handle: BinaryIO = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError:
            raise NotFound("No medium has this id.") from None
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            handle.close()

    async def url(self, media_id: str, expires_in: timedelta) -> str:
        return signed_media_url(self._base_url, self._signer, check_media_id(media_id),
                                expires_in)

    async def delete(self, media_id: str) -> None:
        await asyncio.to_thread(self._delete, media_id)

    # -- blocking file work, run in a thread --------------------------------------------------

    def _put(self, data: bytes, content_type: str) -> MediaObject:
        media_id = hashlib.sha256(data).hexdigest()
        path = self.path_of(media_id)
        try:
            return self._get(media_id)  # stored already: the same bytes are never written twice
        except NotFound:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, data)
        return self._described(path, media_id, content_type)

    def _put_file(self, source: Path, content_type: str, sha256: str | None) -> MediaObject:
        media_id = check_media_id(sha256 or media_id_of_file(source))
        path = self.path_of(media_id)
        try:
            return self._get(media_id)
        except NotFound:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        _place_atomically(source, path)
        return self._described(path, media_id, content_type)

    def _described(self, path: Path, media_id: str, content_type: str) -> MediaObject:
        """Probe the medium just placed at ``path`` and write its meta file beside it."""
        size = path.stat().st_size
        facts = probe_file(path, content_type)
        meta = {"content_type": content_type, "size": size, "width": facts.width,
                "height": facts.height, "duration_seconds": facts.duration_seconds}
        _write_atomically(_meta_path(path), json.dumps(meta).encode("utf-8"))
        return MediaObject(id=media_id, content_type=content_type, size=size,
                           sha256=media_id, width=facts.width, height=facts.height,
                           duration_seconds=facts.duration_seconds)

    def _get(self, media_id: str) -> MediaObject:
        path = self.path_of(media_id)
        try:
            meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
            size = path.stat().st_size
        except FileNotFoundError:
            raise NotFound("No medium has this id.") from None
        # Media stored before probing have no facts in their meta: unknown, not re-read.
        facts = MediaFacts(width=_int(meta.get("width")), height=_int(meta.get("height")),
                           duration_seconds=_float(meta.get("duration_seconds")))
        return MediaObject(id=media_id, content_type=str(meta["content_type"]), size=size,
                           sha256=media_id, width=facts.width, height=facts.height,
                           duration_seconds=facts.duration_seconds)


    def _delete(self, media_id: str) -> None:
        path = self.path_of(media_id)
        # The description first: a medium without it reads as missing, never as half a file.
        _meta_path(path).unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _write_atomically(path: Path, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _place_atomically(source: Path, path: Path) -> None:
    """Put the file ``source`` at ``path`` (``source`` stays): a hard link on the same file
    system, else a copy in pieces; through a temporary name either way."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    try:
        try:
            os.close(fd)
            os.unlink(temporary)
            os.link(source, temporary)
        except OSError:  # another file system, or no hard links there
            with source.open("rb") as reader, open(temporary, "wb") as writer:
                shutil.copyfileobj(reader, writer, READ_CHUNK_BYTES)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
