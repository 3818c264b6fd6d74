"""The record of PostFlow's chat app installed in a workspace: which organization it serves and
the bot token (sealed) it acts with there."""

from __future__ import annotations

from pydantic import BaseModel, Field

from postflow.clock import UtcDatetime


class ChatInstallation(BaseModel):
    """One install of the app in one chat workspace (a Slack team); keyed by
    (``platform``, ``workspace_id``): installing again replaces it."""

    id: str
    platform: str = Field(pattern=r"^(slack|discord)$")
    workspace_id: str
    #: Slack Enterprise Grid organization the team belongs to; empty otherwise.
    enterprise_id: str = ""
    workspace_name: str = ""
    org_id: str
    app_id: str = ""
    bot_user_id: str = ""
    bot_scopes: list[str] = Field(default_factory=list)
    #: The bot token, sealed by :class:`postflow.token_vault.TokenVault`; never plaintext.
    sealed_bot_token: str
    installer_user_id: str = ""
    installed_at: UtcDatetime
    updated_at: UtcDatetime
    #: When the app was uninstalled or its bot token revoked (the sealed token is then erased):
    #: the workspace is answered no more until installed again. None while installed.
    removed_at: UtcDatetime | None = None
