"""IANA time zones: validation and conversion, never the process ``TZ``."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postflow.errors import BadInput


def require_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA zone, else raise BadInput."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"{name!r} is not an IANA time zone name such as 'Europe/Paris'.",
                       details={"timezone": name}) from None
    return name


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(require_timezone(name))


def shared_timezone(explicit: str | None, target_zones: Iterable[str]) -> str | None:
    """The zone a request's local time is read in: ``explicit`` when given (validated), else the
    one zone every target reads local times in (its own, else the organization's), else None
    because the targets disagree."""
    if explicit is not None:
        return require_timezone(explicit)
    distinct = set(target_zones)
    return distinct.pop() if len(distinct) == 1 else None
