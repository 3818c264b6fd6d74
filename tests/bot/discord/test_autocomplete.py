"""Autocomplete for ``/postflow`` options (type 4 -> type 8, at most 25 choices), keyed by the
focused option's name: accounts, time zones and recent posts of the caller's organization."""

from __future__ import annotations

from typing import Any

from postflow.connections import Connection
from postflow.organizations import Organization
from postflow.posts import PostSource
from postflow.runtime import Runtime
from postflow.usecases.connections import connect_sandbox
from postflow.usecases.organizations import create_organization
from postflow.usecases.submit_post import PostRequest, submit_post
from tests.bot.discord.composing import *  # noqa: F403 (its fixtures)
from tests.bot.discord.composing import ComposerUser
from tests.hub.discord_sender import GUILD_ID

AUTOCOMPLETE_RESULT = 8
UNLINKED_GUILD = "99999999999999999"


def typing_into(owner: ComposerUser, subcommand: str, option: str, typed: str,
                guild_id: str = GUILD_ID) -> dict[str, Any]:
    payload = owner.fake.slash_command(guild_id, owner.user_id, subcommand, [
        {"type": 3, "name": option, "value": typed, "focused": True}])
    payload["type"] = 4
    return payload


async def choices(owner: ComposerUser, payload: dict[str, Any]) -> list[dict[str, str]]:
    response = await owner.sender.post(payload)
    answer = await response.json()
    assert answer["type"] == AUTOCOMPLETE_RESULT
    found: list[dict[str, str]] = answer["data"]["choices"]
    return found


async def test_account_offers_the_organizations_connected_accounts(
        rt: Runtime, owner: ComposerUser, sandbox: Connection, x_account: Connection) -> None:
    other = await create_organization(rt, "Elsewhere", actor="test")
    await connect_sandbox(rt, other.id, "not-ours", actor="test")

    offered = await choices(owner, typing_into(owner, "queue", "account", ""))
    narrowed = await choices(owner, typing_into(owner, "queue", "account", "ACME_D"))

    assert {c["value"] for c in offered} == {sandbox.id, x_account.id}
    assert narrowed == [{"name": "acme_dev (x)", "value": x_account.id}]


async def test_timezone_offers_at_most_25_iana_zones_matching_what_was_typed(
        owner: ComposerUser, guild_org: Organization) -> None:
    paris = await choices(owner, typing_into(owner, "settings", "timezone", "paris"))
    europe = await choices(owner, typing_into(owner, "settings", "timezone", "Europe/"))

    assert paris == [{"name": "Europe/Paris", "value": "Europe/Paris"}]
    assert len(europe) == 25 and all(c["value"].startswith("Europe/") for c in europe)


async def test_post_offers_the_organizations_recent_posts(
        rt: Runtime, owner: ComposerUser, guild_org: Organization, sandbox: Connection) -> None:
    for text in ("Spring launch", "Summer sale"):
        await submit_post(rt, guild_org.id, PostRequest(text=text, targets=[sandbox.id]),
                          source=PostSource(kind="api"), actor="test", review_required=True)

    offered = await choices(owner, typing_into(owner, "list", "post", "summer"))

    [post] = [p for p in await rt.store.list_posts(guild_org.id) if p.text == "Summer sale"]
    assert offered == [{"name": "In review · Summer sale", "value": post.id}]


async def test_someone_in_a_server_of_no_organization_gets_no_choices(
        owner: ComposerUser, sandbox: Connection) -> None:
    assert await choices(owner, typing_into(owner, "queue", "account", "",
                                            guild_id=UNLINKED_GUILD)) == []


async def test_an_option_postflow_does_not_complete_gets_no_choices(
        owner: ComposerUser, sandbox: Connection) -> None:
    assert await choices(owner, typing_into(owner, "queue", "colour", "bl")) == []
