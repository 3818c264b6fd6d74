"""Records as MongoDB documents and back: BSON-ready values, the record's id as ``_id``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel

from postflow.clock import as_utc

Document = dict[str, Any]
ModelT = TypeVar("ModelT", bound=BaseModel)


def to_bson(value: Any) -> Any:
    """Plain BSON-ready values: enums become their value, datetimes aware UTC, dates (which
    BSON has no type for) ISO text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: to_bson(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_bson(item) for item in value]
    return value


def from_bson(value: Any) -> Any:
    """Undo the driver's datetime handling: naive (UTC) or any zone becomes aware UTC."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, Mapping):
        return {key: from_bson(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_bson(item) for item in value]
    return value


def model_document(model: BaseModel) -> Document:
    """The document for a record with an ``id``: that id is the document's ``_id``."""
    doc: Document = to_bson(model.model_dump(mode="python"))
    doc["_id"] = doc.pop("id")
    return doc


def document_model(model_type: type[ModelT], doc: Mapping[str, Any]) -> ModelT:
    data: Document = from_bson(doc)
    data["id"] = data.pop("_id")
    return model_type.model_validate(data)
