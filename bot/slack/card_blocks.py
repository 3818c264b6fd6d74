"""Slack's rendering of the neutral :class:`~postflow.chat.messages.ChatCard`: Block Kit.

A title is a bold section, each paragraph a section, the fields one section of ``*label:*
value`` lines, the context one context block (its last ten lines) and the buttons one actions
block named by the card's key (a notice's parts keep the block ids its buttons' answers use).
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import SECTION_MAX, button_element
from postflow.chat.messages import ChatCard

Block = dict[str, Any]

#: The key of a notice card (``bot/slack/outcome_notices.py``) and its Slack block ids.
NOTICE_KEY = "notice"
NOTICE_TEXT_BLOCK = "notice-text"
NOTICE_ACTIONS_BLOCK = "notice-actions"
CONTEXT_LINES_MAX = 10


def card_blocks(card: ChatCard) -> list[Block]:
    """``card`` as Block Kit blocks."""
    notice = card.key == NOTICE_KEY
    blocks: list[Block] = []
    if card.title:
        blocks.append(_section(f"*{card.title}*"))
    for index, paragraph in enumerate(card.paragraphs):
        block_id = NOTICE_TEXT_BLOCK if notice and index == 0 else ""
        blocks.append(_section(paragraph, block_id))
    if card.fields:
        blocks.append(_section("\n".join(f"*{label}:* {value}" for label, value in card.fields)))
    if card.context:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": line[:SECTION_MAX]}
            for line in card.context[-CONTEXT_LINES_MAX:]]})
    if card.buttons:
        blocks.append({"type": "actions",
                       "block_id": NOTICE_ACTIONS_BLOCK if notice else card.key,
                       "elements": [button_element(b) for b in card.buttons]})
    return blocks


def _section(text: str, block_id: str = "") -> Block:
    if len(text) > SECTION_MAX:
        text = text[:SECTION_MAX - 1] + "…"
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text or " "}}
    if block_id:
        block["block_id"] = block_id
    return block
