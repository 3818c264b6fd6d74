"""One Slack message on its way: what to send (:class:`ChatSend`, plain data that fits in a
Dramatiq message), how it is delivered (:class:`SlackChatDelivery`, one Web API call with the
workspace's bot token), and where the notifier hands it (:class:`ChatOutbox`: the ``chat``
queue, or :class:`InlineChatOutbox`; the composition root picks one per process).

Slack allows about one message per second per channel (``chat.postMessage``, with short bursts)
and answers more with HTTP 429 and ``Retry-After`` (seconds). The delivery only classifies the
answer; pacing and retries are the ``chat`` actor's (``workers/chat_actors.py``). Nothing here
logs a token or a platform body: refusals are logged by Slack's error code.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import SlackAuthorizer
from bot.slack.blocks import SECTION_MAX
from postflow.config import Settings
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


@dataclass(frozen=True)
class ChatSend:
    """A message to post (or, with ``ts``, a message to update) in one Slack workspace."""

    workspace_id: str
    text: str
    #: A channel id; or empty with ``user_id`` set: that person's direct messages.
    channel_id: str = ""
    user_id: str = ""
    blocks: list[dict[str, Any]] | None = None
    #: Post as a reply in this thread.
    thread_ts: str = ""
    #: Update this message (``chat.update``) instead of posting a new one.
    ts: str = ""
    #: For the log: "post a late notice".
    what: str = "post a notice"
    #: The platform, for :meth:`pace_key`; only Slack today.
    platform: str = field(default="slack")

    def to_message(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> ChatSend:
        return cls(**data)

    def pace_key(self) -> str:
        """The budget this message spends: its channel (a DM counts as the person's)."""
        return f"{self.platform}:{self.workspace_id}:{self.channel_id or 'user-' + self.user_id}"


class SendOutcome(StrEnum):
    SENT = "sent"
    #: Slack said 429 / ``ratelimited``: send again after ``retry_after`` seconds.
    RATE_LIMITED = "rate_limited"
    #: A permanent refusal (channel gone, bot not in it, token revoked): never sent again.
    REFUSED = "refused"
    #: Slack could not be reached or answered 5xx: worth another try later.
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    retry_after: float = 0.0
    #: Slack's error code, or the exception's class name; never a body or a token.
    error: str = ""
    channel_id: str = ""
    ts: str = ""


def slack_chat_delivery(settings: Settings, store: Store, vault: TokenVault,
                        api_url: str | None = None) -> SlackChatDelivery:
    """The delivery for these settings: installations' tokens from ``store``, opened by
    ``vault``, or the configured single-workspace token; ``api_url`` overrides Slack's."""
    url = (api_url or settings.slack_api_url).rstrip("/") + "/"
    return SlackChatDelivery(SlackAuthorizer.for_settings(settings, store, vault, url), url)


class SlackChatDelivery:
    """Delivers a :class:`ChatSend` with the workspace's bot token (settings or installation)."""

    def __init__(self, authorizer: SlackAuthorizer, api_url: str) -> None:
        self._api_url = api_url
        self._authorizer = authorizer

    async def client(self, workspace_id: str) -> AsyncWebClient | None:
        """A Web API client with the workspace's bot token; None when PostFlow has none."""
        authorized = await self._authorizer.authorize(None, workspace_id, None)
        if authorized is None or not authorized.bot_token:
            return None
        return AsyncWebClient(token=authorized.bot_token, base_url=self._api_url)

    async def deliver(self, send: ChatSend) -> SendResult:
        client = await self.client(send.workspace_id)
        if client is None:
            return SendResult(SendOutcome.REFUSED, error="no_bot_token")
        try:
            channel = send.channel_id or await self._direct_channel(client, send.user_id)
            options: dict[str, Any] = {"channel": channel, "text": send.text[:TEXT_MAX]}
            if send.blocks is not None:
                options["blocks"] = send.blocks
            if send.ts:
                answer = await client.chat_update(ts=send.ts, **options)
            else:
                if send.thread_ts:
                    options["thread_ts"] = send.thread_ts
                answer = await client.chat_postMessage(unfurl_links=False, **options)
        except SlackApiError as err:
            return _refusal(err)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as err:
            return SendResult(SendOutcome.UNREACHABLE, error=type(err).__name__)
        return SendResult(SendOutcome.SENT, channel_id=str(answer.get("channel") or channel),
                          ts=str(answer.get("ts") or ""))

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


def _refusal(err: SlackApiError) -> SendResult:
    code = str(err.response.get("error") or "")
    status = _status(err)
    if status == 429 or code == "ratelimited":
        return SendResult(SendOutcome.RATE_LIMITED, retry_after=_retry_after(err), error=code)
    if status >= 500 or code in ("internal_error", "fatal_error", "service_unavailable",
                                 "request_timeout"):
        return SendResult(SendOutcome.UNREACHABLE, error=code or f"http_{status}")
    # Anything else is Slack refusing this message: sending it again gives the same answer.
    return SendResult(SendOutcome.REFUSED, error=code or f"http_{status}")


def _retry_after(err: SlackApiError) -> float:
    headers = getattr(err.response, "headers", None) or {}
    for name, value in dict(headers).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                break
    return DEFAULT_RETRY_AFTER_SECONDS


class ChatOutbox(Protocol):
    """Where the notifier and the notice buttons hand a message."""

    async def send(self, send: ChatSend) -> None: ...


class InlineChatOutbox:
    """Delivers at once, without pacing or retries: for a process with no broker (a one-off CLI
    command), where a queued message would never be consumed."""

    def __init__(self, delivery: SlackChatDelivery) -> None:
        self._delivery = delivery

    async def send(self, send: ChatSend) -> None:
        result = await self._delivery.deliver(send)
        if result.outcome is not SendOutcome.SENT:
            log.warning("Slack message not sent (%s): %s %s", send.what, result.outcome.value,
                        result.error)
