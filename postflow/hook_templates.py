"""Hook templates: a hook may turn any JSON payload into its post through a template, so a
CMS's "article published" or a GitHub release posts without glue code (docs/webhooks.md).

A template is a set of named blocks, each rendered to text: ``text``, ``variant_<network>``,
``networks``, ``targets``, ``schedule_at``, ``timezone``, ``queue``, ``media_urls`` and
``skip``. The core knows the blocks and what they mean; the engine that renders them (a
sandboxed jinja2) is an adapter behind :class:`HookTemplateEngine`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from postflow.errors import BadInput

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]

#: The blocks a template may define, besides ``variant_<network>``.
FIELD_BLOCKS = ("text", "networks", "targets", "schedule_at", "timezone", "queue",
                "media_urls", "skip")
VARIANT_PREFIX = "variant_"
#: The longest template source accepted.
MAX_TEMPLATE_BYTES = 20_000


class SignatureScheme(StrEnum):
    """How a hook's requests are signed."""

    #: ``PostFlow-Signature: t=<unix seconds>,v1=<hex HMAC of "t." + body>``.
    POSTFLOW = "postflow"
    #: GitHub's own webhooks: ``X-Hub-Signature-256: sha256=<hex HMAC of the body>``.
    GITHUB = "github"


class TemplateProblem(BadInput):
    """A template that does not compile, or failed while rendering a payload: ``line`` (in the
    template, when known) and ``problem`` say where and what."""

    code = "template_error"

    def __init__(self, problem: str, line: int | None = None) -> None:
        where = f"line {line}: " if line is not None else ""
        super().__init__(f"The hook's template failed at {where}{problem}",
                         details={"line": line, "message": problem})
        self.line = line
        self.problem = problem


class HookTemplateEngine(Protocol):
    """Compiles and renders templates in a sandbox: no files, no attribute starting with
    ``_``, bounded output and time."""

    def block_names(self, source: str) -> list[str]:
        """The blocks ``source`` defines; TemplateProblem if it does not compile or reaches
        for what the sandbox refuses (includes, imports)."""
        ...

    async def render(self, source: str, payload: JsonValue) -> dict[str, str]:
        """Each block's text, ``payload`` as the template's ``payload`` variable;
        TemplateProblem for an error, a refused operation or a budget passed."""
        ...
