"""Templated hooks: checking a template against the engine, and turning a payload into the
post its template spells (or into nothing, when its ``skip`` block says so)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from postflow.errors import BadInput
from postflow.hook_templates import (
    FIELD_BLOCKS,
    MAX_TEMPLATE_BYTES,
    VARIANT_PREFIX,
    HookTemplateEngine,
    JsonValue,
)
from postflow.hooks import IncomingHook
from postflow.runtime import Runtime
from postflow.usecases.submit_post import PostRequest

_LIST_SEPARATORS = re.compile(r"[\s,]+")
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off", ""})


@dataclass(frozen=True)
class RenderedPost:
    """What a templated hook makes of a payload: a post request, or a reason to post nothing
    (the ``skip`` block rendered to some text)."""

    request: PostRequest | None
    skipped: str = ""


def check_template(engine: HookTemplateEngine, source: str) -> str:
    """``source`` if it compiles and names only known blocks, with a ``text`` or
    ``media_urls`` block; TemplateProblem or BadInput otherwise."""
    if len(source.encode("utf-8")) > MAX_TEMPLATE_BYTES:
        raise BadInput(f"A hook template is at most {MAX_TEMPLATE_BYTES} bytes.")
    names = engine.block_names(source)
    unknown = [n for n in names if n not in FIELD_BLOCKS and not (
        n.startswith(VARIANT_PREFIX) and len(n) > len(VARIANT_PREFIX))]
    if unknown:
        raise BadInput(f"Unknown template block {', '.join(unknown)}; the blocks are "
                       f"{', '.join(FIELD_BLOCKS)} and variant_<network>.",
                       details={"unknown_blocks": unknown})
    if "text" not in names and "media_urls" not in names:
        raise BadInput("A hook template needs a `text` block (or `media_urls`).")
    return source


def post_from_blocks(blocks: Mapping[str, str]) -> RenderedPost:
    """The post request the rendered blocks spell; BadInput naming the block that is wrong."""
    skip = blocks.get("skip", "").strip()
    if skip:
        return RenderedPost(request=None, skipped=skip)
    fields: dict[str, object] = {"text": blocks.get("text", "").strip()}
    variants = {name[len(VARIANT_PREFIX):]: text.strip() for name, text in blocks.items()
                if name.startswith(VARIANT_PREFIX) and text.strip()}
    if variants:
        fields["variants"] = variants
    for name in ("networks", "targets"):
        items = [i for i in _LIST_SEPARATORS.split(blocks.get(name, "")) if i]
        if items:
            fields[name] = items
    media = [line.strip() for line in blocks.get("media_urls", "").splitlines() if line.strip()]
    if media:
        fields["media_urls"] = media
    when = blocks.get("schedule_at", "").strip()
    if when:
        try:
            fields["schedule_at"] = datetime.fromisoformat(when)
        except ValueError:
            raise BadInput(f"The `schedule_at` block rendered {when[:60]!r}, not an ISO-8601 "
                           "time such as 2026-12-01T09:00:00+01:00.",
                           details={"block": "schedule_at"}) from None
    zone = blocks.get("timezone", "").strip()
    if zone:
        fields["timezone"] = zone
    queue = blocks.get("queue", "").strip().lower()
    if queue not in _TRUE | _FALSE:
        raise BadInput(f"The `queue` block rendered {queue[:20]!r}; write true or false.",
                       details={"block": "queue"})
    fields["queue"] = queue in _TRUE
    try:
        return RenderedPost(request=PostRequest.model_validate(fields))
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise BadInput(f"The template's `{where}` is not valid: {first['msg']}",
                       details={"block": where}) from None


def template_engine(rt: Runtime) -> HookTemplateEngine:
    if rt.hook_templates is None:
        raise RuntimeError("This process has no hook template engine (composition/runtime.py).")
    return rt.hook_templates


def parse_payload(payload: bytes) -> JsonValue:
    """The JSON a templated hook received; BadInput when it is not JSON."""
    try:
        parsed: JsonValue = json.loads(payload)
    except (ValueError, RecursionError):
        raise BadInput("The request body is not valid JSON; a templated hook reads JSON "
                       "payloads.", details={"reason": "malformed_json"}) from None
    return parsed


async def render_hook_post(rt: Runtime, hook: IncomingHook, payload: bytes) -> RenderedPost:
    """What ``hook``'s template makes of ``payload``: TemplateProblem (the line and the
    message) for a template error, BadInput for blocks that do not spell a post."""
    if hook.template is None:
        raise BadInput("This hook has no template.")
    blocks = await template_engine(rt).render(hook.template, parse_payload(payload))
    return post_from_blocks(blocks)
