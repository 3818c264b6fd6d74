"""X's counter and link finder against twitter-text's own conformance cases (vendored, with their
Apache-2.0 notice, under tests/integrations/x/data/): every v3 weighted-length case, every link
extraction case and every TLD."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from integrations.x.counting import weighted_count
from integrations.x.urls import find_links

DATA = Path(__file__).parent / "data"


def _cases(file: str, *sections: str) -> list[Any]:
    tests = yaml.safe_load((DATA / file).read_text(encoding="utf-8"))["tests"]
    return [pytest.param(case, id=f"{section}: {case['description']}")
            for section in sections for case in tests[section]]


@pytest.mark.parametrize("case", _cases("validate_v3.yml",
                                        "WeightedTweetsWithDiscountedEmojiCounterTest",
                                        "UnicodeDirectionalMarkerCounterTest"))
def test_weighted_length_and_validity(case: dict[str, Any]) -> None:
    count = weighted_count(case["text"])
    assert (count.length, count.valid) == (case["expected"]["weightedLength"],
                                           case["expected"]["valid"])


@pytest.mark.parametrize("case", _cases("extract_urls.yml", "urls", "tco_urls_with_params"))
def test_links_found(case: dict[str, Any]) -> None:
    assert [link.url for link in find_links(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases("extract_urls.yml", "urls_with_indices",
                                        "urls_with_directional_markers"))
def test_links_found_where_they_are(case: dict[str, Any]) -> None:
    assert [{"url": link.url, "indices": [link.start, link.end]}
            for link in find_links(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases("tlds.yml", "country", "generic"))
def test_every_tld(case: dict[str, Any]) -> None:
    assert [link.url for link in find_links(case["text"])] == case["expected"]
