"""Reading an API request's JSON body and query string into the route's pydantic models."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.errors import HubError
from postflow.errors import BadInput

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_LISTED_ERRORS = 20
MAX_PATH_PART = 64


def parse_body(model: type[ModelT], raw: bytes) -> ModelT:
    """Malformed JSON is a 400, a wrong shape a 422 listing why; an empty body is ``{}``."""
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as err:
        if any(p["type"] == "json_invalid" for p in err.errors()):
            raise HubError(400, "malformed_json", "The request body is not valid JSON.") from None
        raise _invalid("The request body is not valid", err) from None


def parse_query(model: type[ModelT], request: web.Request) -> ModelT:
    repeated = sorted({name for name in request.query if len(request.query.getall(name)) > 1})
    if repeated:
        raise BadInput(f"Give `{repeated[0]}` once; separate several values with commas.",
                       details={"parameter": repeated[0]})
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as err:
        raise _invalid("The query string is not valid", err) from None


def _invalid(what: str, err: ValidationError) -> BadInput:
    problems = err.errors(include_url=False, include_input=False, include_context=False)
    listed = [_describe(p) for p in problems[:MAX_LISTED_ERRORS]]
    first = listed[0]
    where = f"`{first['path']}`: " if first["path"] else ""
    return BadInput(f"{what}: {where}{first['message']}",
                    details={"errors": listed, "error_count": len(problems)})


def _describe(problem: Any) -> dict[str, str]:
    path = ".".join(str(part)[:MAX_PATH_PART] for part in problem["loc"])
    return {"path": path, "message": str(problem["msg"]), "type": str(problem["type"])}
