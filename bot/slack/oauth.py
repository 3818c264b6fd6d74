"""Installing the app into a Slack workspace (OAuth v2): the consent URL, then exchanging the
code with ``oauth.v2.access`` and storing the installation through the core."""

from __future__ import annotations

from urllib.parse import urlencode

from pydantic import BaseModel, ValidationError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.authorize import PLATFORM
from bot.slack.users import read_user
from postflow.chatops.install import AppInstall, LinkedWorkspace, WorkspaceOwner, install_app
from postflow.errors import BadInput
from postflow.organizations import ChatIdentity
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import issue_state

AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
#: What the bot does: answer /postflow (commands), post review requests and notifications
#: (chat:write), read a user's name, zone and admin flag (users:read).
BOT_SCOPES = ("commands", "chat:write", "users:read", "im:write", "files:read")
STATE_PURPOSE = "slack-install"
REDIRECT_PATH = "/slack/oauth_redirect"


class _Team(BaseModel):
    id: str
    name: str = ""


class _AuthedUser(BaseModel):
    id: str


class OAuthAccess(BaseModel):
    """The parts of ``oauth.v2.access``'s answer PostFlow keeps."""

    access_token: str = ""
    token_type: str = ""
    scope: str = ""
    bot_user_id: str = ""
    app_id: str = ""
    team: _Team | None = None
    enterprise: _Team | None = None
    is_enterprise_install: bool = False
    authed_user: _AuthedUser


def redirect_uri(rt: Runtime) -> str:
    return rt.settings.base_url + REDIRECT_PATH


def install_url(rt: Runtime, client_id: str) -> tuple[str, str]:
    """(Slack's consent URL, the state it carries)."""
    state = issue_state(rt, STATE_PURPOSE)
    query = urlencode({"client_id": client_id, "scope": ",".join(BOT_SCOPES), "state": state,
                       "redirect_uri": redirect_uri(rt)})
    return f"{AUTHORIZE_URL}?{query}", state


async def finish_install(rt: Runtime, api_url: str, client_id: str, client_secret: str,
                         code: str) -> tuple[LinkedWorkspace, str]:
    """Exchange ``code``, then link the workspace; returns it with the Slack team's name.

    Raises SlackApiError when Slack refuses the code, BadInput for an install PostFlow cannot
    serve (an organization-wide Enterprise Grid install).
    """
    answer = await AsyncWebClient(base_url=api_url).oauth_v2_access(
        client_id=client_id, client_secret=client_secret, code=code,
        redirect_uri=redirect_uri(rt))
    try:
        access = OAuthAccess.model_validate(answer.data)
    except ValidationError:
        raise BadInput("Slack's answer to the installation was not what PostFlow expected.") \
            from None
    if access.is_enterprise_install or access.team is None:
        raise BadInput("PostFlow installs into one workspace at a time; installing it for a "
                       "whole Enterprise Grid organization is not supported.")
    if access.token_type != "bot" or not access.access_token:  # noqa: S105 - a type name
        raise BadInput("Slack's answer carried no bot token; check the app's bot scopes.")
    bot = AsyncWebClient(token=access.access_token, base_url=api_url)
    user = await read_user(bot, access.authed_user.id)
    installer = WorkspaceOwner(
        identity=ChatIdentity(platform=PLATFORM, workspace_id=access.team.id,
                              user_id=access.authed_user.id),
        display_name=user.name if user else "", timezone=user.tz if user else "")
    linked = await install_app(rt, AppInstall(
        platform=PLATFORM, workspace_id=access.team.id, workspace_name=access.team.name,
        enterprise_id=access.enterprise.id if access.enterprise else "",
        bot_token=access.access_token, installer=installer, app_id=access.app_id,
        bot_user_id=access.bot_user_id,
        bot_scopes=tuple(s for s in access.scope.split(",") if s)))
    return linked, access.team.name
