"""What PostFlow reads about a Slack user (``users.info``): their name, time zone and whether
they administer the workspace. Slack's JSON stays here; a small model leaves."""

from __future__ import annotations

import logging

import aiohttp
from pydantic import BaseModel
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class SlackUser(BaseModel):
    id: str
    name: str = ""
    #: IANA zone, such as "Europe/Paris"; empty when Slack did not say.
    tz: str = ""
    is_admin: bool = False
    is_owner: bool = False
    #: The profile's address: Slack gives it only to apps with the ``users:read.email`` scope.
    email: str = ""

    @property
    def administers_workspace(self) -> bool:
        return self.is_admin or self.is_owner


async def read_user(client: AsyncWebClient, user_id: str) -> SlackUser | None:
    """The user as ``users.info`` describes them; None when Slack cannot say (logged)."""
    try:
        answer = await client.users_info(user=user_id)
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as err:
        log.warning("users.info failed for %s: %s", user_id, type(err).__name__)
        return None
    user = answer.get("user") or {}
    profile = user.get("profile") or {}
    return SlackUser(id=user_id,
                     name=str(profile.get("display_name") or user.get("real_name")
                              or user.get("name") or ""),
                     tz=str(user.get("tz") or ""), is_admin=bool(user.get("is_admin")),
                     is_owner=bool(user.get("is_owner")),
                     email=str(profile.get("email") or ""))
