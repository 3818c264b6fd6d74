"""Building the Slack side of PostFlow from its settings: the bolt ``AsyncApp`` and what the
hub needs to serve it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import SlackAuthorizer
from bot.slack.composer_listeners import ComposerListeners
from bot.slack.events import InstallationEvents
from bot.slack.listeners import SlackListeners
from bot.slack.notice_listeners import NoticeListeners
from bot.slack.review_listeners import ReviewListeners
from bot.slack.signing import SlackRequestVerifier
from postflow.chat.delivery import ChatOutbox
from postflow.errors import ConfigurationError
from postflow.publish_queue import PublishQueue
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

NOT_INSTALLED = ("PostFlow is not installed in this workspace. Install it from the PostFlow "
                 "server's /slack/install page, or ask whoever runs PostFlow.")


@dataclass(frozen=True)
class SlackBot:
    app: AsyncApp
    verifier: SlackRequestVerifier
    authorizer: SlackAuthorizer
    #: Slack's Web API base URL, ending in "/".
    api_url: str
    #: (client id, client secret) when multi-workspace installs are configured.
    oauth_client: tuple[str, str] | None
    #: The Socket Mode app-level token (xapp-...), when set: see bot/slack/socket_mode.py.
    app_token: str | None = field(default=None, repr=False)
    #: The runtime the bot serves (Socket Mode remembers event ids in its store).
    runtime: Runtime | None = field(default=None, repr=False, compare=False)


#: Where the hub keeps its Slack bot on the aiohttp application (set by hub/routes/slack.py).
SLACK_BOT = web.AppKey("slack_bot", SlackBot)


def build_slack_bot(rt: Runtime, queue: PublishQueue | None, outbox: ChatOutbox) -> SlackBot:
    """The Slack bot for these settings, updating notices through ``outbox``;
    ConfigurationError for settings that cannot work."""
    settings = rt.settings
    if settings.slack_signing_secret is None:
        raise ConfigurationError("POSTFLOW_SLACK_SIGNING_SECRET is not set.")
    if (settings.slack_client_id is None) != (settings.slack_client_secret is None):
        raise ConfigurationError("Set both POSTFLOW_SLACK_CLIENT_ID and "
                                 "POSTFLOW_SLACK_CLIENT_SECRET for multi-workspace installs, "
                                 "or neither.")
    api_url = settings.slack_api_url.rstrip("/") + "/"
    secret = settings.slack_signing_secret.get_secret_value()
    authorizer = SlackAuthorizer.for_settings(settings, rt.store, rt.vault, api_url)

    async def authorize(enterprise_id: str | None, team_id: str | None,
                        user_id: str | None) -> object:
        return await authorizer.authorize(enterprise_id, team_id, user_id)

    app = AsyncApp(
        name="postflow", logger=logging.getLogger("bot.slack.bolt"),
        signing_secret=secret,
        # The hub checks signatures itself, against PostFlow's clock (see hub/routes/slack.py).
        request_verification_enabled=False,
        process_before_response=True,
        client=AsyncWebClient(base_url=api_url),
        authorize=authorize,  # type: ignore[arg-type]
        user_facing_authorize_error_message=NOT_INSTALLED)
    # Before SlackListeners: it answers every `/postflow` word, and bolt runs the first match.
    ComposerListeners(rt, queue).register(app)
    SlackListeners(rt, queue, authorizer).register(app)
    ReviewListeners(rt, queue).register(app)
    NoticeListeners(rt, queue, outbox).register(app)
    InstallationEvents(rt).register(app)
    oauth_client = None
    if settings.slack_client_id is not None and settings.slack_client_secret is not None:
        oauth_client = (settings.slack_client_id,
                        settings.slack_client_secret.get_secret_value())
    return SlackBot(app=app, verifier=SlackRequestVerifier(secret, rt.clock),
                    authorizer=authorizer, api_url=api_url, oauth_client=oauth_client,
                    app_token=None if settings.slack_app_token is None
                    else settings.slack_app_token.get_secret_value(), runtime=rt)
