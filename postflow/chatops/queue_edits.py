"""``/postflow queue <account> set <days> <HH:MM> ...`` and ``queue <account> clear``: an
account's weekly slots changed from chat, through :mod:`postflow.usecases.queues` (Admin+).

``set`` gives every listed day the listed times (``mon,wed,fri 09:00 13:00``; ``weekdays`` and
``daily`` also work) and keeps the queue's zone and caps; ``clear`` goes back to the default
slots (weekdays 09:00, 13:00, 17:00) without caps, in the queue's zone. Posts already queued keep
their times either way.
"""

from __future__ import annotations

from postflow.chatops.accounts import find_connection
from postflow.chatops.callers import Membership
from postflow.chatops.permissions import Permission, require
from postflow.chatops.replies import Reply
from postflow.errors import BadInput
from postflow.queues import DEFAULT_SLOT_TEXTS, WEEKDAYS, QueueSettings, parse_slot
from postflow.runtime import Runtime
from postflow.usecases.queues import queue_settings_for, set_queue_settings

EDITS = ("set", "clear")
DAY_GROUPS = {"weekdays": WEEKDAYS[:5], "weekends": WEEKDAYS[5:], "daily": WEEKDAYS}
USAGE = ("`/postflow queue <account> set mon,wed,fri 09:00 13:00` (days: mon..sun, weekdays, "
         "weekends or daily) or `/postflow queue <account> clear` (back to weekdays 09:00, "
         "13:00, 17:00)")


def split_edit(args: list[str]) -> tuple[str, str, list[str]] | None:
    """``(account, edit, rest)`` when the words after ``queue`` edit it, else None."""
    for at, word in enumerate(args):
        if at > 0 and word.lower() in EDITS:
            return " ".join(args[:at]), word.lower(), args[at + 1:]
    return None


async def edit_queue(rt: Runtime, who: Membership, ref: str, edit: str,
                     rest: list[str]) -> Reply:
    require(who.member.role, Permission.MANAGE_QUEUES)
    conn = await find_connection(rt, who.org.id, ref)
    current = await queue_settings_for(rt, who.org.id, conn.id)
    if edit == "clear":
        if rest:
            raise BadInput(f"`clear` takes nothing after it: {USAGE}.")
        slots, per_day, per_week = list(DEFAULT_SLOT_TEXTS), None, None
    else:
        slots = parse_slots(rest)
        per_day, per_week = current.max_per_day, current.max_per_week
    saved = await set_queue_settings(rt, who.org.id, conn.id, slots=slots,
                                      timezone=current.timezone, max_per_day=per_day,
                                      max_per_week=per_week, actor=who.actor)
    return Reply(text=f"The queue of {conn.display_name} is now {describe(saved)}. Posts "
                      "already queued keep their times.")


def parse_slots(words: list[str]) -> list[tuple[int, str]]:
    """``["mon,wed", "09:00", "13:00"]`` -> every (day, time) pair; BadInput saying how."""
    if len(words) < 2:
        raise BadInput(f"Say the days and at least one time: {USAGE}.")
    days: list[str] = []
    for name in words[0].lower().split(","):
        if name in DAY_GROUPS:
            days.extend(DAY_GROUPS[name])
        elif name:
            days.append(name)
    return [parse_slot(f"{day} {at}") for day in dict.fromkeys(days) for at in words[1:]]


def describe(settings: QueueSettings) -> str:
    """``mon 09:00, 13:00; wed 09:00 (Europe/Paris), at most 2 a day``."""
    by_day: dict[int, list[str]] = {}
    for day, at in settings.slots:
        by_day.setdefault(day, []).append(at)
    text = "; ".join(f"{WEEKDAYS[day]} {', '.join(times)}" for day, times in by_day.items())
    text += f" ({settings.timezone})"
    if settings.max_per_day:
        text += f", at most {settings.max_per_day} a day"
    if settings.max_per_week:
        text += f", at most {settings.max_per_week} a week"
    return text
