"""``/postflow apikey create <name> <scope,scope...>|list|revoke <key id>``: REST API keys
from chat, for Owners and Admins. A new key is shown once, to the creator only (the reply is
never public)."""

from __future__ import annotations

from postflow.api_keys import ApiScope, parse_scopes
from postflow.chat_actors import chat_actor
from postflow.chatops.callers import Membership
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Item, Reply
from postflow.errors import BadInput
from postflow.runtime import Runtime
from postflow.usecases.api_keys import create_api_key, list_api_keys, revoke_api_key

USAGE = ("`/postflow apikey create <name> <scope,scope...>`, `/postflow apikey list` or "
         "`/postflow apikey revoke <key id>`. Scopes: "
         + ", ".join(f"`{s.value}`" for s in ApiScope) + ".")


async def apikey_command(rt: Runtime, who: Membership, args: list[str]) -> Reply:
    require(who.member.role, Permission.MANAGE_API_KEYS)
    action = args[0].lower() if args else ""
    actor = chat_actor(who.caller.identity)
    if action == "create" and len(args) == 3:
        issued = await create_api_key(rt, who.org.id, args[1], parse_scopes(args[2]),
                                      actor=actor)
        return Reply(text=f"API key `{issued.key.name}` ({issued.key.id}) for "
                          f"{who.org.name}, with {', '.join(issued.key.scopes)}: "
                          f"`{issued.token}` Copy it now: it is shown only to you, only this "
                          "once. Send it as `Authorization: Bearer <key>`.")
    if action == "list" and len(args) == 1:
        keys = await list_api_keys(rt, who.org.id)
        if not keys:
            return Reply(text=f"{who.org.name} has no API keys yet.")
        return Reply(text=f"API keys of {who.org.name}:", items=tuple(
            Item(title=f"`{k.id}` {k.name}" + (" (revoked)" if k.revoked else ""),
                 lines=(f"Scopes: {', '.join(k.scopes)}",
                        "Last used: " + (k.last_used_at.strftime("%Y-%m-%d %H:%M UTC")
                                         if k.last_used_at else "never")))
            for k in keys))
    if action == "revoke" and len(args) == 2:
        key = await revoke_api_key(rt, who.org.id, args[1], actor=actor)
        return Reply(text=f"API key `{key.name}` ({key.id}) is revoked.")
    raise BadInput(f"Say what to do: {USAGE}")
