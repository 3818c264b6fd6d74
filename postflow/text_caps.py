"""Hard caps on a post's text, checked before any provider counts or parses it.

Counting is the network's own business (X weighs links, emoji and CJK; LinkedIn counts UTF-16
units) and costs time in the length of the text. Each provider declares a cap in code points
(``Provider.max_text_code_points``: well above the network's limit, never above
:data:`~postflow.providers.MAX_TEXT_CAP`); a text over it is refused here, in constant time
(``len`` of a ``str`` is its code points), so no provider ever sees an unbounded text. Every
entry point (hooks, the CLI, chat, edits, recurring series) validates through this module.
"""

from __future__ import annotations

from postflow.providers import (
    MAX_TEXT_CAP,
    Provider,
    PublishContent,
    ValidationProblem,
    ValidationReport,
)

OVER_CAP = "over_cap"


def text_cap(provider: Provider) -> int:
    """The provider's cap, bounded by :data:`MAX_TEXT_CAP` (a plugin without one gets it)."""
    cap = getattr(provider, "max_text_code_points", MAX_TEXT_CAP)
    if not isinstance(cap, int) or cap <= 0:
        return MAX_TEXT_CAP
    return min(cap, MAX_TEXT_CAP)


def over_cap(provider: Provider, content: PublishContent) -> ValidationProblem | None:
    """The problem of the first text (the post, then its thread parts) over the cap; None if
    every text is within it."""
    cap = text_cap(provider)
    for index, text in enumerate((content.text, *content.thread)):
        if len(text) > cap:
            where = "" if index == 0 else f" (thread part {index + 1})"
            name = provider.display_name
            return ValidationProblem(
                OVER_CAP, f"The text for {name}{where} has {len(text):,} characters: PostFlow "
                f"refuses more than {cap:,} for {name} before counting them (far above what "
                f"{name} takes).")
    return None


def validate_within_cap(provider: Provider, content: PublishContent) -> ValidationReport:
    """``provider.validate(content)``, or, for a text over the cap, a report with that one
    problem (and the provider is not called)."""
    problem = over_cap(provider, content)
    if problem is None:
        return provider.validate(content)
    return ValidationReport(network=provider.network, length=len(content.text),
                            limit=text_cap(provider), problems=(problem,))
