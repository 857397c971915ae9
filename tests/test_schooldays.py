"""core.schooldays: school-day arithmetic over a closure rule (no database)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.schooldays import add_school_days, school_days_after, weekends

FRIDAY = date(2026, 11, 27)


def test_the_start_day_is_not_counted_and_weekends_are_skipped():
    assert add_school_days(FRIDAY, 1) == date(2026, 11, 30)  # Monday
    assert add_school_days(FRIDAY, 5) == date(2026, 12, 4)
    assert add_school_days(FRIDAY, 10) == date(2026, 12, 11)
    assert add_school_days(FRIDAY, 0) == FRIDAY


def test_closed_days_from_the_rule_are_skipped():
    half_term = {date(2026, 11, 30) + timedelta(days=n) for n in range(5)}

    def closed(day):
        return weekends(day) or day in half_term

    assert add_school_days(FRIDAY, 1, closed) == date(2026, 12, 7)


def test_a_rule_that_closes_everything_is_refused_rather_than_looping():
    with pytest.raises(ValueError, match="closes every day"):
        add_school_days(FRIDAY, 1, lambda day: True)
    with pytest.raises(ValueError):
        add_school_days(FRIDAY, -1)


def test_school_days_after_counts_the_open_days_up_to_the_end():
    assert school_days_after(FRIDAY, FRIDAY) == 0
    assert school_days_after(FRIDAY, date(2026, 11, 29)) == 0  # the weekend
    assert school_days_after(FRIDAY, date(2026, 11, 30)) == 1
    assert school_days_after(FRIDAY, date(2026, 11, 20)) == 0


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), days=st.integers(0, 60))
def test_adding_then_counting_gives_back_the_days(start, days):
    due = add_school_days(start, days)
    assert school_days_after(start, due) == days
    assert due == start or not weekends(due)
