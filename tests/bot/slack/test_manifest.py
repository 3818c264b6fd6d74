"""The app manifest a newcomer pastes agrees with what the code asks for and serves."""

from __future__ import annotations

import re
from pathlib import Path

from bot.slack.oauth import BOT_SCOPES, REDIRECT_PATH

MANIFEST = Path(__file__).parents[3] / "bot" / "slack" / "manifest.yaml"


def test_bot_scopes_are_the_ones_the_install_asks_for() -> None:
    text = MANIFEST.read_text()
    block = text.split("    bot:\n", 1)[1].split("settings:", 1)[0]
    scopes = re.findall(r"^      - ([a-z:.]+)$", block, flags=re.MULTILINE)

    assert tuple(scopes) == BOT_SCOPES


def test_request_urls_point_at_the_hubs_routes() -> None:
    urls = re.findall(r"https://postflow\.example\.com(/[a-z_/]+)", MANIFEST.read_text())

    assert set(urls) == {"/slack/events", REDIRECT_PATH}
    assert "command: /postflow" in MANIFEST.read_text()


def test_the_events_the_app_handles_are_subscribed() -> None:
    events = MANIFEST.read_text().split("bot_events:\n", 1)[1].split("interactivity:", 1)[0]

    assert re.findall(r"^      - ([a-z_]+)$", events, flags=re.MULTILINE) == [
        "app_uninstalled", "tokens_revoked"]
