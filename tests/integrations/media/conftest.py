"""Media fixtures: sample files with real signatures and a local store."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.media.local import LocalMediaStore
from tests.fakes.clock import ManualClock


def png(size: int = 200, fill: bytes = b"p") -> bytes:
    return b"\x89PNG\r\n\x1a\n" + fill * (size - 8)


def mp4(size: int = 2500) -> bytes:
    head = b"\x00\x00\x00\x18ftypmp42"
    return head + bytes(i % 251 for i in range(size - len(head)))


def gif(size: int = 300) -> bytes:
    return b"GIF89a" + b"g" * (size - 6)


@pytest.fixture
def local_store(tmp_path: Path, clock: ManualClock) -> LocalMediaStore:
    return LocalMediaStore(tmp_path / "media", base_url="http://127.0.0.1:8080",
                           secret_key="test-secret-key-0123456789abcdef", clock=clock)


