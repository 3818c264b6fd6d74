"""``/postflow accounts``, ``connect <network>``, ``disconnect <account>`` and ``queue
<account>``: the organization's social accounts, connecting or letting one go, and what waits
in an account's queue."""

from __future__ import annotations

from postflow.chatops.callers import Membership
from postflow.chatops.formatting import local_time
from postflow.chatops.permissions import Permission, require
from postflow.chatops.post_lists import post_item
from postflow.chatops.replies import Item, Reply
from postflow.connections import Connection, ConnectionStatus
from postflow.errors import BadInput, NotFound
from postflow.queues import WEEKDAYS
from postflow.runtime import Runtime
from postflow.usecases.connections import SANDBOX, connect_sandbox, disconnect_connection
from postflow.usecases.oauth_connect import connect_link, consent_networks
from postflow.usecases.queues import queue_settings_for, upcoming_queue

#: Queued posts shown by ``queue``; the rest are counted.
QUEUE_SHOWN = 10

STATUS_WORDS: dict[ConnectionStatus, str] = {
    ConnectionStatus.ACTIVE: "working",
    ConnectionStatus.NEEDS_RECONNECT: "needs reconnecting: its access was revoked or expired, "
                                      "and posts to it fail until it is connected again",
    ConnectionStatus.DISCONNECTED: "disconnected: PostFlow holds no access to it; its posts and "
                                   "queue are kept until it is connected again",
}


async def list_accounts(rt: Runtime, who: Membership) -> Reply:
    require(who.member.role, Permission.READ)
    connections = await rt.store.list_connections(who.org.id)
    if not connections:
        return Reply(text="No connected accounts yet. An Admin can add a test one with "
                          "`/postflow connect sandbox`.")
    now = rt.clock.now()
    items = []
    for conn in connections:
        lines = [f"Status: {STATUS_WORDS[conn.status]}", f"Id: `{conn.id}`"]
        tz = conn.timezone or who.org.timezone
        if conn.status is ConnectionStatus.ACTIVE and conn.token_expires_at is not None \
                and conn.token_expires_at <= now:
            lines.append("Its access token expired; PostFlow refreshes it before the next post.")
        elif conn.token_expires_at is not None:
            lines.append(f"Access token expires: {local_time(conn.token_expires_at, tz)}")
        if conn.reconnect_by is not None and conn.status is ConnectionStatus.ACTIVE:
            lines.append(f"Must be reconnected by {local_time(conn.reconnect_by, tz)}")
        if conn.last_refresh_error:
            lines.append(f"Last token problem: {conn.last_refresh_error}")
        items.append(Item(title=f"{conn.display_name} ({conn.network})", lines=tuple(lines)))
    healthy = sum(c.status is ConnectionStatus.ACTIVE for c in connections)
    return Reply(text=f"{len(connections)} connected accounts, {healthy} working. See one's "
                      "queue with `/postflow queue <name or id>`.", items=tuple(items))


async def connect(rt: Runtime, who: Membership, network: str, name: str) -> Reply:
    require(who.member.role, Permission.MANAGE_CONNECTIONS)
    network = network.lower()
    if network not in rt.providers.networks():
        raise BadInput(f"PostFlow has no network called {network!r}. Networks: "
                       f"{', '.join(rt.providers.networks())}.", details={"network": network})
    if network in consent_networks(rt):
        link = await connect_link(rt, who.org.id, network, actor=who.actor,
                                  asked_by=asker_name(who))
        return Reply(text=f"Open this link to connect {rt.providers.account_noun(network)} to "
                          f"{who.org.name}; it works once, for the next 10 minutes: {link.url}")
    if network != SANDBOX:
        raise BadInput(f"Connecting {network} is not available yet; today PostFlow connects "
                       "sandbox accounts (`/postflow connect sandbox`).",
                       details={"network": network})
    if not name:
        taken = {c.display_name for c in await rt.store.list_connections(who.org.id, network)}
        name = next(f"sandbox-{n}" for n in range(1, len(taken) + 2)
                    if f"sandbox-{n}" not in taken)
    conn = await connect_sandbox(rt, who.org.id, name, actor=who.actor)
    return Reply(text=f"Connected the sandbox account {conn.display_name} (`{conn.id}`). Posts "
                      "to it are kept in PostFlow, nothing goes to a real network.")


def connectable_networks(rt: Runtime) -> str:
    """The networks ``/postflow connect`` takes here, for people, from the provider registry."""
    offered = [SANDBOX] if SANDBOX in rt.providers.networks() else []
    return ", ".join(f"`{network}` ({rt.providers.account_noun(network)})"
                     for network in offered + consent_networks(rt))


def asker_name(who: Membership) -> str:
    """How a connect link's page names who asked for it."""
    return who.member.display_name or who.caller.display_name or who.actor


async def disconnect(rt: Runtime, who: Membership, ref: str) -> Reply:
    require(who.member.role, Permission.MANAGE_CONNECTIONS)
    if not ref:
        raise BadInput("Say which account: `/postflow disconnect <name or id>` "
                       "(`/postflow accounts` lists them).")
    conn = await find_connection(rt, who.org.id, ref)
    done = await disconnect_connection(rt, who.org.id, conn.id, actor=who.actor)
    name = f"{conn.display_name} ({conn.network})"
    if done.already:
        text = f"{name} was already disconnected."
    else:
        text = f"Disconnected {name}: PostFlow forgot its access and no longer posts to it."
    if done.waiting_posts:
        text += (f" {done.waiting_posts} post(s) not published yet still go to it; they stay, "
                 "and fail at their time unless it is reconnected first.")
    return Reply(text=text + " Its posts and queue are kept; reconnect it with "
                             f"`/postflow connect {conn.network}`.")


async def show_queue(rt: Runtime, who: Membership, ref: str) -> Reply:
    require(who.member.role, Permission.READ)
    if not ref:
        raise BadInput("Say which account: `/postflow queue <name or id>` "
                       "(`/postflow accounts` lists them).")
    conn = await find_connection(rt, who.org.id, ref)
    settings = await queue_settings_for(rt, who.org.id, conn.id)
    posts = await upcoming_queue(rt, who.org.id, conn.id)
    by_day: dict[int, list[str]] = {}
    for day, at in settings.slots:
        by_day.setdefault(day, []).append(at)
    slots = "; ".join(f"{WEEKDAYS[day]} {', '.join(times)}" for day, times in by_day.items())
    lines = [f"Slots ({settings.timezone}): {slots}"]
    if settings.max_per_day or settings.max_per_week:
        lines.append(f"At most {settings.max_per_day or 'any'} a day, "
                     f"{settings.max_per_week or 'any'} a week")
    header = Item(title=f"Queue of {conn.display_name} ({conn.network})", lines=tuple(lines))
    items = [header, *(post_item(p, settings.timezone, who.member.role)
                       for p in posts[:QUEUE_SHOWN])]
    if not posts:
        text = f"Nothing is queued on {conn.display_name}."
    else:
        text = (f"{len(posts)} posts queued on {conn.display_name}; next at "
                f"{local_time(posts[0].scheduled_at, settings.timezone)}.")
        if len(posts) > QUEUE_SHOWN:
            text += f" Showing the first {QUEUE_SHOWN}."
    return Reply(text=text, items=tuple(items))


async def find_connection(rt: Runtime, org_id: str, ref: str) -> Connection:
    """A connection by id, name or account id (names ignore case); BadInput when several
    match, NotFound when none does."""
    connections = await rt.store.list_connections(org_id)
    for conn in connections:
        if conn.id == ref:
            return conn
    wanted = ref.lower().lstrip("@")
    matches = [c for c in connections
               if wanted in (c.display_name.lower().lstrip("@"), c.account_id.lower())]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise BadInput(f"Several accounts are called {ref!r}; use an id: "
                       f"{', '.join(c.id for c in matches)}.")
    raise NotFound(f"No account is called {ref!r}; `/postflow accounts` lists them.")
