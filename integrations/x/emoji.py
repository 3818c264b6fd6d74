"""The emoji sequences of a text as X finds them, in one pass.

twitter-text matches, at each place in the text, the longest listed sequence that starts there
(a ZWJ family, a skin-tone or keycap sequence, a flag), then goes on after it. Here the sequences
sit in a trie: a place is looked at only if its character starts a sequence, and the walk from it
is as long as the longest sequence (ten code points), so the whole scan is linear.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TypeAlias

from integrations.x.emoji_list import LIGHT_RANGE_EMOJI, SEQUENCES

#: A trie node: the next character -> its node; the key ``END`` marks the end of a sequence.
_Node: TypeAlias = dict[str, "_Node"]
END = ""


@cache
def _trie() -> tuple[_Node, re.Pattern[str]]:
    """The sequences as a trie, and a pattern finding the characters that start one."""
    root: _Node = {}
    for line in SEQUENCES.splitlines():
        node = root
        for code in line.split():
            node = node.setdefault(chr(int(code, 16)), {})
        node[END] = {}
    for char in LIGHT_RANGE_EMOJI:
        root.setdefault(char, {})[END] = {}
    return root, re.compile("[" + "".join(_ranges(sorted(map(ord, root)))) + "]")


def _ranges(code_points: list[int]) -> list[str]:
    """Sorted code points as character-class ranges (a class of ranges is checked fast)."""
    ranges: list[str] = []
    start = previous = code_points[0]
    for code in [*code_points[1:], -1]:
        if code != previous + 1:
            ranges.append(f"\\U{start:08x}" if start == previous
                          else f"\\U{start:08x}-\\U{previous:08x}")
            start = code
        previous = code
    return ranges


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every emoji entity twitter-text finds in ``text``, in order: listed
    sequences and the emoji among the characters that otherwise weigh 1 (© and ®)."""
    root, starts = _trie()
    spans: list[tuple[int, int]] = []
    resume = 0
    length = len(text)
    for found in starts.finditer(text):
        start = found.start()
        if start < resume:
            continue
        node = root[text[start]]
        end = start + 1 if END in node else 0
        position = start + 1
        while position < length:
            following = node.get(text[position])
            if following is None:
                break
            node = following
            position += 1
            if END in node:
                end = position
        if end:
            spans.append((start, end))
            resume = end
    return spans
