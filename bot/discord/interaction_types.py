"""The interaction response types (Discord's callback types), shared by the handlers of
:mod:`bot.discord.interactions` without importing it."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class CallbackType(IntEnum):
    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


#: An interaction response, as the JSON object the endpoint answers (or the gateway sends).
Answer = dict[str, Any]
