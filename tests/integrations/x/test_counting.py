"""X's weighted count, case by case from twitter-text's v3 rules: code points in the light ranges
weigh 1, others 2; any URL 23; an emoji sequence 2; the text is NFC-normalized first."""

from __future__ import annotations

import pytest

from integrations.x.counting import MAX_WEIGHTED_LENGTH, weighted_count


@pytest.mark.parametrize(("text", "length"), [
    ("Hello world", 11),                                   # ASCII weighs 1
    ("a" * 280, 280),
    ("https://example.com/a/very/long/path?with=query&and=more", 23),  # any URL is 23
    ("http://x.co", 23),
    ("example.com", 23),                                   # no scheme: still a URL
    ("www.example.org/path", 23),
    ("Read https://example.com and example.org", 5 + 23 + 5 + 23),
    ("example.c", 9),                                      # not a TLD: plain text
    ("日本語", 6),                                          # CJK weighs 2
    ("한국어", 6),                                          # Hangul weighs 2
    ("😀", 2),                                             # an emoji is 2
    ("👍🏽", 2),                                             # with a skin tone: one emoji
    ("👨\u200d👩\u200d👧\u200d👦", 2),                        # a ZWJ family: one emoji
    ("🇫🇷", 2),                                            # a flag: one emoji
    ("café", 4),                                           # precomposed é weighs 1
    ("cafe\u0301", 4),                                     # e + combining acute: NFC é
    ("\u2014 \u201cquoted\u201d", 10),                     # dashes and quotes weigh 1
    ("\u2026", 2),                                         # the ellipsis is outside: 2
    ("Привет", 6),                                         # Cyrillic weighs 1
])
def test_weighted_length(text: str, length: int) -> None:
    assert weighted_count(text).length == length


def test_280_weighted_fits_and_281_does_not() -> None:
    assert weighted_count("a" * MAX_WEIGHTED_LENGTH).valid
    assert not weighted_count("a" * (MAX_WEIGHTED_LENGTH + 1)).valid


def test_140_cjk_characters_fill_a_post() -> None:
    assert weighted_count("あ" * 140).valid
    assert not weighted_count("あ" * 141).valid


def test_an_empty_text_is_not_valid() -> None:
    assert not weighted_count("").valid
