"""The neutral chat message survives the chat queue: plain JSON there and back."""

from __future__ import annotations

import json

from postflow.chat.messages import ButtonStyle, ChatButton, ChatCard, ChatDestination, ChatMessage


def test_a_message_with_a_card_comes_back_equal_from_a_queue_message() -> None:
    message = ChatMessage(
        destination=ChatDestination("discord", "G1", "C1"), text="Review post p1",
        card=ChatCard(key="review:r1", title="Waiting", paragraphs=("Launch day!",),
                      fields=(("When", "now"),), context=("ada approved",),
                      buttons=(ChatButton("postflow-review:approve", "Approve", "r1",
                                          ButtonStyle.PRIMARY, confirm="Sure?"),)),
        thread_id="m1", replaces="m2", ephemeral=True, what="update a review card")

    assert ChatMessage.from_message(json.loads(json.dumps(message.to_message()))) == message


def test_a_direct_message_spends_the_persons_budget_not_a_channels() -> None:
    assert ChatDestination("slack", "T1", user_id="U1").pace_key() == "slack:T1:user-U1"
    assert ChatDestination("slack", "T1", "C1").pace_key() == "slack:T1:C1"
