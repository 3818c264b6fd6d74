"""An outbound webhook endpoint PostFlow disabled is told to the organization's Owners."""

from __future__ import annotations

from postflow.notices.events import WebhookEndpointDisabled
from postflow.organizations import Organization
from postflow.runtime import Runtime
from tests.fakes.slack_api import FakeSlack


async def test_each_owner_hears_that_an_endpoint_was_disabled(
        rt: Runtime, org: Organization, fake_slack: FakeSlack) -> None:
    await rt.notices.notify(WebhookEndpointDisabled(
        organization_id=org.id, endpoint_id="we_1", shown_url="https://example.com/in",
        reason="every delivery failed for 24 hours"))

    opened = [c.params["users"] for c in fake_slack.calls_to("conversations.open")]
    assert opened == ["UOWNER"]
    [dm] = [c for c in fake_slack.calls_to("chat.postMessage")
            if c.params["channel"] == "DUOWNER"]
    assert "we_1" in dm.params["text"] and "postflow webhook enable" in dm.params["text"]
