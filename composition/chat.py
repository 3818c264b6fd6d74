"""Which chat adapter tells people about posts, and which way its messages go.

Slack's modules load only when Slack is configured: a process without Slack never imports
slack-sdk or slack-bolt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from postflow.config import Settings
from postflow.notifications import LoggingNotifier, Notifier
from postflow.store.port import Store
from postflow.token_vault import TokenVault
from workers.broker import BrokerNotConfigured, configured_broker

if TYPE_CHECKING:
    from bot.slack.chat_delivery import ChatOutbox, SlackChatDelivery


def posts_to_slack(settings: Settings) -> bool:
    """PostFlow can post to Slack: a bot token, or OAuth installs."""
    return settings.slack_bot_token is not None or settings.slack_client_secret is not None


@dataclass(frozen=True)
class Chat:
    """A process's chat side: who tells people about posts, and how a Slack message is sent
    (the ``chat`` actor's delivery)."""

    notifier: Notifier
    slack_delivery: SlackChatDelivery | None


def open_chat(settings: Settings, store: Store, vault: TokenVault) -> Chat:
    """Slack's notifier and delivery when PostFlow can post to Slack, else the log."""
    if not posts_to_slack(settings):
        return Chat(notifier=LoggingNotifier(), slack_delivery=None)
    from bot.slack.notifier import SlackNotifier

    delivery = slack_delivery(settings, store, vault)
    return Chat(notifier=SlackNotifier(store, delivery, chat_outbox(settings, delivery)),
                slack_delivery=delivery)


def slack_delivery(settings: Settings, store: Store, vault: TokenVault) -> SlackChatDelivery:
    """Delivers one Slack message with the workspace's bot token."""
    from bot.slack.chat_delivery import slack_chat_delivery

    return slack_chat_delivery(settings, store, vault)


def chat_outbox(settings: Settings, delivery: SlackChatDelivery) -> ChatOutbox:
    """The ``chat`` Dramatiq queue when this process configured its broker for ``settings``
    (hub, worker, scheduler, ``postflow up``: they configure it before building anything),
    else at once without pacing (a one-off CLI command, whose queued message no one would
    consume). Chosen once, when the process builds its notifier and its Slack listeners."""
    from bot.slack.chat_delivery import InlineChatOutbox

    try:
        configured = configured_broker()
    except BrokerNotConfigured:
        return InlineChatOutbox(delivery)
    if configured.settings != settings:
        return InlineChatOutbox(delivery)
    from workers.chat_actors import DramatiqChatOutbox  # declares its actor on that broker

    return DramatiqChatOutbox()
