"""The chat contract kit (tests/chat_contract.py) run against the Discord adapter through the
gateway bot (the driver: tests/bot/discord/gateway_driver.py); the HTTP endpoint's run is
tests/bot/discord/test_chat_contract.py, skipping the same scenarios."""

from __future__ import annotations

import pytest

from tests.bot.discord.gateway_driver import *  # noqa: F403 - the driver's fixtures
from tests.bot.discord.gateway_driver import GatewayDriver
from tests.bot.discord.test_chat_contract import LEFT_FOR_OTHERS
from tests.chat_contract import CONTRACT, Scenario


@pytest.mark.parametrize("scenario", [
    pytest.param(s, marks=pytest.mark.skip(reason=LEFT_FOR_OTHERS[s.__name__]))
    if s.__name__ in LEFT_FOR_OTHERS else s for s in CONTRACT], ids=lambda s: s.__name__)
async def test_discord_passes_the_chat_contract_through_the_gateway(
        scenario: Scenario, driver: GatewayDriver) -> None:
    await scenario(driver)
