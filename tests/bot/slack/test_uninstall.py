"""``app_uninstalled`` and ``tokens_revoked`` through signed /slack/events deliveries: the
installation is marked removed (token erased, audited), the workspace is refused, notices stop,
and installing again restores it."""

from __future__ import annotations

import json

from bot.slack.chat_delivery import slack_chat_delivery
from postflow.chat.messages import ChatDestination, ChatMessage
from postflow.chatops.install import AppInstall, WorkspaceOwner, install_app
from postflow.organizations import ChatIdentity, Organization
from postflow.runtime import Runtime
from tests.bot.slack.conftest import SlackSender, all_text
from tests.fakes.slack_api import FakeSlack

BOT_TOKEN = "xoxb-installed-token-for-tests"


async def install(rt: Runtime, fake: FakeSlack) -> None:
    await install_app(rt, AppInstall(
        platform="slack", workspace_id=fake.team_id, workspace_name=fake.team_name,
        bot_token=BOT_TOKEN, bot_user_id="UBOT",
        installer=WorkspaceOwner(ChatIdentity(platform="slack", workspace_id=fake.team_id,
                                              user_id="UOWNER"))))


def event(fake: FakeSlack, event_id: str, inner: dict[str, object]) -> str:
    return json.dumps({"token": "XXYYZZ", "team_id": fake.team_id, "api_app_id": "A0001",
                       "event": inner, "type": "event_callback", "event_id": event_id,
                       "event_time": 1700000000})


async def send(slack: SlackSender, body: str) -> None:
    response = await slack.post(body, content_type="application/json")
    assert response.status == 200


async def test_app_uninstalled_erases_the_token_and_refuses_the_workspace(
        rt: Runtime, slack: SlackSender, org: Organization, fake_slack: FakeSlack) -> None:
    await install(rt, fake_slack)
    assert "You are Admin" in all_text(await slack.command("help"))

    await send(slack, event(fake_slack, "Ev1", {"type": "app_uninstalled"}))

    stored = await rt.store.find_chat_installation("slack", fake_slack.team_id)
    assert stored is not None and stored.removed_at is not None
    assert stored.sealed_bot_token == ""
    audit = await rt.store.list_audit(org.id, fake_slack.team_id)
    assert [e.action for e in audit if e.action == "chat.uninstalled"] == ["chat.uninstalled"]
    assert BOT_TOKEN not in json.dumps([e.model_dump(mode="json") for e in audit])
    refused = await slack.post(slack.command_body("help"))
    assert "You are Admin" not in await refused.text()  # authorize refused: no answer


async def test_notices_stop_once_uninstalled(
        rt: Runtime, slack: SlackSender, org: Organization, fake_slack: FakeSlack) -> None:
    await install(rt, fake_slack)
    await send(slack, event(fake_slack, "Ev1", {"type": "app_uninstalled"}))
    before = len(fake_slack.calls_to("chat.postMessage"))

    result = await slack_chat_delivery(rt.settings, rt.store, rt.vault).deliver(ChatMessage(
        destination=ChatDestination("slack", fake_slack.team_id, "C0001"), text="hi",
        what="test"))

    assert result.error == "no_bot_token"
    assert len(fake_slack.calls_to("chat.postMessage")) == before


async def test_tokens_revoked_for_the_bot_removes_it_and_user_tokens_alone_do_not(
        rt: Runtime, slack: SlackSender, org: Organization, fake_slack: FakeSlack) -> None:
    await install(rt, fake_slack)

    await send(slack, event(fake_slack, "Ev1", {"type": "tokens_revoked",
                                                "tokens": {"oauth": ["UOWNER"]}}))
    stored = await rt.store.find_chat_installation("slack", fake_slack.team_id)
    assert stored is not None and stored.removed_at is None

    await send(slack, event(fake_slack, "Ev2", {"type": "tokens_revoked",
                                                "tokens": {"bot": ["UBOT"]}}))
    stored = await rt.store.find_chat_installation("slack", fake_slack.team_id)
    assert stored is not None and stored.removed_at is not None


async def test_installing_again_restores_the_workspace(
        rt: Runtime, slack: SlackSender, org: Organization, fake_slack: FakeSlack) -> None:
    await install(rt, fake_slack)
    await send(slack, event(fake_slack, "Ev1", {"type": "app_uninstalled"}))

    await install(rt, fake_slack)

    stored = await rt.store.find_chat_installation("slack", fake_slack.team_id)
    assert stored is not None and stored.removed_at is None
    assert rt.vault.open(stored.sealed_bot_token) == BOT_TOKEN
    assert "You are Admin" in all_text(await slack.command("help"))
