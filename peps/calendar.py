"""The school calendar: weekends, England's bank holidays (python-holidays) and the
holidays between the terms on record are closed days. Before the first term and after the
last term on record every weekday counts, so a date never waits on next year's terms being
entered."""

from datetime import date, timedelta

import holidays

from core.schooldays import ClosedRule, add_school_days, school_days_after

from .models import Term

# A gap between terms on record longer than this is not a school holiday (the summer
# holiday is about six weeks) but terms not entered: its weekdays count, as after the last
# term on record, so a due date is never pushed years on (nor fails to be found).
LONGEST_HOLIDAY = timedelta(weeks=10)


def holidays_between_terms() -> list[tuple[date, date]]:
    """The (first, last) days of the gaps between the terms on record, up to LONGEST_HOLIDAY."""
    gaps = []
    reach: date | None = None  # the last day of term so far
    for start, end in Term.objects.order_by("start_date").values_list("start_date", "end_date"):
        if reach is not None and reach + timedelta(days=1) < start <= reach + LONGEST_HOLIDAY + timedelta(days=1):
            gaps.append((reach + timedelta(days=1), start - timedelta(days=1)))
        reach = end if reach is None else max(reach, end)
    return gaps


def closed_days(around: date) -> ClosedRule:
    """The closure rule for dates near ``around`` (bank holidays of the year before to two
    years after)."""
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=range(around.year - 1, around.year + 3))
    gaps = holidays_between_terms()

    def closed(day: date) -> bool:
        if day.weekday() >= 5 or day in bank_holidays:
            return True
        return any(first <= day <= last for first, last in gaps)

    return closed


def school_days_later(start: date, days: int) -> date:
    return add_school_days(start, days, closed_days(start))


def school_days_overdue(due: date, today: date) -> int:
    return school_days_after(due, today, closed_days(due))
