"""Why a target of a post did not go out, in plain words: one wording for chat notices and
mail (:mod:`postflow.chatops.post_outcomes`, :mod:`postflow.mailing.wording`).

A failure is told by its kind (the closed :class:`~postflow.providers.ErrorKind` set), never by
what the platform answered; only a refusal of the content adds the provider's own sentence,
which is written for people (providers keep platform JSON to themselves), and even that is
dropped if it looks like data.
"""

from __future__ import annotations

from postflow.posts import PostTarget, TargetStatus
from postflow.providers import ErrorKind

#: Why a target failed, by its error kind.
CAUSES: dict[str, str] = {
    ErrorKind.BAD_INPUT.value: "the network refused the content",
    ErrorKind.RECONNECT.value: "PostFlow's access to the account was revoked or expired: an "
                               "Admin reconnects it",
    ErrorKind.RETRY_AFTER.value: "the network kept asking PostFlow to slow down or was "
                                 "unavailable, and PostFlow gave up after several tries",
    ErrorKind.REFRESH_TOKEN.value: "the account's sign-in could not be renewed",
    ErrorKind.UNKNOWN.value: "the network did not answer clearly",
}
UNCONFIRMED = ("the network could not confirm whether it went out: look at the account, "
               "then publish it again only if it is not there")
REASON_LENGTH = 160


def target_cause(target: PostTarget) -> str:
    """Why a target did not go out, in plain words."""
    if target.status is TargetStatus.UNCONFIRMED:
        return UNCONFIRMED
    cause = CAUSES.get(target.error_kind or "", "it could not be published")
    reason = target.error_message or ""
    if target.error_kind == ErrorKind.BAD_INPUT.value and reason and not _looks_like_data(reason):
        cause += f": {one_line(reason, REASON_LENGTH)}"
    return cause


def one_line(text: str, length: int) -> str:
    """The text on one line, cut at ``length`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length - 1].rstrip() + "…"


def _looks_like_data(text: str) -> bool:
    return any(mark in text for mark in ("{", "[", "<html", "Traceback"))
