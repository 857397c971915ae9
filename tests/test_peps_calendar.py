"""peps.calendar: the school calendar from the terms on record and England's bank holidays."""

from datetime import date

from peps.calendar import closed_days, school_days_later, school_days_overdue

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
