"""NFC in linear time.

CPython's ``unicodedata.normalize`` puts combining marks in canonical order with an insertion
sort: a run of marks in reverse order takes time in the square of its length (3 s for 64 K marks).
Canonical ordering is a stable sort of each run of marks by combining class, so runs are sorted
here first (``sorted`` is n log n), after which CPython's pass is linear. The three Tibetan
vowel signs whose decompositions are marks alone are replaced by those decompositions first
(canonically equivalent text), so that no run is joined to another during decomposition.
"""

from __future__ import annotations

import unicodedata

#: Characters of combining class 0 that decompose into marks only (they would join two runs).
_MARKS_ONLY = {"\u0f73": "\u0f71\u0f72", "\u0f75": "\u0f71\u0f74", "\u0f81": "\u0f71\u0f80"}


def nfc(text: str) -> str:
    """``unicodedata.normalize("NFC", text)``, without its quadratic worst case."""
    if unicodedata.is_normalized("NFC", text):
        return text
    for char, marks in _MARKS_ONLY.items():
        if char in text:
            text = text.replace(char, marks)
    return unicodedata.normalize("NFC", _marks_in_order(text))


def _marks_in_order(text: str) -> str:
    """``text`` with each run of combining marks stably sorted by combining class."""
    classes = list(map(unicodedata.combining, text))
    pieces: list[str] = []
    run_start = -1
    done = 0
    for index, combining in enumerate(classes):
        if combining:
            if run_start < 0:
                run_start = index
        elif run_start >= 0:
            done = _sort_run(text, classes, run_start, index, done, pieces)
            run_start = -1
    if run_start >= 0:
        done = _sort_run(text, classes, run_start, len(text), done, pieces)
    pieces.append(text[done:])
    return "".join(pieces)


def _sort_run(text: str, classes: list[int], start: int, end: int, done: int,
              pieces: list[str]) -> int:
    if end - start > 1:
        pieces.append(text[done:start])
        order = sorted(range(start, end), key=classes.__getitem__)
        pieces.append("".join(text[index] for index in order))
        return end
    return done
