"""X's counter agrees with twitter-text-parser's ``parse_tweet`` on short random texts built
from the pieces that make counting hard: links with and without a scheme, dots, slashes, queries
and parentheses, emoji sequences (ZWJ, skin tones, flags, keycaps, tags), CJK, combining marks and
the characters ``re.IGNORECASE`` folds onto ASCII letters.

``\\r`` is left out on purpose: twitter-text-parser turns ``\\r\\n`` into ``\\n`` before counting,
twitter-text's JavaScript reference (and this counter) does not.
"""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet
from twitter_text.extract_urls import extract_urls_with_indices

from integrations.x.counting import weighted_count
from integrations.x.urls import find_links

PIECES = [
    # words and link parts
    "a", "ab", "co", "com", "x", "test", "Hi", "http", "www", "t", "xn--p1ai", "EXAMPLE",
    "1", "42", "http://", "https://", "HTTPS://", "www.", ".com", ".co.jp", ".co", ".jp", ".",
    "..", "/", ":", ":80", "?", "?q=1", "=", "&", "#", "@", "$", "-", "_", "(", ")", "!", "~",
    " ", "  ", "\n", "t.co/", "t.co/abc", "\u2013", "(b)", "(a(b)c)", "%", "'", "*", ",", "|",
    # emoji and their parts
    "\U0001F600", "\U0001F44D", "\U0001F3FD", "\U0001F44D\U0001F3FD", "\u200d",
    "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001F1EB\U0001F1F7", "\U0001F1EB",
    "\U0001F1F7", "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
    "1\ufe0f\u20e3", "1\u20e3", "#\ufe0f\u20e3", "\ufe0f", "\u00a9", "\u00ae", "\u2764",
    # CJK, Hangul, other scripts, combining marks
    "\u65e5\u672c", "\u8a9e", "\ud55c", "\u3002", "\u0440\u0444", "\u0628", "e", "\u00e9",
    "\u0301", "\u0316", "\u0308", "\u0344",
    # what IGNORECASE folds onto ASCII letters
    "\u212a", "\u017f", "\u0131", "\u0130",
]

texts = st.lists(st.sampled_from(PIECES), max_size=14).map("".join)


@settings(max_examples=500, deadline=None)
@given(texts)
# A domain with a non-ASCII label, repeated in its path: twitter-text replaces it everywhere.
@example("\u0440\u0444.a.com/\u0440\u0444.a.com x")
@example("@\U0001F1EB\U0001F1F7.com")  # a flag's second half starts a link: the flag wins
@example("a.xn--p1ai@a")  # punycode TLDs have no lookahead
@example("/!(b) http://a.com/!(b)")  # a path's lone parentheses end it only at the start
def test_counts_like_twitter_text(text: str) -> None:
    expected = parse_tweet(text)
    count = weighted_count(text)
    assert (count.length, count.valid) == (expected.weightedLength, expected.valid)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_counts_like_twitter_text_on_any_characters(text: str) -> None:
    text = text.replace("\r", "")
    expected = parse_tweet(text)
    count = weighted_count(text)
    assert (count.length, count.valid) == (expected.weightedLength, expected.valid)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_finds_the_links_twitter_text_finds(text: str) -> None:
    text = unicodedata.normalize("NFC", text)
    expected = [(found["url"], *found["indices"]) for found in extract_urls_with_indices(text)]
    assert [(link.url, link.start, link.end) for link in find_links(text)] == expected
