"""What chat says when a publish ends (published, partially published, failed) or an account
needs reconnecting: plain sentences, one voice for every chat adapter.

A failure is told by its kind (the closed :class:`~postflow.providers.ErrorKind` set), never by
what the platform answered; only a refusal of the content adds the provider's own sentence,
which is written for people (providers keep platform JSON to themselves), and even that is
dropped if it looks like data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from postflow.chat.messages import ButtonStyle
from postflow.chat_actors import read_chat_actor
from postflow.chatops.formatting import excerpt, user_mention
from postflow.connections import Connection
from postflow.errors import NotFound
from postflow.posts import Post, PostStatus, PostTarget, TargetStatus
from postflow.providers import ErrorKind
from postflow.publish_causes import target_cause
from postflow.store.records.connections import ConnectionRecords

CODE_LENGTH = 40
#: Error kinds that only a reconnect fixes.
RECONNECT_KINDS = frozenset({ErrorKind.RECONNECT.value, ErrorKind.REFRESH_TOKEN.value})


class NoticeAction(StrEnum):
    """A button on a notice; its value is the post id (the connection id for RECONNECT)."""

    RETRY = "retry"  # publish the failed targets again, now
    RETRY_UNCONFIRMED = "retry_unconfirmed"  # the post is not on the account: publish it again
    MARK_PUBLISHED = "mark_published"  # the post is on the account after all
    RECONNECT = "reconnect"
    PUBLISH_NOW = "publish_now"  # a late post
    RESCHEDULE = "reschedule"
    DROP = "drop"
    EDIT = "edit"  # change the text of a failed post, then retry the accounts it missed


@dataclass(frozen=True)
class NoticeButton:
    action: NoticeAction
    label: str
    value: str
    primary: bool = False
    danger: bool = False
    #: When set, the adapter asks this before acting.
    confirm: str = ""

    @property
    def style(self) -> ButtonStyle:
        """How a chat platform shows it."""
        return (ButtonStyle.PRIMARY if self.primary
                else ButtonStyle.DANGER if self.danger else ButtonStyle.DEFAULT)


#: How the notice says, in place, who did what (after the presser's mention).
DONE_WORDS: dict[NoticeAction, str] = {
    NoticeAction.RETRY: "retried the accounts it missed: publishing now",
    NoticeAction.RETRY_UNCONFIRMED: "found it missing from the account and retried it: "
                                    "publishing now",
    NoticeAction.MARK_PUBLISHED: "checked the account and marked it as published",
    NoticeAction.PUBLISH_NOW: "published it now",
    NoticeAction.RESCHEDULE: "rescheduled it for {when}",
    NoticeAction.DROP: "dropped it: it will not be published",
    NoticeAction.EDIT: "edited it and retried the accounts it missed: publishing now",
}
#: The notice's line when an edit sent the post back to review instead.
EDITED_FOR_REVIEW = "edited it: the new version waits for review"


def author_mention(actor: str) -> str:
    """``<@U123>`` for a Slack or Discord author; "" for a hook, the CLI or a worker."""
    author = read_chat_actor(actor)
    return "" if author is None else user_mention(author.user_id)


async def post_accounts(store: ConnectionRecords, post: Post) -> dict[str, Connection]:
    """The connections ``post`` targets that still exist, by id (a notice names them)."""
    found = {}
    for target in post.targets:
        try:
            found[target.connection_id] = await store.get_connection(post.org_id,
                                                                     target.connection_id)
        except NotFound:
            continue
    return found


def outcome_text(post: Post, accounts: Mapping[str, Connection]) -> str:
    """The notice for a post that ended Published, Partial or Failed: a headline, then one
    line per target (its link, or why it failed), then what to do next."""
    published = [t for t in post.targets if t.status is TargetStatus.PUBLISHED]
    by = author_mention(post.created_by)
    subject = f"Post `{post.id}`" + (f" by {by}" if by else "")
    quoted = f"“{excerpt(post.text, 80)}”"
    if post.status is PostStatus.PUBLISHED:
        headline = f"{subject} is live: {quoted}"
    elif post.status is PostStatus.PARTIAL:
        headline = (f"{subject} went out on {len(published)} of {len(post.targets)} "
                    f"accounts: {quoted}")
    else:
        headline = f"{subject} was not published: {quoted}"
    lines = [headline]
    for target in post.targets:
        name = _account_name(target, accounts)
        if target.status is TargetStatus.PUBLISHED:
            lines.append(f"• {name}: {target.url or 'published'}")
        else:
            lines.append(f"• {name}: not published, {target_cause(target)}.")
    if post.status is not PostStatus.PUBLISHED:
        lines.append("`/postflow list failed` shows it; an Admin can publish it now (only the "
                     "accounts it missed are tried again) or cancel it.")
    return "\n".join(lines)


def codes_text(post: Post, accounts: Mapping[str, Connection]) -> str:
    """The networks' own codes of the targets that did not go out, shown small for support
    (the plain-language cause comes first); "" when there are none."""
    codes = [f"{_account_name(t, accounts)}: {excerpt(t.error_code, CODE_LENGTH)}"
             for t in post.targets if t.status is not TargetStatus.PUBLISHED and t.error_code]
    return "Network codes, for support: " + "; ".join(codes) if codes else ""


def reconnect_text(connection: Connection) -> str:
    """The notice for an account PostFlow can no longer post to."""
    return (f"The {connection.network} account {connection.display_name} needs reconnecting: "
            "PostFlow's access to it was revoked or expired, so posts to it fail until an "
            f"Admin connects it again (`/postflow connect {connection.network}`).")


def expiry_warning_text(connection: Connection, days_left: int) -> str:
    """The warning for an account whose access ends for good in ``days_left`` days."""
    when = "within a day" if days_left <= 1 else f"in {days_left} days"
    return (f"The {connection.network} account {connection.display_name} stops working "
            f"{when}: {connection.network} does not let PostFlow renew its access. An Admin "
            f"keeps it working by connecting it again (`/postflow connect {connection.network}`).")


def late_text(post: Post) -> str:
    """The notice for a post that became Late and waits for a person."""
    by = author_mention(post.created_by)
    return (f"Post `{post.id}`" + (f" by {by}" if by else "") + " is late and waits for a "
            f"person: {post.status_reason}. “{excerpt(post.text, 80)}”")


def outcome_buttons(post: Post, accounts: Mapping[str, Connection]) -> tuple[NoticeButton, ...]:
    """What a person can do about a Partial or Failed post, from its notice."""
    if post.status not in (PostStatus.PARTIAL, PostStatus.FAILED):
        return ()
    buttons = []
    failed = [t for t in post.targets if t.status is TargetStatus.FAILED]
    if failed:
        buttons.append(NoticeButton(NoticeAction.RETRY, "Retry", post.id, primary=True))
        buttons.append(NoticeButton(NoticeAction.EDIT, "Edit", post.id))
    if any(t.status is TargetStatus.UNCONFIRMED for t in post.targets):
        buttons.append(NoticeButton(NoticeAction.MARK_PUBLISHED, "Mark as published", post.id,
                                    confirm="Is the post on the account? It will count as "
                                            "published."))
        buttons.append(NoticeButton(NoticeAction.RETRY_UNCONFIRMED, "Not there: retry", post.id,
                                    confirm="Only if the post is not on the account: it is "
                                            "published again."))
    revoked = next((t for t in failed if t.error_kind in RECONNECT_KINDS), None)
    if revoked is not None:
        buttons.append(reconnect_button(revoked.connection_id))
    return tuple(buttons)


def reconnect_button(connection_id: str) -> NoticeButton:
    return NoticeButton(NoticeAction.RECONNECT, "Reconnect account", connection_id)


def late_buttons(post: Post) -> tuple[NoticeButton, ...]:
    """Publish now, reschedule or drop a Late post."""
    return (NoticeButton(NoticeAction.PUBLISH_NOW, "Publish now", post.id, primary=True),
            NoticeButton(NoticeAction.RESCHEDULE, "Reschedule", post.id),
            NoticeButton(NoticeAction.DROP, "Drop", post.id, danger=True,
                         confirm="The post is canceled and will not be published."))


def done_text(action: NoticeAction, actor_mention: str, when: str = "") -> str:
    """``<@U1> published it now.``: the line a notice gets once someone acted on it."""
    return f"{actor_mention} {DONE_WORDS[action].format(when=when)}."


def _account_name(target: PostTarget, accounts: Mapping[str, Connection]) -> str:
    account = accounts.get(target.connection_id)
    return (f"{account.display_name} ({target.network})" if account is not None
            else f"{target.network} account")
