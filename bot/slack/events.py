"""Bolt listeners for the Events API events about the app itself: ``app_uninstalled`` and
``tokens_revoked`` (with bot tokens among the revoked ones).

Both mark the workspace's installation removed, its sealed bot token erased, so ``authorize``
refuses the workspace and notices to it stop; installing the app again restores it. Bolt runs
these two events without ``authorize`` (the token is already gone), so they work after the fact.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.authorize import PLATFORM
from postflow.chatops.install import remove_installation
from postflow.runtime import Runtime

log = logging.getLogger(__name__)

Body = dict[str, Any]


class InstallationEvents:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def register(self, app: AsyncApp) -> None:
        async def on_app_uninstalled(body: Body) -> None:
            await self.removed(body, "app_uninstalled")

        async def on_tokens_revoked(body: Body, event: Body) -> None:
            # Only user tokens revoked: PostFlow keeps none, the bot still works.
            if (event.get("tokens") or {}).get("bot"):
                await self.removed(body, "tokens_revoked")

        app.event("app_uninstalled")(on_app_uninstalled)
        app.event("tokens_revoked")(on_tokens_revoked)

    async def removed(self, body: Body, why: str) -> None:
        team_id = str(body.get("team_id") or "")
        if not team_id:
            return
        removed = await remove_installation(self._rt, PLATFORM, team_id, why=why)
        if removed is not None:
            log.info("Slack workspace %s: installation removed (%s)", team_id, why)
