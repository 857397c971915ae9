"""peps.calendar: the school calendar from the terms on record and England's bank holidays."""

from datetime import date

from core.vocabulary import Season
from peps.calendar import closed_days, holidays_between_terms, school_days_later, school_days_overdue

from .factories import TermFactory


def _autumn_and_spring():
    TermFactory(
        academic_year=2026,
        season="autumn",
        start_date=date(2026, 9, 2),
        end_date=date(2026, 12, 18),
        pep_deadline=date(2026, 10, 30),
    )
    TermFactory(
        academic_year=2026,
        season="spring",
        start_date=date(2027, 1, 5),
        end_date=date(2027, 3, 26),
        pep_deadline=date(2027, 2, 12),
    )


def test_the_christmas_holiday_between_terms_does_not_count(db):
    _autumn_and_spring()
    # Returned on Monday 14 December: four school days left before the holiday.
    assert school_days_later(date(2026, 12, 14), 4) == date(2026, 12, 18)
    assert school_days_later(date(2026, 12, 14), 5) == date(2027, 1, 5)
    assert school_days_overdue(date(2026, 12, 18), date(2027, 1, 6)) == 2


def test_bank_holidays_are_closed_even_in_term_time(db):
    TermFactory(
        academic_year=2026,
        season="summer",
        start_date=date(2027, 4, 12),
        end_date=date(2027, 7, 21),
        pep_deadline=date(2027, 5, 28),
    )
    closed = closed_days(date(2027, 5, 1))
    assert closed(date(2027, 5, 3))  # the early May bank holiday, a Monday in term
    assert not closed(date(2027, 5, 4))
    assert school_days_later(date(2027, 4, 30), 1) == date(2027, 5, 4)


def test_after_the_last_term_on_record_every_weekday_counts(db):
    _autumn_and_spring()
    # Monday 29 March 2027 is Easter Monday.
    assert school_days_later(date(2027, 3, 26), 1) == date(2027, 3, 30)
    assert school_days_later(date(2027, 3, 30), 1) == date(2027, 3, 31)


def test_with_no_terms_on_record_weekdays_and_bank_holidays_decide(db):
    assert school_days_later(date(2026, 12, 24), 1) == date(2026, 12, 29)  # 25, 26 (28 in lieu)


def term(year, season, start, end):
    return TermFactory(academic_year=year, season=season, start_date=start, end_date=end, pep_deadline=start)


def test_weekends_bank_holidays_and_the_holidays_between_terms_are_closed(db):
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


def test_a_gap_too_long_for_a_holiday_is_terms_not_entered_and_its_weekdays_count(db):
    term(2010, Season.AUTUMN, date(2010, 9, 1), date(2010, 12, 15))
    term(2030, Season.SPRING, date(2031, 1, 6), date(2031, 4, 4))

    assert holidays_between_terms() == []
    # A PEP returned in 2026 is due in ten weekdays, not in 2031 (nor never).
    assert school_days_later(date(2026, 12, 2), 10) == date(2026, 12, 16)


def test_overlapping_and_back_to_back_terms_leave_no_holiday(db):
    term(2030, Season.AUTUMN, date(2030, 9, 1), date(2030, 12, 31))
    term(2030, Season.SPRING, date(2031, 1, 1), date(2031, 3, 31))
    term(2030, Season.SUMMER, date(2031, 3, 20), date(2031, 8, 31))

    assert holidays_between_terms() == []
