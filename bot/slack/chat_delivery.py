"""Slack's :class:`~postflow.chat.delivery.ChatDelivery`: one neutral
:class:`~postflow.chat.messages.ChatMessage` posted (or updated) with one Web API call and the
workspace's bot token, its card rendered as Block Kit (:mod:`bot.slack.card_blocks`).

Slack allows about one message per second per channel (``chat.postMessage``, with short bursts)
and answers more with HTTP 429 and ``Retry-After`` (seconds). The delivery only classifies the
answer; pacing and retries are the ``chat`` actor's (``workers/chat_actors.py``). Nothing here
logs a token or a platform body: refusals are logged by Slack's error code.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import PLATFORM, SlackAuthorizer
from bot.slack.blocks import SECTION_MAX
from bot.slack.card_blocks import card_blocks
from postflow.chat.delivery import Delivered, DeliveryOutcome
from postflow.chat.messages import ChatMessage
from postflow.config import Settings
from postflow.reviews import ChatMessageRef
from postflow.store.port import Store
from postflow.token_vault import TokenVault

log = logging.getLogger(__name__)

#: Slack errors that sending again cannot fix: the message is dropped with one log line.
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive",
    "token_revoked", "token_expired", "not_authed", "missing_scope", "no_permission",
    "user_not_found", "user_disabled", "message_not_found", "cant_update_message",
    "edit_window_closed", "msg_too_long", "invalid_blocks", "team_access_not_granted",
    "restricted_action", "ekm_access_denied",
})
#: When Slack says 429 without a usable Retry-After.
DEFAULT_RETRY_AFTER_SECONDS = 1.0
TEXT_MAX = SECTION_MAX * 4


def slack_chat_delivery(settings: Settings, store: Store, vault: TokenVault,
                        api_url: str | None = None) -> SlackChatDelivery:
    """The delivery for these settings: installations' tokens from ``store``, opened by
    ``vault``, or the configured single-workspace token; ``api_url`` overrides Slack's."""
    url = (api_url or settings.slack_api_url).rstrip("/") + "/"
    return SlackChatDelivery(SlackAuthorizer.for_settings(settings, store, vault, url), url)


class SlackChatDelivery:
    """Delivers a message with the workspace's bot token (settings or installation)."""

    def __init__(self, authorizer: SlackAuthorizer, api_url: str) -> None:
        self._api_url = api_url
        self._authorizer = authorizer

    async def client(self, workspace_id: str) -> AsyncWebClient | None:
        """A Web API client with the workspace's bot token; None when PostFlow has none."""
        authorized = await self._authorizer.authorize(None, workspace_id, None)
        if authorized is None or not authorized.bot_token:
            return None
        return AsyncWebClient(token=authorized.bot_token, base_url=self._api_url)

    async def deliver(self, message: ChatMessage) -> Delivered:
        to = message.destination
        client = await self.client(to.workspace_id)
        if client is None:
            return Delivered(DeliveryOutcome.REFUSED, error="no_bot_token")
        try:
            if message.ephemeral:
                channel = to.channel_id
            else:
                channel = to.channel_id or await self._direct_channel(client, to.user_id)
            options: dict[str, Any] = {"channel": channel, "text": message.text[:TEXT_MAX]}
            if message.card is not None:
                options["blocks"] = card_blocks(message.card)
            if message.replaces:
                answer = await client.chat_update(ts=message.replaces, **options)
            elif message.ephemeral:
                answer = await client.chat_postEphemeral(user=to.user_id, **options)
            else:
                if message.thread_id:
                    options["thread_ts"] = message.thread_id
                answer = await client.chat_postMessage(unfurl_links=False, **options)
        except SlackApiError as err:
            return _refusal(err)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as err:
            return Delivered(DeliveryOutcome.UNREACHABLE, error=type(err).__name__)
        ts = str(answer.get("ts") or answer.get("message_ts") or "")
        return Delivered(DeliveryOutcome.SENT, reference=ChatMessageRef(
            platform=PLATFORM, workspace_id=to.workspace_id,
            channel_id=str(answer.get("channel") or channel), message_id=ts))

    @staticmethod
    async def _direct_channel(client: AsyncWebClient, user_id: str) -> str:
        """The DM with ``user_id``; Slack also accepts the user id itself (the app's Messages
        tab), which is the fallback when ``conversations.open`` is refused."""
        try:
            opened = await client.conversations_open(users=user_id)
        except SlackApiError as err:
            if _status(err) == 429:
                raise
            log.info("conversations.open refused (%s); messaging the user id",
                     err.response.get("error"))
            return user_id
        return str((opened.get("channel") or {}).get("id") or user_id)


def _status(err: SlackApiError) -> int:
    return int(getattr(err.response, "status_code", 200) or 200)


def _refusal(err: SlackApiError) -> Delivered:
    code = str(err.response.get("error") or "")
    status = _status(err)
    if status == 429 or code == "ratelimited":
        return Delivered(DeliveryOutcome.RATE_LIMITED, retry_after=_retry_after(err),
                         error=code)
    if status >= 500 or code in ("internal_error", "fatal_error", "service_unavailable",
                                 "request_timeout"):
        return Delivered(DeliveryOutcome.UNREACHABLE, error=code or f"http_{status}")
    # Anything else is Slack refusing this message: sending it again gives the same answer.
    return Delivered(DeliveryOutcome.REFUSED, error=code or f"http_{status}")


def _retry_after(err: SlackApiError) -> float:
    headers = getattr(err.response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER_SECONDS
