"""The links of a text as twitter-text's extractor finds them, in linear time.

twitter-text finds links with one regular expression (a preceding character, an optional
``http(s)://``, a domain of labels ending in a known TLD, a port, a path, a query), tried at every
place of the text with backtracking. On ``"a." * n`` each attempt runs to the end of the dotted
chain and back, so the whole search takes time in the square of the text.

Here the same language is read without backtracking over the text:

- a domain's labels are the runs between dots, so "the longest run of labels that still ends in a
  TLD" is decided once per dot, from the right, and remembered (``_Domains``);
- a place where a link can start is looked for dot by dot (and scheme by scheme), never by trying
  every character;
- ports, paths and queries are runs of character classes, read once with possessive patterns.

What the regular expression would find, and what twitter-text does with it afterwards (the IDNA
and 4,096-character checks, the ASCII-only domains of a link without a scheme, the ``t.co`` rule)
is kept, so the links are the same. The classes below are twitter-text's own.
"""

from __future__ import annotations

import re
from encodings import idna
from typing import NamedTuple

from integrations.x.tld_list import COUNTRY, GENERIC

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
_DEFAULT_SCHEME_LENGTH = len("https://")

_PUNCT = r"\!'#%&'\(\)*\+,\\\-\.\/:;<=>\?@\[\]\^_{|}~\$"
_PUNCT_BUT_DASH_AND_UNDERSCORE = r"\!'#%&'\(\)*\+,\\\.\/:;<=>\?@\[\]\^{|}~\$"
_SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_INVALID = r"\uFFFE\uFEFF\uFFFF"
_DIRECTIONAL = r"\u202A-\u202E\u061C\u200E\u200F\u2066\u2067\u2068\u2069"
_LATIN_ACCENTS = (r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259"
                  r"\u025B\u0263\u0268\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF")
_CYRILLIC = r"\u0400-\u04FF"

_DOMAIN_CHAR = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_PRECEDING = f"[^A-Za-z0-9@\uff20$#\uff03{_INVALID}]"
_PATH_CHAR = (f"[a-z{_CYRILLIC}0-9!\\*';:=\\+,\\.\\$/%#\\[\\]\\-\\u2013_~@\\|&{_LATIN_ACCENTS}]")
_PATH_END_CHAR = f"[\\+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]"
_QUERY_CHAR = r"[a-z0-9!?\*'@\(\);:&=\+\$/%#\[\]\-_\.,~|]"
_QUERY_END_CHAR = r"[a-z0-9\-_&=#/]"

_I = re.IGNORECASE
_IS_DOMAIN_CHAR = re.compile(_DOMAIN_CHAR, _I)
#: A label's characters: domain characters, ``_`` and ``-``.
_LABEL_RUN = re.compile(f"[^{_PUNCT_BUT_DASH_AND_UNDERSCORE}{_SPACES}{_INVALID}{_DIRECTIONAL}]*+",
                        _I)
#: Where a link without a scheme may start: a domain character after a preceding character.
_DOMAIN_START = re.compile(f"(?<={_PRECEDING}){_DOMAIN_CHAR}", _I)
_IS_PRECEDING = re.compile(_PRECEDING, _I)
_SCHEME = re.compile("https?://")
_PORT = re.compile("[0-9]*+")
_PATH_RUN = re.compile(_PATH_CHAR + "*+", _I)
_UP_TO_PATH_END = re.compile(f"(?s:.*){_PATH_END_CHAR}", _I)
_QUERY_RUN = re.compile(_QUERY_CHAR + "*+", _I)
_UP_TO_QUERY_END = re.compile(f"(?s:.*){_QUERY_END_CHAR}", _I)
_ASCII_LABEL_RUN = re.compile(f"[\\-a-z0-9{_LATIN_ACCENTS}]*+", _I)
_ASCII_LABELS_ONLY = re.compile(f"[\\-a-z0-9{_LATIN_ACCENTS}.]*+", _I)
_TCO = re.compile(f"https?://t\\.co/([a-z0-9]+)(?:\\?{_QUERY_CHAR}*{_QUERY_END_CHAR})?", _I)
_IDNA_DOTS = re.compile("[\u002e\u3002\uff0e\uff61]")
_LONG_ASCII_LABEL = re.compile("[^.]{64}")

#: Every TLD (folded to lower case) -> its rank in twitter-text's alternation: generic first.
_TLD_RANK: dict[str, int] = {}
for _rank, _tld in enumerate((*GENERIC, *COUNTRY)):
    _TLD_RANK.setdefault(_tld, _rank)
#: ASCII letters, digits and ``-`` after folding: what a TLD of those may not be followed by.
_TLD_RUN = re.compile("[0-9a-z-]*+")
_NOT_AFTER_TLD = frozenset("0123456789abcdefghijklmnopqrstuvwxyz@+-")
#: TLDs with a non-ASCII character, by their first character (a few start in ASCII).
_OTHER_TLDS: dict[str, tuple[str, ...]] = {}
for _tld in _TLD_RANK:
    if not _tld.isascii():
        _OTHER_TLDS[_tld[0]] = (*_OTHER_TLDS.get(_tld[0], ()), _tld)
#: What ``re.IGNORECASE`` treats as these ASCII letters besides their capitals.
_CASE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


class Link(NamedTuple):
    """A link twitter-text finds: where it starts and how many characters it stands for.

    ``length`` is what the counter skips, as twitter-text's own counter does: the link's text,
    which for a domain without a scheme followed by a path starts at its last ASCII-only part.
    """

    start: int
    end: int
    url: str

    @property
    def length(self) -> int:
        return len(self.url)


def find_links(text: str) -> list[Link]:
    """The links of ``text`` (already NFC-normalized), in order, as twitter-text finds them."""
    if "." not in text:
        return []
    return _Extractor(text).links()


def _end_of(run: re.Pattern[str], text: str, start: int) -> int:
    """Where the run ``run`` (a possessive ``[...]*+``, which always matches) ends."""
    found = run.match(text, start)
    return found.end() if found else start


def _fold(text: str) -> str:
    """``text`` with each character replaced by what ``re.IGNORECASE`` compares, same length
    (U+0130 is the one character whose lower case is two; it is folded first)."""
    return text.translate(_CASE_FOLDS).lower()


class _Domains:
    """The dotted chains of one text, and where a domain starting at a place ends.

    A label is a run of label characters from a place up to a dot; the domain regular
    expression takes as many labels as it can and still end on a TLD (backtracking). Here the
    answer for each label start after a dot is computed once, right to left, and kept.
    """

    def __init__(self, text: str, *, ascii_labels: bool) -> None:
        self.text = text
        self.folded = _fold(text)
        self._ascii = ascii_labels
        self._run = _ASCII_LABEL_RUN if ascii_labels else _LABEL_RUN
        self._deepest: dict[int, int] = {}
        self._tlds: dict[int, int] = {}
        self._reversed = ""

    def label(self, start: int) -> tuple[int, bool] | None:
        """The dot ending the label that starts at ``start``, and whether the label has an
        underscore (a domain's last label may not); None if no label starts there."""
        text = self.text
        end = _end_of(self._run, text, start)
        if end == start or text[end:end + 1] != ".":
            return None
        if self._ascii:
            return end, False
        if not (_IS_DOMAIN_CHAR.match(text, start) and _IS_DOMAIN_CHAR.match(text, end - 1)):
            return None
        return end, text.find("_", start, end) >= 0

    def tld_length(self, start: int) -> int:
        """The length of the TLD twitter-text's alternation takes at ``start``; 0 if none."""
        known = self._tlds.get(start)
        if known is None:
            known = self._tlds[start] = self._match_tld(start)
        return known

    def _match_tld(self, start: int) -> int:
        folded = self.folded
        run_end = _end_of(_TLD_RUN, folded, start)
        run = folded[start:run_end]
        after_run = folded[run_end:run_end + 1]
        best: tuple[int, int] | None = None
        if run and after_run not in ("@", "+"):
            rank = _TLD_RANK.get(run)
            if rank is not None:
                best = (rank, len(run))
        for tld in _OTHER_TLDS.get(folded[start:start + 1], ()):
            end = start + len(tld)
            if folded.startswith(tld, start) and folded[end:end + 1] not in _NOT_AFTER_TLD:
                rank = _TLD_RANK[tld]
                if best is None or rank < best[0]:
                    best = (rank, len(tld))
        if best is not None:
            return best[1]
        if len(run) > 4 and run.startswith("xn--"):  # punycode: twitter-text has no lookahead
            return len(run)
        return 0

    def deepest_end(self, start: int) -> int:
        """Where the domain ends whose labels run from the label starting at ``start`` as far as
        they can while still ending on a TLD; -1 if none does."""
        chain: list[tuple[int, int, bool]] = []
        position = start
        while position not in self._deepest:
            found = self.label(position)
            if found is None:
                self._deepest[position] = -1
                break
            chain.append((position, *found))
            position = found[0] + 1
        deeper = self._deepest[position]
        for label_start, dot, underscore in reversed(chain):
            if deeper < 0 and not underscore:
                tld = self.tld_length(dot + 1)
                if tld:
                    deeper = dot + 1 + tld
            self._deepest[label_start] = deeper
        return self._deepest[start]

    def domain_end(self, start: int) -> int:
        """Where the domain starting at ``start`` ends; -1 if none starts there."""
        found = self.label(start)
        if found is None:
            return -1
        dot, underscore = found
        deeper = self.deepest_end(dot + 1)
        if deeper >= 0:
            return deeper
        if not underscore:
            tld = self.tld_length(dot + 1)
            if tld:
                return dot + 1 + tld
        return -1

    def label_run_start(self, dot: int) -> int:
        """The first place of the run of label characters that ends at ``dot``."""
        if not self._reversed:
            self._reversed = self.text[::-1]
        from_end = len(self.text) - dot
        return dot - (_end_of(self._run, self._reversed, from_end) - from_end)


class _Match(NamedTuple):
    """What one match of twitter-text's link expression holds."""

    start: int
    before: str
    scheme_length: int
    domain_start: int
    domain_end: int
    has_path: bool
    end: int


class _Extractor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.domains = _Domains(text, ascii_labels=False)
        self._dot_from = 0
        #: The last dot candidate: its dot, where its domain starts and where it ends.
        self._dot_candidate: tuple[int, int, int] | None = None
        self._scheme_from = 0
        self._path_scan = (-1, -1, -1)

    def links(self) -> list[Link]:
        links: list[Link] = []
        position = 0
        while (match := self._next_match(position)) is not None:
            links.extend(self._links_of(match))
            position = match.end
        return links

    # -- finding the next match, as a left-to-right search would -----------------------------

    def _next_match(self, search_from: int) -> _Match | None:
        """The match a regular-expression search from ``search_from`` finds."""
        while True:
            by_dot = self._next_dot_candidate(search_from)
            by_scheme = self._next_scheme_candidate(search_from)
            if by_dot is None and by_scheme is None:
                return None
            dot_attempt = _attempt_of(by_dot)
            scheme_attempt = _attempt_of(by_scheme)
            if by_scheme is not None and (by_dot is None or scheme_attempt < dot_attempt or (
                    scheme_attempt == dot_attempt and by_scheme != 0)):
                found = self._match_at(by_scheme)
                if found is not None:
                    return found
                self._scheme_from = by_scheme + 1
                continue
            assert by_dot is not None and self._dot_candidate is not None
            found = self._match_at(by_dot, domain_end=self._dot_candidate[2])
            assert found is not None, "a dot candidate always matches"
            return found

    def _next_dot_candidate(self, search_from: int) -> int | None:
        """The first place at or after ``search_from`` (+1: the preceding character is part of
        the match) where a domain without a scheme can start and end on a TLD."""
        lowest = 0 if search_from == 0 else search_from + 1
        cached = self._dot_candidate
        if cached is not None and cached[1] >= lowest:
            return cached[1]
        text = self.text
        # A dot's domains start before it, so a dot at or before ``lowest`` has none left.
        dot = text.find(".", max(self._dot_from, lowest + 1, 1))
        while dot >= 0:
            found = self._candidate_before(dot, lowest)
            if found is not None:
                self._dot_candidate = (dot, *found)
                return found[0]
            self._dot_from = dot + 1
            dot = text.find(".", dot + 1)
        self._dot_candidate = None
        self._dot_from = len(text)
        return None

    def _candidate_before(self, dot: int, lowest: int) -> tuple[int, int] | None:
        """The first start at or after ``lowest`` of a domain whose first label ends at ``dot``,
        and where that domain ends; None if there is none."""
        text = self.text
        if not _IS_DOMAIN_CHAR.match(text, dot - 1):
            return None
        first = self.domains.label_run_start(dot)
        domain_end = self.domains.deepest_end(dot + 1)
        if domain_end < 0:
            tld = self.domains.tld_length(dot + 1)
            if not tld:
                return None
            domain_end = dot + 1 + tld
            first = max(first, text.rfind("_", first, dot) + 1)
        low = max(first, lowest)
        if low >= dot:
            return None
        if low == 0:
            # At the very start: the attempt at 0 first reads text[0] as the preceding
            # character and tries a domain at 1, then tries one at 0.
            if (dot > 1 and _IS_PRECEDING.match(text, 0) and _IS_DOMAIN_CHAR.match(text, 1)
                    and first <= 1):
                return 1, domain_end
            if _IS_DOMAIN_CHAR.match(text, 0):
                return 0, domain_end
            low = 1
        found = _DOMAIN_START.search(text, low, dot)
        return (found.start(), domain_end) if found else None

    def _next_scheme_candidate(self, search_from: int) -> int | None:
        folded = self.domains.folded
        position = max(self._scheme_from, search_from)
        while (found := _SCHEME.search(folded, position)) is not None:
            start = found.start()
            if (start == 0 and search_from == 0) or (
                    start > search_from and _IS_PRECEDING.match(self.text, start - 1)):
                self._scheme_from = start
                return start
            position = start + 1
        self._scheme_from = len(folded)
        return None

    def _match_at(self, url_start: int, *, domain_end: int = -1) -> _Match | None:
        """The match whose link part starts at ``url_start`` (its preceding character, if
        any, just before); None if the domain does not hold. ``domain_end``: where the domain
        ends, when the caller knows already."""
        text = self.text
        folded = self.domains.folded
        scheme = 0
        if folded.startswith("http", url_start):
            scheme = (8 if folded.startswith("s://", url_start + 4)
                      else 7 if folded.startswith("://", url_start + 4) else 0)
        domain_start = url_start + scheme
        if domain_end < 0:
            domain_end = self.domains.domain_end(domain_start)
        if domain_end < 0:
            return None
        end = domain_end
        if text[end:end + 1] == ":" and "0" <= text[end + 1:end + 2] <= "9":
            end = _end_of(_PORT, text, end + 1)
        has_path = text[end:end + 1] == "/"
        if has_path:
            end = self._path_end(end + 1)
        if text[end:end + 1] == "?":
            query_end = _end_of(_QUERY_RUN, text, end + 1)
            last = _UP_TO_QUERY_END.match(text, end + 1, query_end)
            if last:
                end = last.end()
        before = text[url_start - 1] if url_start > 0 and _IS_PRECEDING.match(
            text, url_start - 1) else ""
        return _Match(start=url_start - len(before), before=before, scheme_length=scheme,
                      domain_start=domain_start, domain_end=domain_end, has_path=has_path,
                      end=end)

    def _path_end(self, start: int) -> int:
        """Where a path after its ``/`` at ``start - 1`` ends.

        twitter-text's path is a repetition of: path characters and balanced parentheses up to
        a character a path may end with; or balanced parentheses alone (its pattern text puts
        the ``|`` of "ending character or parentheses" at the level of the whole group).
        """
        text = self.text
        position = start
        while True:
            ending = self._last_ending_from(position)
            if ending > position:
                position = ending
            elif text[position:position + 1] == "(" and (
                    parens_end := self._balanced_parens_end(position)) > 0:
                position = parens_end
            else:
                return position

    def _last_ending_from(self, start: int) -> int:
        """After the last path-ending character among the path characters and balanced
        parentheses from ``start``; -1 if there is none.

        The scan of one stretch is kept: a later repetition inside the same stretch starts at or
        after that last ending character, where there is none, so no stretch is read twice.
        """
        scanned_from, scanned_to, last = self._path_scan
        if scanned_from <= start <= scanned_to:
            return last if last > start else -1
        text = self.text
        last = -1
        position = start
        while True:
            run_end = _end_of(_PATH_RUN, text, position)
            if run_end > position:
                ending = _UP_TO_PATH_END.match(text, position, run_end)
                if ending:
                    last = ending.end()
                position = run_end
            if text[position:position + 1] == "(" and (
                    parens_end := self._balanced_parens_end(position)) > 0:
                position = parens_end
                continue
            self._path_scan = (start, position, last)
            return last

    def _balanced_parens_end(self, start: int) -> int:
        """The end of ``(path chars)`` or ``(path chars (path chars) path chars)`` at ``start``;
        -1 if neither is there."""
        text = self.text
        inner_end = _end_of(_PATH_RUN, text, start + 1)
        closing = text[inner_end:inner_end + 1]
        if closing == ")" and inner_end > start + 1:
            return inner_end + 1
        if closing == "(":
            nested_end = _end_of(_PATH_RUN, text, inner_end + 1)
            if nested_end > inner_end + 1 and text[nested_end:nested_end + 1] == ")":
                outer_end = _end_of(_PATH_RUN, text, nested_end + 1)
                if text[outer_end:outer_end + 1] == ")":
                    return outer_end + 1
        return -1

    # -- what twitter-text keeps of a match ---------------------------------------------------

    def _links_of(self, match: _Match) -> list[Link]:
        text = self.text
        url_start = match.start + len(match.before)
        url = text[url_start:match.end]
        domain = text[match.domain_start:match.domain_end]
        if not _valid_length(url, match.scheme_length or _DEFAULT_SCHEME_LENGTH, domain):
            return []
        if match.scheme_length:
            tco = _TCO.match(url)
            if tco:
                if len(tco.group(1)) > MAX_TCO_SLUG_LENGTH:
                    return []
                url = tco.group(0)
            return [Link(url_start, url_start + len(url), url)]
        if match.before in ("-", "_", ".", "/"):
            return []
        parts = _ascii_domains(domain)
        if not parts:
            return []
        if len(parts) == 1 and parts[0] == (0, len(domain)):
            links = [Link(match.domain_start, match.domain_end, domain)]
        else:
            links = [Link(match.domain_start + a, match.domain_start + b, domain[a:b])
                     for a, b in parts]
        if match.has_path:
            last = links[-1]
            # twitter-text puts the last ASCII-only part in place of the domain, everywhere in
            # the link as Java's and Python's ``replace`` do (JavaScript's replaces the first).
            links[-1] = Link(last.start, match.end, url.replace(domain, last.url))
        return links


def _attempt_of(url_start: int | None) -> int:
    """The search position whose attempt reads a link starting at ``url_start``."""
    if url_start is None:
        return -1
    return max(url_start - 1, 0)


def _ascii_domains(domain: str) -> list[tuple[int, int]]:
    """The ASCII-only domains inside ``domain``, as twitter-text's finditer finds them."""
    if _ASCII_LABELS_ONLY.fullmatch(domain):
        # Every label is ASCII-only: the whole domain, down to the TLD it was found with.
        return [(0, len(domain))]
    domains = _Domains(domain, ascii_labels=True)
    found: list[tuple[int, int]] = []
    position = 0
    dot = domain.find(".")
    while dot >= 0:
        first = max(domains.label_run_start(dot), position)
        if first < dot:
            end = domains.deepest_end(dot + 1)
            if end < 0:
                tld = domains.tld_length(dot + 1)
                end = dot + 1 + tld if tld else -1
            if end >= 0:
                found.append((first, end))
                position = end
                dot = domain.find(".", end)
                continue
        dot = domain.find(".", dot + 1)
    return found


def _valid_length(url: str, scheme_length: int, domain: str) -> bool:
    """twitter-text's check: the domain converts to IDNA, and the link with it fits in 4,096."""
    encoded = _idna_length(domain)
    if encoded is None:
        return False
    return scheme_length + len(url) + encoded - len(domain) <= MAX_URL_LENGTH


def _idna_length(domain: str) -> int | None:
    """The length of ``domain.encode("idna")``; None where Python's codec refuses it. Each label
    is converted on its own, and one that cannot fit in 63 is refused before punycode (whose
    encoding takes time in the square of the label)."""
    if domain.isascii():
        # The extractor's labels are never empty: only their length can be wrong.
        return None if _LONG_ASCII_LABEL.search(domain) else len(domain)
    labels = _IDNA_DOTS.split(domain)
    if labels and not labels[-1]:
        labels.pop()
    total = len(labels) - 1
    for label in labels:
        encoded = _idna_label_length(label)
        if encoded is None:
            return None
        total += encoded
    return total


def _idna_label_length(label: str) -> int | None:
    if label.isascii():
        return len(label) if 0 < len(label) < 64 else None
    try:
        prepared = idna.nameprep(label)
    except UnicodeError:
        return None
    if prepared.isascii():
        return len(prepared) if 0 < len(prepared) < 64 else None
    if len(prepared) >= 60 or prepared.startswith("xn--"):
        return None
    encoded = len("xn--") + len(prepared.encode("punycode"))
    return encoded if encoded < 64 else None
