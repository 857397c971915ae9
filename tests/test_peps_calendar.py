"""peps.calendar: the school calendar that due dates and escalations are counted in."""

from datetime import date

import pytest

from core.vocabulary import Season
from peps.calendar import closed_days, holidays_between_terms, school_days_later, school_days_overdue

from .factories import TermFactory

pytestmark = pytest.mark.django_db


def term(year, season, start, end):
    return TermFactory(academic_year=year, season=season, start_date=start, end_date=end, pep_deadline=start)


def test_weekends_bank_holidays_and_the_holidays_between_terms_are_closed():
    term(2030, Season.SPRING, date(2031, 1, 6), date(2031, 4, 4))
    term(2030, Season.SUMMER, date(2031, 4, 22), date(2031, 7, 18))
    closed = closed_days(date(2031, 4, 1))

    assert holidays_between_terms() == [(date(2031, 4, 5), date(2031, 4, 21))]
    assert closed(date(2031, 4, 5))  # Saturday
    assert closed(date(2031, 4, 8))  # a Tuesday of the Easter holidays
    assert closed(date(2031, 5, 5))  # the early May bank holiday
    assert not closed(date(2031, 4, 4)) and not closed(date(2031, 4, 22))
    # Before the first term and after the last on record, weekdays count.
    assert not closed(date(2030, 12, 2)) and not closed(date(2031, 7, 21))
    assert closed(date(2031, 8, 25))  # but not the bank holidays

    # Returned on the last day of the spring term with 3 school days to amend: 22, 23, 24 April.
    assert school_days_later(date(2031, 4, 4), 3) == date(2031, 4, 24)
    assert school_days_overdue(date(2031, 4, 4), date(2031, 4, 24)) == 3


def test_a_gap_too_long_for_a_holiday_is_terms_not_entered_and_its_weekdays_count():
    term(2010, Season.AUTUMN, date(2010, 9, 1), date(2010, 12, 15))
    term(2030, Season.SPRING, date(2031, 1, 6), date(2031, 4, 4))

    assert holidays_between_terms() == []
    # A PEP returned in 2026 is due in ten weekdays, not in 2031 (nor never).
    assert school_days_later(date(2026, 12, 2), 10) == date(2026, 12, 16)


def test_overlapping_and_back_to_back_terms_leave_no_holiday():
    term(2030, Season.AUTUMN, date(2030, 9, 1), date(2030, 12, 31))
    term(2030, Season.SPRING, date(2031, 1, 1), date(2031, 3, 31))
    term(2030, Season.SUMMER, date(2031, 3, 20), date(2031, 8, 31))

    assert holidays_between_terms() == []
