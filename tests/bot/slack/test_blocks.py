"""Rendering reply data as Block Kit."""

from __future__ import annotations

from bot.slack.blocks import BLOCKS_MAX, action_name, escape, render
from postflow.chatops.replies import Button, ButtonAction, ButtonStyle, Item, Reply


def test_control_characters_are_escaped_but_mentions_kept() -> None:
    assert escape("a < b & <@U1> in <#C2> > <!channel>") \
        == "a &lt; b &amp; <@U1> in <#C2> &gt; &lt;!channel&gt;"


def test_an_item_is_a_section_followed_by_its_buttons() -> None:
    reply = Reply(text="One post.", items=(Item(
        title="`post_1` · Scheduled", lines=("hello",),
        buttons=(Button(ButtonAction.CANCEL, "Cancel", "post_1", ButtonStyle.DANGER,
                        confirm="Cancel post_1?"),)),))

    message = render(reply)

    assert message["response_type"] == "ephemeral"
    section, actions = message["blocks"][1:]
    assert section["text"]["text"] == "*`post_1` · Scheduled*\nhello"
    [button] = actions["elements"]
    assert button["action_id"] == "postflow:cancel:0" and button["value"] == "post_1"
    assert button["style"] == "danger"
    assert button["confirm"]["text"]["text"] == "Cancel post_1?"


def test_buttons_in_one_block_get_distinct_action_ids() -> None:
    pager = (Button(ButtonAction.LIST_PAGE, "Previous", "upcoming:1"),
             Button(ButtonAction.LIST_PAGE, "Next", "upcoming:3"))

    [_, actions] = render(Reply(text="x", buttons=pager))["blocks"]

    ids = [e["action_id"] for e in actions["elements"]]
    assert ids == ["postflow:list_page:0", "postflow:list_page:1"]
    assert {action_name(i) for i in ids} == {"list_page"}
    assert all("style" not in e for e in actions["elements"])


def test_errors_are_marked_and_public_replies_go_in_channel() -> None:
    assert render(Reply(text="No.", error=True))["text"] == ":warning: No."
    assert render(Reply(text="Hi", public=True))["response_type"] == "in_channel"


def test_a_long_reply_stays_within_slacks_limits() -> None:
    items = tuple(Item(title=str(n), lines=("x" * 4000,)) for n in range(80))

    blocks = render(Reply(text="many", items=items))["blocks"]

    assert len(blocks) == BLOCKS_MAX
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
