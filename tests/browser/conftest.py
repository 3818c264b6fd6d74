"""Browser tests: Playwright driving Debian's headless Chromium (``make test`` installs it with
scripts/ensure-chromium.sh; Playwright's own download is not used). One browser per module; its
HOME is a temporary directory, so Chromium writes nothing into the real one. Every test here is
skipped, saying why, when /usr/bin/chromium is absent."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
#: Set to 1 to rewrite the screenshots committed under docs/images/.
UPDATE_SCREENSHOTS = "POSTFLOW_TEST_UPDATE_SCREENSHOTS"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed: scripts/ensure-chromium.sh "
                                   "(run by make test) installs Debian's chromium")
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(skip)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Browser]:
    home = tmp_path_factory.mktemp("chromium-home")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS,
            env={"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save their screenshots (a temporary directory)."""
    return tmp_path_factory.mktemp("screenshots")


def publish_screenshot(shot: Path, name: str) -> None:
    """Copy ``shot`` to docs/images/``name`` when POSTFLOW_TEST_UPDATE_SCREENSHOTS=1."""
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMAGES / name)
