"""check_media_count reads which providers declare media limits once per registry: each
registry still answers for its own providers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from postflow.errors import BadInput
from postflow.media import MediaLimits
from postflow.providers import ProviderRegistry
from postflow.usecases.media import check_media_count


class Limited:
    def __init__(self, max_count: int) -> None:
        self.media_limits = MediaLimits(max_count=max_count)


def runtime_with(**providers: Any) -> Any:
    return SimpleNamespace(providers=ProviderRegistry(providers))


def test_each_registry_counts_by_its_own_providers() -> None:
    small, large = runtime_with(net=Limited(1)), runtime_with(net=Limited(4))
    check_media_count(large, ["net"], 4)

    with pytest.raises(BadInput) as refused:
        check_media_count(small, ["net"], 2)
    check_media_count(large, ["net"], 4)

    assert refused.value.details["limit"] == 1


def test_a_network_declaring_nothing_takes_the_most_any_declares() -> None:
    rt = runtime_with(net=Limited(2), plain=object())

    check_media_count(rt, ["plain"], 2)
    with pytest.raises(BadInput):
        check_media_count(rt, ["plain"], 3)
