"""The JSON body of ``POST /v1/hooks/{hook_id}``, validated strictly at the edge."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, ValidationError

from hub.errors import HubError
from postflow.errors import BadInput
from postflow.usecases.submit_post import PostRequest

#: Errors listed in a 422, and how much of a field name (a variant's key...) is echoed back.
MAX_LISTED_ERRORS = 20
MAX_PATH_PART = 64


class HookPostBody(PostRequest):
    """What a sender may put in the body: the core's request, read strictly.

    Unknown fields are refused rather than ignored, and ``"queue": "yes"`` or ``"text": 5`` are
    mistakes to report, not values to coerce. ``schedule_at`` carries an offset, or is a local
    time the core reads in ``timezone``, else in the targets' shared zone (a connection's own,
    else the organization's), refusing it when the targets' zones differ.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


def parse_hook_body(raw: bytes) -> PostRequest:
    """Parse and validate ``raw``; malformed JSON is a 400, a wrong shape a 422 listing why."""
    try:
        return HookPostBody.model_validate_json(raw)
    except ValidationError as err:
        problems = err.errors(include_url=False, include_input=False, include_context=False)
        if any(p["type"] == "json_invalid" for p in problems):
            raise HubError(400, "malformed_json", "The request body is not valid JSON.") from None
        listed = [_describe(p) for p in problems[:MAX_LISTED_ERRORS]]
        first = listed[0]
        where = f"`{first['path']}`: " if first["path"] else ""
        raise BadInput(f"The request body is not valid: {where}{first['message']}",
                       details={"errors": listed, "error_count": len(problems)}) from None


def _describe(problem: Any) -> dict[str, str]:
    path = ".".join(str(part)[:MAX_PATH_PART] for part in problem["loc"])
    return {"path": path, "message": str(problem["msg"]), "type": str(problem["type"])}
