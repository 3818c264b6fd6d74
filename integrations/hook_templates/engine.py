"""The core's :class:`~postflow.hook_templates.HookTemplateEngine` on the jinja2 sandbox.

Templates are compiled once per source (kept in a small LRU) and rendered in a worker thread
under a budget (sandbox.py): steps, output and ``max_seconds``; if the thread is caught in one
long C-level call, the render is answered as too long after ``backstop_seconds`` all the same.
Every failure is a TemplateProblem with the template's line when it is known.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context

from integrations.hook_templates.sandbox import Budget, HookTemplateSandbox, set_budget
from postflow.hook_templates import JsonValue, TemplateProblem

#: A render's time budget: a template over a webhook payload renders in well under 1 ms.
RENDER_SECONDS = 0.05
BACKSTOP_SECONDS = 1.0
CACHED_TEMPLATES = 128
MAX_MESSAGE = 300
REFUSED_NODES = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)

BlockFunc = Callable[[Context], Iterator[str]]


class SandboxedHookTemplates:
    def __init__(self, *, max_seconds: float = RENDER_SECONDS,
                 backstop_seconds: float = BACKSTOP_SECONDS) -> None:
        self._env = HookTemplateSandbox()
        self._max_seconds = max_seconds
        self._backstop = backstop_seconds
        self._compiled: OrderedDict[str, Template] = OrderedDict()

    def block_names(self, source: str) -> list[str]:
        return list(self._compile(source).blocks)

    async def render(self, source: str, payload: JsonValue) -> dict[str, str]:
        template = self._compile(source)
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self.render_now, template, payload), self._backstop)
        except TimeoutError:
            raise TemplateProblem("the template ran too long") from None

    def render_now(self, template: Template, payload: JsonValue) -> dict[str, str]:
        """Render on the calling thread, under a fresh budget."""
        budget = Budget(deadline=time.monotonic() + self._max_seconds)
        set_budget(budget)
        try:
            context = template.new_context({"payload": payload})
            captured: dict[str, str] = {}
            for name, funcs in context.blocks.items():
                funcs[0] = _capturing(name, funcs[0], captured)
            for chunk in template.root_render_func(context):
                budget.emit(chunk)
            return captured
        except TemplateProblem:
            raise
        except Exception as err:  # the sender's template failed: say where and why
            raise TemplateProblem(_describe(err),
                                  _template_line(template, err.__traceback__)) from None
        finally:
            set_budget(None)

    def _compile(self, source: str) -> Template:
        template = self._compiled.get(source)
        if template is not None:
            self._compiled.move_to_end(source)
            return template
        try:
            tree = self._env.parse(source)
            for node in tree.find_all(REFUSED_NODES):
                raise TemplateProblem("`include`, `extends` and `import` are not available: a "
                                      "hook template cannot read other files", node.lineno)
            template = self._env.from_string(tree)
        except TemplateSyntaxError as err:
            raise TemplateProblem(err.message or "syntax error", err.lineno) from None
        except SecurityError as err:
            raise TemplateProblem(str(err)[:MAX_MESSAGE]) from None
        self._compiled[source] = template
        while len(self._compiled) > CACHED_TEMPLATES:
            self._compiled.popitem(last=False)
        return template


def _capturing(name: str, block: BlockFunc, captured: dict[str, str]) -> BlockFunc:
    """``block``, also keeping what it rendered under ``name``."""
    def render(context: Context) -> Iterator[str]:
        parts: list[str] = []
        for chunk in block(context):
            parts.append(chunk)
            yield chunk
        captured[name] = "".join(parts)

    return render


def _describe(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "the template calls itself too deeply"
    if isinstance(err, SecurityError | UndefinedError):
        return str(err)[:MAX_MESSAGE]
    return f"{type(err).__name__}: {err}"[:MAX_MESSAGE]


def _template_line(template: Template, tb: TracebackType | None) -> int | None:
    """The template line of the innermost frame of compiled template code in ``tb``."""
    line: int | None = None
    while tb is not None:
        globals_: dict[str, Any] = tb.tb_frame.f_globals
        if globals_.get("__jinja_template__") is not None or \
                tb.tb_frame.f_code.co_filename == "<template>":
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line
