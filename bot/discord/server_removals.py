"""A server that removed the bot, noticed from Discord's refusals when no GUILD_DELETE says so
(an HTTP-endpoint-only deployment has no gateway connection; a bot that was down when it was
kicked never gets the event).

Discord answers 403 with code 50001 (Missing Access) to every call about a server the bot is no
longer in, but also to a call into one channel whose permissions an admin narrowed. So:

1. the delivery counts each server's Missing Access refusals in a row (anything delivered to
   that server starts the count again);
2. after :data:`REFUSALS_IN_A_ROW` of them, spanning at least :data:`OVER_AT_LEAST` (a burst of
   messages into one closed channel in a few seconds is not enough), it asks Discord about the
   server itself (``GET /guilds/{id}``);
3. only when that is refused too (403 50001, or 404 Unknown Guild) is the server taken as gone,
   exactly as a GUILD_DELETE is (:func:`bot.discord.install.server_removed`): the installation
   marked removed and audited (``why: missing_access``), a ``chat.app_removed`` notice to the
   organization's notice sinks, and a direct message to the Owner who installed it where Discord
   allows one. When Discord still shows the server, the count starts again (the refusals were a
   channel's).

The counts are each process's own (a worker's, the hub's), kept in memory: a process that
restarts starts counting again, which only delays the verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from postflow.audit import AuditEvent
from postflow.chat.delivery import Delivered
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.chat_installations import ChatInstallation
from postflow.clock import Clock, SystemClock
from postflow.ids import new_sortable_id
from postflow.notices.events import ChatAppRemoved
from postflow.notices.router import Notices
from postflow.store.port import Store

log = logging.getLogger(__name__)

PLATFORM = "discord"
#: Discord's refusal for a server (or channel) the bot cannot reach.
MISSING_ACCESS = "http_403_50001"
#: Missing Access refusals in a row to one server before Discord is asked about it...
REFUSALS_IN_A_ROW = 3
#: ...the first of them at least this long before the last.
OVER_AT_LEAST = timedelta(minutes=1)
#: More servers than this counted at once: the oldest streaks are forgotten.
MAX_TRACKED = 10_000

#: Delivers a message (the Discord delivery itself, for the Owner's direct message).
Deliver = Callable[[ChatMessage], Awaitable[Delivered]]


class ServerRemovals:
    """Counts each server's Missing Access refusals and records a server gone."""

    def __init__(self, store: Store, clock: Clock | None = None, *,
                 refusals_in_a_row: int = REFUSALS_IN_A_ROW,
                 over_at_least: timedelta = OVER_AT_LEAST) -> None:
        self._store, self._clock = store, clock or SystemClock()
        self._refusals, self._span = refusals_in_a_row, over_at_least
        #: Server id -> (the first refusal of the streak, refusals so far).
        self._streaks: dict[str, tuple[datetime, int]] = {}
        self._notices: Notices | None = None

    def report_to(self, notices: Notices) -> None:
        """Where the ``chat.app_removed`` notice goes: the process's notice router, which is
        built after the deliveries (its sinks send through them), so it is given here, once,
        by the composition root. Without one the removal is recorded and logged only."""
        self._notices = notices

    def delivered(self, guild_id: str) -> None:
        """Something reached the server: whatever was refused before was not a removal."""
        self._streaks.pop(guild_id, None)

    def refused(self, guild_id: str) -> bool:
        """Count a Missing Access refusal; True when the streak is long enough that Discord
        should be asked whether the bot is still in the server."""
        now = self._clock.now()
        first, count = self._streaks.get(guild_id, (now, 0))
        if guild_id not in self._streaks and len(self._streaks) >= MAX_TRACKED:
            self._streaks.pop(next(iter(self._streaks)))
        self._streaks[guild_id] = (first, count + 1)
        return count + 1 >= self._refusals and now - first >= self._span

    async def gone(self, guild_id: str, deliver: Deliver) -> ChatInstallation | None:
        """Discord confirmed the bot is not in the server: record it as GUILD_DELETE does.
        None when PostFlow had no installation there, or it was already removed."""
        self._streaks.pop(guild_id, None)
        existing = await self._store.find_chat_installation(PLATFORM, guild_id)
        if existing is None or existing.removed_at is not None:
            return None
        now = self._clock.now()
        removed = existing.model_copy(update={"sealed_bot_token": "", "removed_at": now,
                                              "updated_at": now})
        await self._store.save_chat_installation(removed)
        await self._store.append_audit(AuditEvent(
            id=new_sortable_id("evt"), org_id=existing.org_id, at=now,
            actor=f"{PLATFORM}:{guild_id}", action="chat.uninstalled", subject_id=guild_id,
            data={"platform": PLATFORM, "why": "missing_access"}))
        log.warning("Discord server %s refuses every call (Missing Access): marked removed "
                    "from organization %s", guild_id, existing.org_id)
        owner = removed.installer_user_id
        if self._notices is not None:
            await self._notices.notify(ChatAppRemoved(
                organization_id=removed.org_id, platform=PLATFORM, workspace_id=guild_id,
                workspace_name=removed.workspace_name,
                owner_actor=f"{PLATFORM}:{guild_id}:{owner}" if owner else ""))
        if owner:
            told = await deliver(ChatMessage(
                destination=ChatDestination(PLATFORM, guild_id, user_id=owner),
                text=await self._message(removed), ephemeral=True,
                what="tell the owner of a removal"))
            if told.error:
                log.info("Discord owner %s not told of the removal in direct messages: %s",
                         owner, told.error)
        return removed

    async def _message(self, removed: ChatInstallation) -> str:
        org = await self._store.get_organization(removed.org_id)
        name = removed.workspace_name or removed.workspace_id
        return (f"PostFlow can no longer reach the Discord server {name}: it was removed from "
                f"it. The organization {org.name} keeps its posts, accounts and members; add "
                "the bot to the server again to use it there.")
