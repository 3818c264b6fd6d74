"""What an email says, as plain data the one layout renders (templates/email/): the wording
comes from :mod:`postflow.mailing.wording`, the layout from the renderer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmailAction:
    """The one button of a mail (a link), shown as a URL in the text part."""

    label: str
    url: str


@dataclass(frozen=True)
class EmailContent:
    subject: str
    #: The first line: what happened, in one sentence.
    headline: str
    paragraphs: tuple[str, ...] = ()
    #: Labelled facts (``Account``: ``sandbox-1``), shown as a list.
    facts: tuple[tuple[str, str], ...] = ()
    action: EmailAction | None = None
    #: Why the person gets this mail (the footer).
    reason: str = ""
    #: The one-click unsubscribe link, when the mail can be turned off.
    unsubscribe_url: str = ""
    unsubscribe_label: str = ""


@dataclass(frozen=True)
class RenderedBody:
    text: str
    html: str
