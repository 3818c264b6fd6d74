"""The hook template sandbox: what templates may do, and every way out it refuses."""

from __future__ import annotations

import pytest

from integrations.hook_templates.engine import SandboxedHookTemplates
from postflow.hook_templates import JsonValue, TemplateProblem

PAYLOAD: JsonValue = {"action": "published", "items": ["a", "b"],
                      "release": {"name": "v1.2", "_links": {"self": "x"}, "draft": False}}


@pytest.fixture
def engine() -> SandboxedHookTemplates:
    return SandboxedHookTemplates()


async def text_of(engine: SandboxedHookTemplates, body: str) -> str:
    return (await engine.render("{% block text %}" + body + "{% endblock %}", PAYLOAD))["text"]


async def refusal(engine: SandboxedHookTemplates, body: str) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as refused:
        await engine.render("{% block text %}" + body + "{% endblock %}", PAYLOAD)
    return refused.value


# -- what a template may do ---------------------------------------------------------------

async def test_blocks_render_the_payload(engine: SandboxedHookTemplates) -> None:
    blocks = await engine.render(
        "{% set name = payload.release.name %}"
        "{% block text %}{{ name | upper }} {{ payload['items'] | join(', ') }}"
        "{% for i in payload['items'] %} #{{ loop.index }}{{ i }}{% endfor %}{% endblock %}"
        "{% block networks %}x linkedin{% endblock %}", PAYLOAD)

    assert blocks == {"text": "V1.2 a, b #1a #2b", "networks": "x linkedin"}


async def test_a_payload_key_comes_before_a_dict_method(engine: SandboxedHookTemplates) -> None:
    assert await text_of(engine, "{{ payload.items | length }}") == "2"


async def test_a_missing_key_renders_empty(engine: SandboxedHookTemplates) -> None:
    assert await text_of(engine, "[{{ payload.nothing }}]") == "[]"


# -- escapes refused -----------------------------------------------------------------------

@pytest.mark.parametrize("escape", [
    "{{ ''.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ payload.__class__ }}", "{{ cycler.__init__.__globals__ }}", "{{ self.__dict__ }}",
    "{{ payload | attr('__class__') }}", "{{ ''['__class__'] }}",
    "{{ payload.release._links }}", "{{ (1).__class__ }}"])
async def test_attributes_starting_with_an_underscore_are_refused(
        engine: SandboxedHookTemplates, escape: str) -> None:
    problem = await refusal(engine, escape)

    assert "`_`" in problem.problem and problem.line == 1


@pytest.mark.parametrize("reach", ["{% include '/etc/passwd' %}", "{% import 'x' as y %}",
                                   "{% from 'x' import y %}"])
async def test_files_cannot_be_reached(engine: SandboxedHookTemplates, reach: str) -> None:
    assert "cannot read other files" in (await refusal(engine, reach)).problem


async def test_extends_is_refused(engine: SandboxedHookTemplates) -> None:
    with pytest.raises(TemplateProblem, match="cannot read other files"):
        engine.block_names("{% extends 'base.html' %}{% block text %}x{% endblock %}")


async def test_a_loop_that_runs_too_long_is_stopped(engine: SandboxedHookTemplates) -> None:
    # Prints nothing: only the counted steps stop it.
    problem = await refusal(engine, "{% for i in range(100000) %}{% for j in range(100000) %}"
                                    "{% endfor %}{% endfor %}")

    assert "loop steps" in problem.problem


async def test_a_render_past_its_time_is_stopped() -> None:
    slow = SandboxedHookTemplates(max_seconds=0.0)

    with pytest.raises(TemplateProblem, match="ran too long"):
        await slow.render("{% block text %}{% for i in range(3) %}{{ i }}{% endfor %}"
                          "{% endblock %}", PAYLOAD)


async def test_recursion_is_stopped(engine: SandboxedHookTemplates) -> None:
    with pytest.raises(TemplateProblem):
        await engine.render("{% macro m() %}{{ m() }}{% endmacro %}"
                            "{% block text %}{{ m() }}{% endblock %}", PAYLOAD)


async def test_huge_output_is_stopped(engine: SandboxedHookTemplates) -> None:
    problem = await refusal(engine, "{% for i in range(9000) %}0123456789{% endfor %}")

    assert "characters" in problem.problem


@pytest.mark.parametrize("bomb", [
    "{{ 'x' * 10000000 }}", "{{ [1] * 10000000 }}", "{{ range(9000) | join('x' * 9000) }}",
    "{{ ('x' * 60000) ~ ('y' * 60000) }}", "{{ ('x' * 60000) + ('y' * 60000) }}",
    "{{ ('x' * 60000) | replace('x', 'yy') }}", "{{ ('x' * 60000).replace('x', 'yy') }}",
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}"])
async def test_values_cannot_grow_without_bound(engine: SandboxedHookTemplates,
                                                bomb: str) -> None:
    # Refused before the value is built, not later by the output cap.
    assert "a value would be" in (await refusal(engine, bomb)).problem


async def test_huge_exponents_are_refused(engine: SandboxedHookTemplates) -> None:
    assert "exponent" in (await refusal(engine, "{{ 9 ** 999999 }}")).problem


@pytest.mark.parametrize("padding", [
    "{{ '%*d' % (100000000, 1) }}", "{{ '{:>100000000}'.format(1) }}", "{{ 'a'.ljust(10**8) }}",
    "{{ 'a' | center(100000000) }}", "{{ 'a' | indent(100000000) }}", "{{ lipsum(100000) }}"])
async def test_padding_and_formatting_to_a_width_are_unavailable(
        engine: SandboxedHookTemplates, padding: str) -> None:
    # Refused (refusal() fails the test when it renders), saying why.
    assert (await refusal(engine, padding)).problem


async def test_a_syntax_error_names_its_line(engine: SandboxedHookTemplates) -> None:
    with pytest.raises(TemplateProblem) as refused:
        engine.block_names("{% block text %}\nfine\n{{ broken( }}{% endblock %}")

    assert refused.value.line == 3
