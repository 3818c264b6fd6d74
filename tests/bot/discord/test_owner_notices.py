"""Owner notices said on Discord: billing, a disabled webhook endpoint and PostFlow removed from
another of the organization's workspaces, by direct message to each Owner on Discord; billing in
the notification channel when no Owner is on Discord."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from postflow.notices.events import (
    BILLING_NOTICES,
    BillingNotice,
    ChatAppRemoved,
    GraceEnding,
    PaymentFailed,
    PlanChanged,
    TrialEnding,
    WebhookEndpointDisabled,
)
from postflow.organizations import ChatChannel, ChatIdentity, Organization, Role
from postflow.runtime import Runtime
from tests.bot.discord.conftest import (
    ADMIN,
    GUILD,
    MEMBER,
    NOTICES,
    OTHER_GUILD,
    OWNER,
    VIEWER,
    identity,
)
from tests.bot.discord.test_notices import dms_of
from tests.fakes.discord_api import FakeDiscord

WHEN = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def billing_notice(kind: type[BillingNotice], org_id: str) -> BillingNotice:
    if kind is PaymentFailed:
        return PaymentFailed(organization_id=org_id, plan_name="Pro", grace_until=WHEN)
    if kind is TrialEnding:
        return TrialEnding(organization_id=org_id, plan_name="Pro", trial_end=WHEN)
    if kind is GraceEnding:
        return GraceEnding(organization_id=org_id, plan_name="Pro", grace_until=WHEN)
    return PlanChanged(organization_id=org_id, plan_name="Free", old_plan_name="Pro",
                       reason="the subscription is unpaid", paused=("Acme news (x)",),
                       held_posts=2)


#: A phrase each billing notice's words hold (postflow/chatops/billing_notices.py).
SAYS = {PaymentFailed: "payment for the Pro plan failed", TrialEnding: "trial ends on 2026-12-02",
        GraceEnding: "grace period for the failed payment ends on 2026-12-02 09:30 UTC",
        PlanChanged: "from the Pro plan to the Free plan"}


@pytest.fixture
async def notified_org(rt: Runtime, org: Organization) -> Organization:
    updated = org.model_copy(update={"notification_channel": ChatChannel(
        platform="discord", workspace_id=GUILD, channel_id=NOTICES)})
    await rt.store.update_organization(updated)
    return updated


async def owner_off_discord(rt: Runtime, org: Organization) -> None:
    """The Owner is known on Slack only: nobody on Discord can be told directly."""
    [owner] = [m for m in await rt.store.list_members(org.id) if m.role is Role.OWNER]
    await rt.store.update_member(owner.model_copy(update={"identity": ChatIdentity(
        platform="slack", workspace_id="T1", user_id="U1"), "linked_identities": []}))


@pytest.mark.parametrize("kind", BILLING_NOTICES, ids=lambda k: k.kind)
async def test_each_billing_notice_reaches_the_owners_direct_messages_only(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord,
        kind: type[BillingNotice]) -> None:
    await rt.notices.notify(billing_notice(kind, notified_org.id))

    [dm] = dms_of(fake_discord, OWNER)
    assert dm.data["content"].startswith("\N{CREDIT CARD} ")
    assert SAYS[kind] in dm.data["content"]
    assert all(dms_of(fake_discord, u) == [] for u in (ADMIN, MEMBER, VIEWER))
    assert fake_discord.messages_in(NOTICES) == []


async def test_a_billing_notice_goes_to_the_channel_when_no_owner_is_on_discord(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    await owner_off_discord(rt, notified_org)

    await rt.notices.notify(billing_notice(PaymentFailed, notified_org.id))

    [notice] = fake_discord.messages_in(NOTICES)
    assert SAYS[PaymentFailed] in notice.data["content"]
    assert fake_discord.dm_channels == {}


async def test_an_owner_linked_from_two_servers_gets_one_message(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    [owner] = [m for m in await rt.store.list_members(notified_org.id) if m.role is Role.OWNER]
    await rt.store.update_member(owner.model_copy(update={
        "linked_identities": [identity(OWNER, OTHER_GUILD)]}))

    await rt.notices.notify(billing_notice(TrialEnding, notified_org.id))

    assert len(dms_of(fake_discord, OWNER)) == 1


async def test_a_disabled_webhook_endpoint_reaches_the_owners(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    await rt.notices.notify(WebhookEndpointDisabled(
        organization_id=notified_org.id, endpoint_id="we_1",
        shown_url="https://example.com/in", reason="every delivery failed for 24 hours"))

    [dm] = dms_of(fake_discord, OWNER)
    assert "webhook endpoint we\\_1 (https://example.com/in)" in dm.data["content"]
    assert f"`postflow webhook enable we_1 --org {notified_org.id}`" in dm.data["content"]
    assert dms_of(fake_discord, ADMIN) == [] and fake_discord.messages_in(NOTICES) == []


async def test_a_disabled_webhook_endpoint_is_never_said_in_the_channel(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    await owner_off_discord(rt, notified_org)

    await rt.notices.notify(WebhookEndpointDisabled(
        organization_id=notified_org.id, endpoint_id="we_1",
        shown_url="https://hooks.example.com/services/secret-path", reason="gone"))

    assert fake_discord.messages_in(NOTICES) == [] and fake_discord.dm_channels == {}


async def test_a_removal_from_another_server_reaches_the_owner(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    await rt.notices.notify(ChatAppRemoved(
        organization_id=notified_org.id, platform="discord", workspace_id=OTHER_GUILD,
        workspace_name="Other"))

    [dm] = dms_of(fake_discord, OWNER)
    assert "PostFlow was removed from the Discord server Other" in dm.data["content"]


async def test_a_removal_is_not_said_in_the_server_it_was_removed_from(
        rt: Runtime, notified_org: Organization, fake_discord: FakeDiscord) -> None:
    await rt.notices.notify(ChatAppRemoved(
        organization_id=notified_org.id, platform="discord", workspace_id=GUILD,
        workspace_name="Acme"))

    assert fake_discord.messages_in(NOTICES) == [] and fake_discord.dm_channels == {}
