"""PostFlow removed from another of the organization's workspaces (a Discord server kicked the
bot) is told to the Owners on Slack, since that workspace can no longer be told."""

from __future__ import annotations

from postflow.notices.events import ChatAppRemoved
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.fakes.slack_api import FakeSlack
from tests.polling import eventually


async def test_a_discord_server_removing_the_bot_is_told_to_the_slack_owner(
        rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await rt.notices.notify(ChatAppRemoved(
        organization_id=org.id, platform="discord", workspace_id="600000000000000001",
        workspace_name="Acme guild", owner_actor="discord:600000000000000001:1"))

    opened = await eventually(lambda: fake_slack.calls_to("conversations.open") or None)
    assert [c.params["users"] for c in opened] == ["UOWNER"]
    [dm] = await eventually(lambda: fake_slack.calls_to("chat.postMessage") or None)
    assert dm.params["channel"] == "DUOWNER"
    assert "PostFlow was removed from the Discord server Acme guild" in dm.params["text"]
