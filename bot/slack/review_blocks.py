"""The review card (Block Kit) and the "request changes" modal."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import escape
from postflow.chat_actors import read_chat_actor
from postflow.chatops.formatting import excerpt, local_time
from postflow.connections import Connection
from postflow.posts import Post
from postflow.reviews import ReviewDecision, ReviewRequest, ReviewState, ReviewWhen, Verdict

#: Review buttons carry ``postflow-review:<verdict>`` (outside the ``postflow:`` pattern of the
#: chat-ops buttons) and the review id as their value.
REVIEW_PREFIX = "postflow-review:"
CHANGES_VIEW = "postflow-review:changes"
COMMENT_BLOCK = "comment"
COMMENT_ACTION = "comment_text"
TEXT_SHOWN = 600

Block = dict[str, Any]

STATE_WORDS: dict[ReviewState, str] = {
    ReviewState.OPEN: ":eyes: Waiting for review",
    ReviewState.APPROVED: ":white_check_mark: Approved",
    ReviewState.CHANGES_REQUESTED: ":pencil2: Changes requested",
    ReviewState.REJECTED: ":no_entry: Rejected",
    ReviewState.EXPIRED: ":hourglass: Expired: nobody decided in time",
}
VERDICT_WORDS: dict[Verdict, str] = {
    Verdict.APPROVE: "approved",
    Verdict.REQUEST_CHANGES: "requested changes",
    Verdict.REJECT: "rejected",
}


def person(actor: str) -> str:
    """``slack:T1:U1`` -> ``<@U1>``; other actors (hooks, the CLI) as they are, escaped."""
    who = read_chat_actor(actor)
    return f"<@{who.user_id}>" if who is not None and who.platform == "slack" else escape(actor)


def when_text(review: ReviewRequest, post: Post, timezone: str) -> str:
    content = review.content
    if content.when is ReviewWhen.QUEUE:
        slot = f" (now {local_time(post.scheduled_at, timezone)})" if post.scheduled_at else ""
        return f"next queue slot{slot}"
    if content.when is ReviewWhen.NOW:
        return "as soon as it is approved"
    return local_time(content.at, timezone)


def review_card(post: Post, review: ReviewRequest, connections: dict[str, Connection],
                timezone: str) -> tuple[str, list[Block]]:
    """(fallback text, blocks): the post per network, media, time, targets, author, the
    review's state and decisions, and the buttons while it is open."""
    state = STATE_WORDS[review.state]
    headline = f"{state} · {review.progress()} · post `{post.id}`"
    if review.round > 1:
        headline += f" · round {review.round}"
    blocks: list[Block] = [_section(f"*{headline}*")]
    networks = sorted({t.network for t in post.targets})
    for network in networks:
        text = post.text_for(network)
        blocks.append(_section(f"*{escape(network)}* ({len(text)} characters)\n"
                               f"{escape(excerpt(text, TEXT_SHOWN))}"))
    targets = ", ".join(escape(f"{connections[t.connection_id].display_name} ({t.network})")
                        if t.connection_id in connections else escape(t.connection_id)
                        for t in post.targets)
    lines = [f"*When:* {escape(when_text(review, post, timezone))}",
             f"*Targets:* {targets}",
             f"*Author:* {person(post.created_by or review.requested_by)}"]
    if post.media:
        lines.append("*Media:* " + ", ".join(escape(m.url) for m in post.media))
    if review.expires_at is not None and review.is_open:
        lines.append(f"*Expires:* {local_time(review.expires_at, timezone)}")
    blocks.append(_section("\n".join(lines)))
    decided = [d for d in review.decisions if d.round == review.round]
    if decided:
        blocks.append(_context([decision_line(d, timezone) for d in decided]))
    if review.is_open:
        blocks.append({"type": "actions", "block_id": f"review:{review.id}", "elements": [
            _button("Approve", Verdict.APPROVE, review.id, "primary"),
            _button("Request changes", Verdict.REQUEST_CHANGES, review.id),
            _button("Reject", Verdict.REJECT, review.id, "danger",
                    confirm="Reject this post? It will be canceled and not published."),
        ]})
    return f"{state}: post {post.id} ({review.progress()})", blocks


def decision_line(decision: ReviewDecision, timezone: str) -> str:
    line = (f"{person(decision.actor)} {VERDICT_WORDS[decision.verdict]} "
            f"({local_time(decision.at, timezone)})")
    if decision.comment:
        line += f": {escape(excerpt(decision.comment, 200))}"
    return line


def changes_modal(review_id: str) -> dict[str, Any]:
    """The modal asking what should change; submitted to ``CHANGES_VIEW``."""
    return {
        "type": "modal", "callback_id": CHANGES_VIEW, "private_metadata": review_id,
        "title": {"type": "plain_text", "text": "Request changes"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [{"type": "input", "block_id": COMMENT_BLOCK,
                    "label": {"type": "plain_text", "text": "What should change?"},
                    "element": {"type": "plain_text_input", "action_id": COMMENT_ACTION,
                                "multiline": True, "max_length": 2000}}]}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(lines: list[str]) -> Block:
    return {"type": "context",
            "elements": [{"type": "mrkdwn", "text": line[:3000]} for line in lines[-10:]]}


def _button(label: str, verdict: Verdict, review_id: str, style: str = "",
            confirm: str = "") -> Block:
    element: Block = {"type": "button", "action_id": f"{REVIEW_PREFIX}{verdict.value}",
                      "text": {"type": "plain_text", "text": label}, "value": review_id}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = {
            "title": {"type": "plain_text", "text": "Are you sure?"},
            "text": {"type": "plain_text", "text": confirm},
            "confirm": {"type": "plain_text", "text": "Reject"},
            "deny": {"type": "plain_text", "text": "Keep it"}}
    return element
