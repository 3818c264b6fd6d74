"""IANA time zones: validation and conversion, never the process ``TZ``."""

from __future__ import annotations

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
