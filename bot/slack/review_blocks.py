"""The review card (a neutral card, rendered as Block Kit by :mod:`bot.slack.card_blocks`)
and the "request changes" modal."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import escape
from postflow.chat.messages import ButtonStyle, ChatButton, ChatCard
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
                timezone: str) -> tuple[str, ChatCard]:
    """(fallback text, card): the post per network, media, time, targets, author, the
    review's state and decisions, and the buttons while it is open."""
    state = STATE_WORDS[review.state]
    headline = f"{state} · {review.progress()} · post `{post.id}`"
    if review.round > 1:
        headline += f" · round {review.round}"
    paragraphs = []
    for network in sorted({t.network for t in post.targets}):
        text = post.text_for(network)
        paragraphs.append(f"*{escape(network)}* ({len(text)} characters)\n"
                          f"{escape(excerpt(text, TEXT_SHOWN))}")
    targets = ", ".join(escape(f"{connections[t.connection_id].display_name} ({t.network})")
                        if t.connection_id in connections else escape(t.connection_id)
                        for t in post.targets)
    fields = [("When", escape(when_text(review, post, timezone))), ("Targets", targets),
              ("Author", person(post.created_by or review.requested_by))]
    if post.media:
        fields.append(("Media", ", ".join(escape(m.url) for m in post.media)))
    if review.expires_at is not None and review.is_open:
        fields.append(("Expires", local_time(review.expires_at, timezone)))
    decided = [d for d in review.decisions if d.round == review.round]
    buttons: tuple[ChatButton, ...] = ()
    if review.is_open:
        buttons = (
            _button("Approve", Verdict.APPROVE, review.id, ButtonStyle.PRIMARY),
            _button("Request changes", Verdict.REQUEST_CHANGES, review.id),
            ChatButton(action_id=f"{REVIEW_PREFIX}{Verdict.REJECT.value}", label="Reject",
                       value=review.id, style=ButtonStyle.DANGER,
                       confirm="Reject this post? It will be canceled and not published.",
                       confirm_yes="Reject", confirm_no="Keep it"),
        )
    card = ChatCard(key=f"review:{review.id}", title=headline, paragraphs=tuple(paragraphs),
                    fields=tuple(fields),
                    context=tuple(decision_line(d, timezone) for d in decided),
                    buttons=buttons)
    return f"{state}: post {post.id} ({review.progress()})", card


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


def _button(label: str, verdict: Verdict, review_id: str,
            style: ButtonStyle = ButtonStyle.DEFAULT) -> ChatButton:
    return ChatButton(action_id=f"{REVIEW_PREFIX}{verdict.value}", label=label,
                      value=review_id, style=style)
