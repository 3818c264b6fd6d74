"""Button presses answered in time: work slower than the answer budget is deferred (type 6)
and its answer sent through the interaction's webhook within the token's life; and the custom
ids buttons carry."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.discord import components
from bot.discord.custom_ids import (
    NOTICE_PREFIX,
    REVIEW_PREFIX,
    ButtonId,
    notice_id,
    read_button_id,
    review_id,
)
from postflow.chatops.post_outcomes import NoticeAction
from postflow.organizations import Organization
from postflow.posts import PostStatus
from postflow.reviews import Verdict
from postflow.runtime import Runtime
from tests.bot.discord.conftest import ADMIN, VIEWER, DiscordUser, button, shown
from tests.bot.discord.test_review_cards import post_in_review
from tests.fakes.clock import ManualClock
from tests.fakes.discord_api import FakeDiscord
from tests.polling import eventually

ORG, REVIEW = "org_0123456789abcdefghjk", "rev_0123456789abcdefghjk"
EDIT_ORIGINAL = "PATCH /webhooks/{app_id}/{token}/messages/{message_id}"
FOLLOW_UP = "POST /webhooks/{app_id}/{token}"


@pytest.fixture
def slow_decisions(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Decisions wait for the returned event; the answer budget is a hundredth of a second."""
    gate = asyncio.Event()
    real = components.press_review

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(components, "press_review", slow)
    monkeypatch.setattr(components, "ANSWER_WITHIN_SECONDS", 0.01)
    return gate


async def test_slow_work_is_deferred_and_the_card_edited_through_the_webhook(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser, slow_decisions: asyncio.Event) -> None:
    post, _, card = await post_in_review(rt, clock, org, fake_discord)

    answer = await user.press(ADMIN, card, button(card, "approve"))
    assert answer == {"type": 6}
    slow_decisions.set()

    await eventually(lambda: "1 of 2 approvals" in card.data["embeds"][0]["title"],
                     what="the card edited through the webhook")
    [edit] = fake_discord.calls_to(EDIT_ORIGINAL)
    assert edit.params["message_id"] == "@original" and edit.auth == ""
    assert (await rt.store.get_post(org.id, post.id)).status is PostStatus.IN_REVIEW


async def test_a_slow_refusal_is_a_follow_up_only_the_presser_sees(
        rt: Runtime, clock: ManualClock, org: Organization, fake_discord: FakeDiscord,
        user: DiscordUser, slow_decisions: asyncio.Event) -> None:
    _, _, card = await post_in_review(rt, clock, org, fake_discord)

    answer = await user.press(VIEWER, card, button(card, "approve"))
    slow_decisions.set()

    assert answer == {"type": 6}
    await eventually(lambda: len(fake_discord.calls_to(FOLLOW_UP)) == 1, what="the follow-up")
    [follow_up] = fake_discord.calls_to(FOLLOW_UP)
    assert follow_up.body["flags"] == 64 and "Admin" in follow_up.body["content"]
    assert "0 of 2 approvals" in shown(card)


def test_a_button_id_reads_back_as_what_it_names() -> None:
    approve = review_id(Verdict.APPROVE, ORG, REVIEW)
    retry = notice_id(NoticeAction.RETRY_UNCONFIRMED, ORG, "post_0123456789abcdefghjk")

    assert approve == f"pf:r:approve:{ORG}:{REVIEW}"
    assert read_button_id(approve) == ButtonId(REVIEW_PREFIX, "approve", ORG, REVIEW)
    assert read_button_id(retry) == ButtonId(NOTICE_PREFIX, "retry_unconfirmed", ORG,
                                             "post_0123456789abcdefghjk")
    assert len(retry) <= 100


@pytest.mark.parametrize("garbled", [
    "", "pf:r:", "pf:x:approve:org_0123456789abcdefghjk:rev_0123456789abcdefghjk",
    f"pf:r:approve:{ORG}", f"pf:r:approve:{ORG}:{REVIEW}:extra", f"pf:r:retry:{ORG}:{REVIEW}",
    f"pf:n:approve:{ORG}:{REVIEW}", f"pf:r:approve:{REVIEW}:{REVIEW}",
    f"pf:r:approve:{ORG}:REV_0123456789ABCDEFGHJK", f"pf:r:approve:{ORG}:rev_{'a' * 90}",
    f"pf:r:approve:{ORG}:rev_0123456789abcdefghjk|x", f"postflow-review:approve|{REVIEW}",
])
def test_anything_else_is_no_button(garbled: str) -> None:
    assert read_button_id(garbled) is None
