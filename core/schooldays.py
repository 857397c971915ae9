"""Counting school days: pure arithmetic over a "is the school closed that day?" rule, so
that the rule (weekends, bank holidays, the gaps between terms) is supplied by the caller."""

from collections.abc import Callable
from datetime import date, timedelta

ClosedRule = Callable[[date], bool]


def weekends(day: date) -> bool:
    return day.weekday() >= 5


def add_school_days(start: date, days: int, closed: ClosedRule = weekends) -> date:
    """The day that is ``days`` school days after ``start`` (``start`` itself not counted):
    returned on a Friday with 1 school day to amend, it is due on the Monday."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    # A closed run longer than a summer holiday means the rule closes everything.
    for _ in range(days * 7 + 400):
        if counted == days:
            return day
        day += timedelta(days=1)
        if not closed(day):
            counted += 1
    raise ValueError("No school days found: the closure rule closes every day.")


def school_days_after(start: date, end: date, closed: ClosedRule = weekends) -> int:
    """How many school days fall after ``start`` up to and including ``end`` (0 if ``end``
    is not after ``start``): how overdue something due on ``start`` is on ``end``."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if not closed(day):
            count += 1
        day += timedelta(days=1)
    return count
