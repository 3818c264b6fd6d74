"""X's weighted count takes linear time on any input: worst-case texts of X's cap count in well
under a second, and to the right number.

twitter-text-parser's ``parse_tweet`` took 5.8 s on ``"a." * 1000``; its time grew with the square
of the text. Each count runs in a child process with a deadline, so a slow counter fails the test
instead of stalling the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Each worst case at twice X's text cap (4,096 code points), and the count X gives it.
WORST_CASES: dict[str, tuple[str, int]] = {
    "dot runs with no TLD": ("'a.' * 4096", 8192),
    "dot runs ending in a TLD, one 8 KB domain (too long to be a link)": ("'a.co' * 2048", 8192),
    "links back to back": ("'a.com ' * 1365", 1365 * 24),
    "links with a scheme": ("'http://a.co/b ' * 585", 585 * 24),
    "schemes with no domain": ("'http://' * 1170", 1170 * 7),
    "dash runs before a dot": ("'a-' * 4095 + '.com'", 8190 + 4),
    "emoji with skin tones": ("'\\U0001F44D\\U0001F3FD' * 4096", 4096 * 2),
    "ZWJ families": ("'\\U0001F468\\u200d\\U0001F469\\u200d\\U0001F467\\u200d\\U0001F466' * 1170",
                     1170 * 2),
    "combining marks": ("'e\\u0301' * 4096", 4096),
    "CJK": ("'\\u65e5' * 8192", 8192 * 2),
}

_PROGRAM = """
import json, sys, time
from integrations.x.counting import weighted_count
text = eval(sys.argv[1])
started = time.perf_counter()
length = weighted_count(text).length
print(json.dumps({"seconds": time.perf_counter() - started, "length": length}))
"""


@pytest.mark.parametrize("case", sorted(WORST_CASES))
def test_worst_case_counts_fast_and_right(case: str) -> None:
    expression, expected = WORST_CASES[case]
    try:
        done = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
            [sys.executable, "-c", _PROGRAM, expression], capture_output=True, text=True,
            timeout=20, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail(f"counting {case} took more than 20 s")
    answer = json.loads(done.stdout)
    assert answer["length"] == expected
    assert answer["seconds"] < 0.25, f"{case}: {answer['seconds']:.3f} s"
