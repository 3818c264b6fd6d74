"""``/postflow invite`` and ``/postflow join`` through Discord's signed interactions endpoint,
with the typed options of the command definition."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from postflow.mailing.invitations import form_token, issue_join_code
from postflow.organizations import Organization, Role
from postflow.runtime import Runtime
from postflow.usecases.oauth_states import new_browser_key
from tests.bot.discord.conftest import ADMIN, GUILD, DiscordUser, content
from tests.hub.discord_sender import command_payload, subcommand

STRANGER = "600000000000000109"


async def run(user: DiscordUser, user_id: str, name: str, **options: str) -> str:
    response = await user.sender.post(command_payload(
        subcommand(name, *({"type": 3, "name": key, "value": value}
                           for key, value in options.items())),
        user_id=user_id, guild_id=GUILD))
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return content(answer)


async def test_an_admin_invites_and_a_stranger_joins_with_the_code(
        rt: Runtime, org: Organization, user: DiscordUser) -> None:
    said = await run(user, ADMIN, "invite", what="ada@example.test", role_or_id="admin")
    assert "mailed an invitation to ada@example.test" in said
    [email] = await rt.store.list_outgoing_emails(org.id, 5)
    link = next(w for w in email.text.split() if "/invitations/accept?token=" in w)
    token = parse_qs(urlsplit(link).query)["token"][0]
    browser = new_browser_key()
    code = await issue_join_code(rt, token, csrf=form_token(rt, token, browser),
                                 browser_key=browser)

    joined = await run(user, STRANGER, "join", code=code.code)

    assert "you are now Admin of" in joined
    member = await rt.store.find_member(org.id, "discord", GUILD, STRANGER)
    assert member is not None and member.role is Role.ADMIN


async def test_invitations_are_listed_and_revoked(rt: Runtime, org: Organization,
                                                  user: DiscordUser) -> None:
    await run(user, ADMIN, "invite", what="ada@example.test")
    [invitation] = await rt.store.list_invitations(org.id)

    listed = await run(user, ADMIN, "invite", what="list")
    revoked = await run(user, ADMIN, "invite", what="revoke", role_or_id=invitation.id)

    assert invitation.id in listed and "ada@example.test" in listed
    assert "revoked" in revoked
