"""Whom an Owner notice reaches on one chat platform, decided once for every chat sink."""

from __future__ import annotations

from datetime import UTC, datetime

from postflow.chatops.owner_notices import owner_recipients
from postflow.notices.events import ChatAppRemoved, PaymentFailed, WebhookEndpointDisabled
from postflow.organizations import ChatChannel, ChatIdentity, Role
from postflow.runtime import Runtime
from tests.postflow.chatops.conftest import TEAM, Team

DISCORD_OWNER = ChatIdentity(platform="discord", workspace_id="G1", user_id="600")


def payment_failed(org_id: str) -> PaymentFailed:
    return PaymentFailed(organization_id=org_id, plan_name="Pro",
                         grace_until=datetime(2026, 12, 2, tzinfo=UTC))


async def test_the_owners_on_the_platform_are_told_not_the_other_roles(
        rt: Runtime, team: Team) -> None:
    told = await owner_recipients(rt.store, payment_failed(team.org.id), "slack")

    assert told.owners == (team.owner.identity,) and not told.to_channel


async def test_an_owners_linked_identity_on_another_platform_is_told_there(
        rt: Runtime, team: Team) -> None:
    [owner] = [m for m in await rt.store.list_members(team.org.id) if m.role is Role.OWNER]
    await rt.store.update_member(owner.model_copy(update={"linked_identities": [DISCORD_OWNER]}))

    told = await owner_recipients(rt.store, payment_failed(team.org.id), "discord")

    assert told.owners == (DISCORD_OWNER,)


async def test_with_no_owner_on_the_platform_the_channel_on_it_stands_in(
        rt: Runtime, team: Team) -> None:
    await rt.store.update_organization(team.org.model_copy(update={
        "notification_channel": ChatChannel(platform="discord", workspace_id="G1",
                                            channel_id="C9")}))

    told = await owner_recipients(rt.store, payment_failed(team.org.id), "discord")

    assert told.owners == () and told.to_channel
    assert not (await owner_recipients(rt.store, payment_failed(team.org.id), "teams")).to_channel


async def test_a_disabled_webhook_endpoint_never_falls_back_to_the_channel(
        rt: Runtime, team: Team) -> None:
    await rt.store.update_organization(team.org.model_copy(update={
        "notification_channel": ChatChannel(platform="discord", workspace_id="G1",
                                            channel_id="C9")}))

    told = await owner_recipients(rt.store, WebhookEndpointDisabled(
        organization_id=team.org.id, endpoint_id="we_1", shown_url="https://x.test/s",
        reason="down"), "discord")

    assert told.owners == () and not told.to_channel


async def test_nobody_in_the_removed_workspace_is_told_of_its_removal(
        rt: Runtime, team: Team) -> None:
    await rt.store.update_organization(team.org.model_copy(update={
        "notification_channel": ChatChannel(platform="slack", workspace_id=TEAM,
                                            channel_id="C9")}))

    told = await owner_recipients(rt.store, ChatAppRemoved(
        organization_id=team.org.id, platform="slack", workspace_id=TEAM,
        workspace_name="Acme"), "slack")

    assert told.owners == () and not told.to_channel
