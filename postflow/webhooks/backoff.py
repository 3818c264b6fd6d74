"""When a failed delivery is tried again: exponential, for 24 hours."""

from __future__ import annotations

from datetime import timedelta

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
#: A delivery (and an endpoint) failing this long is given up (disabled).
GIVE_UP_AFTER = timedelta(hours=24)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 30 s, 1 min, 2 min ... then hourly."""
    if attempts < 1:
        return timedelta(0)
    seconds = FIRST_RETRY.total_seconds() * 2.0 ** min(attempts - 1, 20)
    return min(LONGEST_WAIT, timedelta(seconds=seconds))
