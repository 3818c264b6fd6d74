"""The chat contract kit (tests/chat_contract.py) run against the Discord adapter through the
gateway bot (the driver: tests/bot/discord/gateway_driver.py); the HTTP endpoint's run is
tests/bot/discord/test_chat_contract.py."""

from __future__ import annotations

import pytest

from tests.bot.discord.gateway_driver import *  # noqa: F403 - the driver's fixtures
from tests.bot.discord.gateway_driver import GatewayDriver
from tests.chat_contract import CONTRACT, Scenario


@pytest.mark.parametrize("scenario", CONTRACT, ids=lambda s: s.__name__)
async def test_discord_passes_the_chat_contract_through_the_gateway(
        scenario: Scenario, driver: GatewayDriver) -> None:
    await scenario(driver)
