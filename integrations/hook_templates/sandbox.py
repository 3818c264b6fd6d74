"""The jinja2 sandbox hook templates run in.

On top of jinja2's ImmutableSandboxedEnvironment (no attribute starting with ``_``, no
mutation of lists and dicts, no unsafe callables):

- No loader: ``include``, ``extends`` and ``import`` are refused when the template compiles.
- Attributes starting with ``_`` raise at once (not a silent empty value); strings, lists and
  dicts expose a short list of harmless methods only; a dict's keys come before its methods
  (``payload.items`` is the payload's ``items``).
- A budget per render: every loop step and every call counts (``MAX_STEPS``), the whole
  render has ``max_seconds``, and the output ``MAX_OUTPUT_CHARS``. Loops are counted by the
  code generator itself, so a loop that prints nothing is counted too.
- Values cannot grow past ``MAX_VALUE_CHARS``: ``~``, ``+``, ``*``, ``join`` and ``replace``
  check the size of what they would build before building it; ``%`` formatting of strings and
  ``**`` with large exponents are refused; filters that pad to a width (``center``,
  ``indent``, ``wordwrap``, ``format``) and ``lipsum`` are not available.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: Loop steps and calls a render may take.
MAX_STEPS = 10_000
MAX_OUTPUT_CHARS = 64 * 1024
MAX_VALUE_CHARS = 64 * 1024
MAX_EXPONENT = 64
#: Filters that cannot make a value much larger than their input (join and replace are
#: replaced by size-checked ones).
ALLOWED_FILTERS = frozenset({
    "abs", "attr", "capitalize", "count", "d", "default", "dictsort", "e", "escape",
    "filesizeformat", "first", "float", "groupby", "int", "items", "last", "length", "list",
    "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round", "select",
    "selectattr", "sort", "string", "striptags", "sum", "title", "tojson", "trim", "truncate",
    "unique", "upper", "urlencode", "wordcount", "batch", "slice", "safe",
})
STR_METHODS = frozenset({
    "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
    "startswith", "endswith", "split", "rsplit", "splitlines", "find", "rfind", "count",
    "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "removeprefix",
    "removesuffix", "partition", "rpartition", "replace", "join",
})
DICT_METHODS = frozenset({"keys", "values", "items", "get"})
LIST_METHODS = frozenset({"index", "count"})


class RenderBudgetExceeded(SecurityError):
    """The render took too many steps, too long, or made too much."""


@dataclass
class Budget:
    deadline: float
    steps: int = 0
    output: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise RenderBudgetExceeded(f"the template took more than {MAX_STEPS} loop steps "
                                       "and calls")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderBudgetExceeded("the template ran too long")

    def emit(self, chunk: str) -> None:
        self.output += len(chunk)
        if self.output > MAX_OUTPUT_CHARS:
            raise RenderBudgetExceeded(f"the template made more than {MAX_OUTPUT_CHARS} "
                                       "characters")
        self.check_time()


_current = threading.local()


def current_budget() -> Budget:
    budget: Budget | None = getattr(_current, "budget", None)
    if budget is None:
        raise RuntimeError("a hook template ran outside of a render budget")
    return budget


def set_budget(budget: Budget | None) -> None:
    _current.budget = budget


def _value_size(value: object) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 0


def _too_big(size: int) -> SecurityError:
    return RenderBudgetExceeded(f"a value would be {size} characters long; the most is "
                                f"{MAX_VALUE_CHARS}")


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every step of a loop counts against the budget (taken now: outside a render, such as
    when the compiler tries to fold a constant, this raises and nothing is folded)."""
    budget = current_budget()

    def steps() -> Iterator[Any]:
        for item in iterable:
            budget.step()
            yield item

    return steps()


def checked_concat(parts: Iterable[Any]) -> str:
    """``a ~ b``: refused when the result would be too long."""
    texts = [str(part) for part in parts]
    size = sum(len(text) for text in texts)
    if size > MAX_VALUE_CHARS:
        raise _too_big(size)
    return "".join(texts)


def checked_join(value: Iterable[Any], d: str = "", attribute: str | None = None) -> str:
    items = [str(item) for item in counted(value)]
    size = sum(len(item) for item in items) + len(d) * max(0, len(items) - 1)
    if size > MAX_VALUE_CHARS:
        raise _too_big(size)
    return d.join(items)


def checked_replace(value: object, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    size = len(text) + hits * (len(new) - len(old))
    if size > MAX_VALUE_CHARS:
        raise _too_big(size)
    return text.replace(old, new, -1 if count is None else count)


class CountingCodeGenerator(CodeGenerator):
    """Compiles every ``~`` through :func:`checked_concat` (loops are counted in the parsed
    tree: :meth:`HookTemplateSandbox._parse`)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.pf_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _checked_binop(symbol: str, apply: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def checked(left: Any, right: Any) -> Any:
        if symbol == "%" and isinstance(left, str):
            raise SecurityError("`%` formatting of strings is not available in hook "
                                "templates; use `~` to join values")
        if symbol == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise RenderBudgetExceeded(f"an exponent above {MAX_EXPONENT}")
        if symbol == "*":
            sized, times = (left, right) if _value_size(left) else (right, left)
            if isinstance(times, int) and _value_size(sized) * max(times, 0) > MAX_VALUE_CHARS:
                raise _too_big(_value_size(sized) * times)
        if symbol == "+" and _value_size(left) + _value_size(right) > MAX_VALUE_CHARS:
            raise _too_big(_value_size(left) + _value_size(right))
        return apply(left, right)

    return checked


class HookTemplateSandbox(ImmutableSandboxedEnvironment):
    """The environment every hook template compiles in (see the module docstring)."""

    code_generator_class = CountingCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self) -> None:
        super().__init__(loader=None, autoescape=False, keep_trailing_newline=False,
                         auto_reload=False, cache_size=0)
        self.filters = {name: f for name, f in self.filters.items() if name in ALLOWED_FILTERS}
        self.filters["join"] = checked_join
        self.filters["replace"] = checked_replace
        self.filters["pf_counted"] = counted
        self.globals.pop("lipsum", None)
        # ``range`` stays jinja2's (at most 100,000 items): loops and joins over it count.
        self.binop_table = {**self.binop_table}
        for symbol in self.intercepted_binops:
            self.binop_table[symbol] = _checked_binop(symbol, self.binop_table[symbol])

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The parsed template, every ``for`` loop's sequence passed through :func:`counted`
        (done on the tree, before the code generator lists the filters it uses)."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            counted_iter = nodes.Filter(loop.iter, "pf_counted", [], [], None, None,
                                        lineno=loop.iter.lineno)
            counted_iter.set_environment(self)
            loop.iter = counted_iter
        return tree

    def pf_concat(self, parts: Iterable[Any]) -> str:
        return checked_concat(parts)

    def call(__self, __context: Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        current_budget().step()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute.startswith("_"):
            raise SecurityError(f"attributes starting with `_` are not available "
                                f"({attribute!r})")
        if isinstance(obj, dict):
            if attribute in obj:
                return obj[attribute]
            if attribute in DICT_METHODS:
                return getattr(obj, attribute)
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, str):
            return self._str_method(obj, attribute)
        if isinstance(obj, list | tuple):
            if attribute in LIST_METHODS:
                return getattr(obj, attribute)
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, int | float | bool):
            return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, dict | list | tuple):
            try:
                return obj[argument]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=argument)
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        return super().getitem(obj, argument)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__} is not "
                            "available in hook templates")

    def _str_method(self, text: str, name: str) -> Any:
        if name not in STR_METHODS:
            return self.unsafe_undefined(text, name)
        if name == "replace":
            return lambda old, new, count=-1: checked_replace(text, old, new, count)
        if name == "join":
            return lambda items: checked_join(items, text)
        return getattr(text, name)
