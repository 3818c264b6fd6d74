"""The one email layout (templates/email/layout.html and layout.txt) over jinja2: the HTML part
autoescaped (every value is text, never markup), the text part plain; both say everything."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from postflow.email.content import EmailContent, RenderedBody

_FOLDERS = [str(Path(__file__).resolve().parents[2] / "templates" / "email"), "templates/email"]


class TemplateRenderer:
    def __init__(self) -> None:
        self._env = Environment(loader=FileSystemLoader(_FOLDERS),
                                autoescape=select_autoescape(["html"]),
                                undefined=StrictUndefined, keep_trailing_newline=True)

    def render(self, content: EmailContent) -> RenderedBody:
        values = {"mail": content}
        return RenderedBody(text=self._env.get_template("layout.txt").render(values),
                            html=self._env.get_template("layout.html").render(values))
