"""X's weighted character count: twitter-text's v3 rules, in time linear in the text.

The v3 configuration (https://raw.githubusercontent.com/twitter/twitter-text/master/config/v3.json):
the text is NFC-normalized; every link counts ``transformedURLLength`` (23) whatever its length,
with or without a scheme (``example.com``); an emoji, including a ZWJ, skin-tone, keycap or flag
sequence, counts ``defaultWeight`` (200) once; other code points weigh 100 in the ranges below
and ``defaultWeight`` elsewhere (CJK, Hangul, most symbols); the limit is
``maxWeightedTweetLength`` (280) on a scale of 100. A text holding U+FFFE, U+FEFF or U+FFFF is
not valid.

twitter-text walks the text once: at a link's start it adds 23 and jumps over the link; else at an
emoji's start it adds 2 and jumps over the emoji; else it adds the character's weight. Links
(:mod:`integrations.x.urls`) and emoji (:mod:`integrations.x.emoji`) are found first, each in one
pass; the walk then goes from entity to entity and weighs the text between them in bulk.
Newlines count as they are (``\\r\\n`` is 2), as in twitter-text's JavaScript reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrations.x.emoji import emoji_spans
from integrations.x.normalize import nfc
from integrations.x.urls import find_links

MAX_WEIGHTED_LENGTH = 280
SCALE = 100
DEFAULT_WEIGHT = 200
TRANSFORMED_URL_LENGTH = 23
#: (first code point, last code point, weight): everything else weighs DEFAULT_WEIGHT.
WEIGHTED_RANGES: tuple[tuple[int, int, int], ...] = (
    (0x0000, 0x10FF, 100),  # Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts...
    (0x2000, 0x200D, 100),  # spaces and joiners
    (0x2010, 0x201F, 100),  # dashes and quotes
    (0x2032, 0x2037, 100),  # primes
)

_LIGHT_RUNS = re.compile("[" + "".join(f"\\U{first:08x}-\\U{last:08x}"
                                       for first, last, _weight in WEIGHTED_RANGES) + "]+")
_INVALID_CHARACTERS = re.compile("[\ufffe\ufeff\uffff]")


@dataclass(frozen=True)
class WeightedCount:
    """How X counts a text: its weighted length and whether it fits."""

    length: int
    valid: bool


def weighted_count(text: str) -> WeightedCount:
    """Count ``text`` the way X does (an empty text is not valid)."""
    normalized = nfc(text)
    total = _weigh(normalized) // SCALE
    fits = 0 < total <= MAX_WEIGHTED_LENGTH
    return WeightedCount(length=total,
                         valid=fits and not _INVALID_CHARACTERS.search(normalized))


def _weigh(text: str) -> int:
    """The weighted length on the scale of 100, walking from entity to entity."""
    links = find_links(text)
    emoji = emoji_spans(text)
    total = 0
    position = 0
    next_link = next_emoji = 0
    while True:
        while next_link < len(links) and links[next_link].start < position:
            next_link += 1
        while next_emoji < len(emoji) and emoji[next_emoji][0] < position:
            next_emoji += 1
        link_at = links[next_link].start if next_link < len(links) else len(text)
        emoji_at = emoji[next_emoji][0] if next_emoji < len(emoji) else len(text)
        entity_at = min(link_at, emoji_at)
        total += _characters_weight(text, position, entity_at)
        if entity_at == len(text):
            return total
        if link_at == entity_at:
            total += TRANSFORMED_URL_LENGTH * SCALE
            position = entity_at + links[next_link].length
        else:
            total += DEFAULT_WEIGHT
            position = entity_at + emoji[next_emoji][1] - emoji_at


def _characters_weight(text: str, start: int, end: int) -> int:
    """The weight of ``text[start:end]`` character by character (100 in the ranges, else 200)."""
    if start >= end:
        return 0
    part = text[start:end]
    if part.isascii():
        return SCALE * len(part)
    heavy = len(_LIGHT_RUNS.sub("", part))
    return SCALE * len(part) + (DEFAULT_WEIGHT - SCALE) * heavy
