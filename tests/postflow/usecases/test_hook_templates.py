"""Templated hooks in the core: which blocks a template may have, and the post its blocks
spell."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from integrations.hook_templates.engine import SandboxedHookTemplates
from postflow.errors import BadInput
from postflow.usecases.hook_templates import check_template, post_from_blocks


def test_blocks_spell_a_post_request() -> None:
    rendered = post_from_blocks({
        "text": " Hello ", "variant_x": "Hi X", "variant_linkedin": "  ",
        "networks": "x, linkedin\nmastodon", "schedule_at": "2026-12-01T09:00:00+01:00",
        "timezone": "Europe/Paris", "queue": "false",
        "media_urls": "https://cdn.example.com/a.png\n\nhttps://cdn.example.com/b.png"})

    request = rendered.request
    assert request is not None and rendered.skipped == ""
    assert (request.text, request.variants, request.networks) == (
        "Hello", {"x": "Hi X"}, ["x", "linkedin", "mastodon"])
    assert request.schedule_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert request.media_urls == ["https://cdn.example.com/a.png",
                                  "https://cdn.example.com/b.png"]


def test_a_skip_block_with_text_posts_nothing() -> None:
    rendered = post_from_blocks({"text": "Hello", "skip": " a draft "})

    assert rendered.request is None and rendered.skipped == "a draft"


@pytest.mark.parametrize(("blocks", "block"), [
    ({"text": "Hi", "schedule_at": "tomorrow"}, "schedule_at"),
    ({"text": "Hi", "queue": "maybe"}, "queue")])
def test_a_block_that_is_not_a_value_says_which(blocks: dict[str, str], block: str) -> None:
    with pytest.raises(BadInput, match=block):
        post_from_blocks(blocks)


def test_unknown_blocks_are_refused() -> None:
    with pytest.raises(BadInput, match="Unknown template block tags"):
        check_template(SandboxedHookTemplates(), "{% block text %}x{% endblock %}"
                                                 "{% block tags %}y{% endblock %}")


def test_a_template_needs_text() -> None:
    with pytest.raises(BadInput, match="needs a `text` block"):
        check_template(SandboxedHookTemplates(), "{% block networks %}x{% endblock %}")
