"""A process's chat side: the chat adapters it has (their deliveries, by platform), the notice
sinks it registers on the one router, the review-card posters, and which way messages go (the
paced ``chat`` queue or at once).

Slack's modules load only when Slack is configured: a process without Slack never imports
slack-sdk or slack-bolt. A second platform is one more adapter registered in
:func:`chat_adapters`: Discord (``POSTFLOW_DISCORD_BOT_TOKEN``) registers its delivery, its
notice sink (:mod:`bot.discord.notice_sink`) and its review cards
(:mod:`bot.discord.review_cards`), as Slack does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from composition.webhooks import webhook_sink
from postflow.chat.delivery import ChatDeliveries, ChatDelivery, ChatOutbox, InlineChatOutbox
from postflow.clock import Clock, SystemClock
from postflow.config import Settings
from postflow.notices.inbox_sink import InboxSink
from postflow.notices.review_cards import ReviewCardPosters, ReviewCards
from postflow.notices.router import NoticeRouter, NoticeSink
from postflow.notifications import LogSink
from postflow.store.port import Store
from postflow.token_vault import TokenVault
from workers.broker import BrokerNotConfigured, configured_broker


def posts_to_slack(settings: Settings) -> bool:
    """PostFlow can post to Slack: a bot token, or OAuth installs."""
    return settings.slack_bot_token is not None or settings.slack_client_secret is not None


@dataclass(frozen=True)
class ChatAdapter:
    """What one chat platform registers: how it delivers a message, the sink that turns
    notices into its messages, and how it posts a review card."""

    platform: str
    delivery: ChatDelivery
    sink: NoticeSink
    review_cards: ReviewCards


@dataclass(frozen=True)
class Chat:
    """A process's chat side."""

    #: The one router: each chat adapter's sink, or the log's when there is none; then the
    #: notification center's, always.
    notices: NoticeRouter
    review_cards: ReviewCardPosters
    #: The ``chat`` actor's deliveries, by platform.
    deliveries: ChatDeliveries


def open_chat(settings: Settings, store: Store, vault: TokenVault,
              clock: Clock | None = None) -> Chat:
    """The chat adapters these settings configure, registered; the log sink when none is;
    always the notification center's sink (:mod:`postflow.notices.inbox_sink`); and the
    outbound webhooks' sink."""
    deliveries = chat_deliveries(settings, store, vault)
    adapters = chat_adapters(settings, store, deliveries) if deliveries else ()
    sinks: list[NoticeSink] = [adapter.sink for adapter in adapters] or [LogSink()]
    sinks.append(InboxSink(store, clock or SystemClock()))
    sinks.append(webhook_sink(settings, store, clock or SystemClock()))
    return Chat(notices=NoticeRouter(sinks),
                review_cards={adapter.platform: adapter.review_cards for adapter in adapters},
                deliveries=deliveries)


def chat_deliveries(settings: Settings, store: Store,
                    vault: TokenVault) -> Mapping[str, ChatDelivery]:
    """The deliveries of the chat platforms these settings can post to, by platform."""
    deliveries: dict[str, ChatDelivery] = {}
    if posts_to_slack(settings):
        from bot.slack.chat_delivery import slack_chat_delivery

        deliveries["slack"] = slack_chat_delivery(settings, store, vault)
    if settings.discord_bot_token is not None:
        from bot.discord.chat_delivery import discord_chat_delivery

        deliveries["discord"] = discord_chat_delivery(settings)
    return deliveries


def chat_adapters(settings: Settings, store: Store,
                  deliveries: ChatDeliveries) -> tuple[ChatAdapter, ...]:
    """Each platform of ``deliveries`` with its sink and review cards, sending through the
    outbox this process uses."""
    outbox = chat_outbox(settings, deliveries)
    adapters = []
    slack = deliveries.get("slack")
    if slack is not None:
        from bot.slack.chat_delivery import SlackChatDelivery
        from bot.slack.notice_sink import SlackNoticeSink
        from bot.slack.review_cards import SlackReviewCards

        assert isinstance(slack, SlackChatDelivery)
        adapters.append(ChatAdapter("slack", slack, SlackNoticeSink(store, outbox),
                                    SlackReviewCards(store, slack)))
    discord = deliveries.get("discord")
    if discord is not None:
        from bot.discord.chat_delivery import DiscordChatDelivery
        from bot.discord.notice_sink import DiscordNoticeSink
        from bot.discord.review_cards import DiscordReviewCards

        assert isinstance(discord, DiscordChatDelivery)
        adapters.append(ChatAdapter("discord", discord, DiscordNoticeSink(store, outbox),
                                    DiscordReviewCards(store, discord)))
    return tuple(adapters)


def chat_outbox(settings: Settings, deliveries: ChatDeliveries) -> ChatOutbox:
    """The ``chat`` Dramatiq queue when this process configured its broker for ``settings``
    (hub, worker, scheduler, ``postflow up``: they configure it before building anything),
    else at once without pacing (a one-off CLI command, whose queued message no one would
    consume). Chosen once, when the process builds its notice sinks and its chat listeners."""
    try:
        configured = configured_broker()
    except BrokerNotConfigured:
        return InlineChatOutbox(deliveries)
    if configured.settings != settings:
        return InlineChatOutbox(deliveries)
    from workers.chat_actors import DramatiqChatOutbox  # declares its actor on that broker

    return DramatiqChatOutbox()
