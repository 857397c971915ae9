"""The school calendar: weekends, England's bank holidays (python-holidays) and the gaps
between the terms on record are closed days. After the last term on record every weekday
counts, so a date never waits on next year's terms being entered."""

from datetime import date

import holidays

from core.schooldays import ClosedRule, add_school_days, school_days_after

from .models import Term


def closed_days(around: date) -> ClosedRule:
    """The closure rule for dates near ``around`` (two years either side)."""
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=range(around.year - 1, around.year + 3))
    terms = list(Term.objects.order_by("start_date").values_list("start_date", "end_date"))
    first_start = terms[0][0] if terms else date.max
    last_end = max(end for _start, end in terms) if terms else date.min

    def closed(day: date) -> bool:
        if day.weekday() >= 5 or day in bank_holidays:
            return True
        if day > last_end or day < first_start:  # also: no terms on record
            return False
        return not any(start <= day <= end for start, end in terms)

    return closed


def school_days_later(start: date, days: int) -> date:
    return add_school_days(start, days, closed_days(start))


def school_days_overdue(due: date, today: date) -> int:
    return school_days_after(due, today, closed_days(due))
