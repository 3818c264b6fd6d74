"""Settling a started process's heap: garbage first, then the survivors frozen."""

from __future__ import annotations

import gc
import weakref

from workers.heap import settle_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_start_up_garbage_is_collected_before_the_survivors_are_frozen() -> None:
    garbage, partner = _Node(), _Node()
    garbage.other, partner.other = partner, garbage  # a cycle only the collector frees
    gone = weakref.ref(garbage)
    del garbage, partner

    frozen = settle_heap()

    assert gone() is None  # freezing it instead would have kept it for the process's life
    assert frozen == gc.get_freeze_count() > 0
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
