"""The hub's jinja2 templates: the repository's ``templates/``, or ``./templates`` where the
container image copies it. Autoescaped: every value a page shows is text, never markup."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

#: The pages' stylesheet, next to the templates (served by :mod:`hub.routes.assets`).
STYLESHEET = "pages.css"

_TEMPLATES = Environment(
    loader=FileSystemLoader([str(Path(__file__).resolve().parents[1] / "templates"),
                             "templates"]),
    autoescape=True)


def render(template: str, **values: Any) -> str:
    return _TEMPLATES.get_template(template).render(**values)


@cache
def static_text(name: str) -> str:
    """A file of the templates folder as it is (read once)."""
    source, _, _ = _TEMPLATES.loader.get_source(_TEMPLATES, name)  # type: ignore[union-attr]
    return source
