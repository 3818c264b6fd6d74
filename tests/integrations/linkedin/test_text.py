"""LinkedIn's little text format and length."""

from __future__ import annotations

from integrations.linkedin.text import commentary_length, escape_little


def test_reserved_characters_are_escaped() -> None:
    assert escape_little("Launch (beta) [v2] a_b @team <3 ~ * | {x} \\") == \
        "Launch \\(beta\\) \\[v2\\] a\\_b \\@team \\<3 \\~ \\* \\| \\{x\\} \\\\"


def test_links_and_hashtags_are_left_as_they_are() -> None:
    assert escape_little("See https://example.com/a_(b) #launch, C# (x)") == \
        "See https://example.com/a_(b) #launch, C\\# \\(x\\)"


def test_an_emoji_counts_two() -> None:
    assert commentary_length("ok 🚀") == 5
