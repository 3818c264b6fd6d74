"""Post text for LinkedIn: its length as LinkedIn counts it, and the ``little`` text format.

The Posts API reads ``commentary`` in the *little* format, where ``\\ | { } @ [ ] ( ) < > # * _ ~``
are reserved: an unescaped one is taken as markup, and LinkedIn cuts the text at it without an
error. So every reserved character a person typed is backslash-escaped, except inside links
(they would stop being links) and the ``#`` of a hashtag (it stays a hashtag).
"""

from __future__ import annotations

import re

#: LinkedIn's limit on ``commentary``, counted on the text a person wrote (before escaping).
MAX_COMMENTARY_LENGTH = 3000

RESERVED = frozenset("\\|{}@[]()<>#*_~")
_LINK = re.compile(r"https?://\S+")
_HASHTAG = re.compile(r"#\w")


def commentary_length(text: str) -> int:
    """The length LinkedIn counts: UTF-16 code units (an emoji counts 2), the stricter reading."""
    return len(text.encode("utf-16-le")) // 2


def escape_little(text: str) -> str:
    """``text`` as plain text in the little format: reserved characters escaped, links and
    hashtags left as they are."""
    out: list[str] = []
    position = 0
    for link in _LINK.finditer(text):
        out.append(_escape_plain(text[position:link.start()]))
        out.append(link.group())
        position = link.end()
    out.append(_escape_plain(text[position:]))
    return "".join(out)


def _escape_plain(part: str) -> str:
    escaped: list[str] = []
    for index, char in enumerate(part):
        if char == "#" and _HASHTAG.match(part, index) and (index == 0 or not
                                                             part[index - 1].isalnum()):
            escaped.append(char)
        elif char in RESERVED:
            escaped.append("\\" + char)
        else:
            escaped.append(char)
    return "".join(escaped)
