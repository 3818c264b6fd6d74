"""X's weighted character count, exactly as twitter-text's v3 configuration counts.

The v3 rules (https://raw.githubusercontent.com/twitter/twitter-text/master/config/v3.json): the
text is NFC-normalized; every URL counts ``transformedURLLength`` (23) whatever its length, with or
without a scheme (``example.com``); an emoji, including a ZWJ, skin-tone or flag sequence, counts
200 once; other code points weigh 100 in the ranges below and ``defaultWeight`` (200) elsewhere
(CJK, Hangul, most symbols); the limit is ``maxWeightedTweetLength`` (280) on a scale of 100.

The counting itself is ``twitter-text-parser`` (a port of twitter-text checked against the
project's conformance file); this module is the one place that imports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from twitter_text import parse_tweet

#: The v3 configuration, for documentation and for the validation messages.
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


@dataclass(frozen=True)
class WeightedCount:
    """How X counts a text: its weighted length and whether it fits."""

    length: int
    valid: bool


def weighted_count(text: str) -> WeightedCount:
    """Count ``text`` the way X does (an empty text is not valid)."""
    parsed = parse_tweet(text)
    return WeightedCount(length=int(parsed.weightedLength), valid=bool(parsed.valid))
