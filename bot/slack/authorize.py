"""Which bot token answers a workspace: its stored installation (multi-workspace OAuth), or the
configured single-workspace token when the request comes from that token's team."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from postflow.config import Settings
from postflow.store.port import Store
from postflow.token_vault import TokenVault

log = logging.getLogger(__name__)

PLATFORM = "slack"


@dataclass(frozen=True)
class TokenTeam:
    """What ``auth.test`` says about the single-workspace bot token."""

    team_id: str
    team_name: str
    bot_user_id: str
    bot_id: str


class SlackAuthorizer:
    """Bolt's ``authorize``: no network call except one ``auth.test`` for a configured token."""

    def __init__(self, store: Store, vault: TokenVault, single_token: str | None,
                 api_url: str) -> None:
        self._store = store
        self._vault = vault
        #: POSTFLOW_SLACK_BOT_TOKEN: the single-workspace bot token, when set.
        self.single_token = single_token
        self._api_url = api_url
        self._token_team: TokenTeam | None = None

    @classmethod
    def for_settings(cls, settings: Settings, store: Store, vault: TokenVault,
                     api_url: str) -> SlackAuthorizer:
        token = settings.slack_bot_token
        return cls(store, vault, None if token is None else token.get_secret_value(), api_url)

    async def authorize(self, enterprise_id: str | None, team_id: str | None,
                        user_id: str | None) -> AuthorizeResult | None:
        if team_id:
            installation = await self._store.find_chat_installation(PLATFORM, team_id)
            if installation is not None and installation.removed_at is not None:
                return None  # uninstalled or token revoked: nothing answers there any more
            if installation is not None:
                return AuthorizeResult(
                    enterprise_id=enterprise_id, team_id=team_id,
                    team=installation.workspace_name,
                    bot_token=self._vault.open(installation.sealed_bot_token),
                    bot_user_id=installation.bot_user_id, bot_scopes=installation.bot_scopes,
                    user_id=user_id)
        team = await self.token_team()
        if team is None or team.team_id != team_id:
            return None
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, team=team.team_name,
                               bot_token=self.single_token, bot_user_id=team.bot_user_id,
                               bot_id=team.bot_id, user_id=user_id)

    async def token_team(self) -> TokenTeam | None:
        """The single-workspace token's team (asked once, then remembered); None without one
        or when Slack refuses the token."""
        token = self.single_token
        if token is None:
            return None
        if self._token_team is None:
            try:
                answer = await AsyncWebClient(token=token, base_url=self._api_url).auth_test()
            except SlackApiError as err:
                log.error("Slack refused POSTFLOW_SLACK_BOT_TOKEN in auth.test: %s",
                          err.response.get("error"))
                return None
            except (SlackClientError, aiohttp.ClientError, TimeoutError) as err:
                log.error("could not reach Slack for auth.test: %s", type(err).__name__)
                return None
            self._token_team = TokenTeam(team_id=str(answer.get("team_id", "")),
                                         team_name=str(answer.get("team", "")),
                                         bot_user_id=str(answer.get("user_id", "")),
                                         bot_id=str(answer.get("bot_id", "")))
        return self._token_team
