"""web/practice/forms.py: the peer review form's date and attendees refuse what they cannot read,
with a message, rather than failing on it."""

from datetime import date

import pytest

from web.practice.forms import PeerReviewForm

pytestmark = pytest.mark.django_db


def _form(term, attendees, day, month, year, recorder=None):
    return PeerReviewForm(
        {
            "date_0": day,
            "date_1": month,
            "date_2": year,
            "term": term.pk,
            "focus": "targets",
            "attendees": [user.pk for user in attendees],
        },
        recorder=recorder or attendees[0],
    )


def test_a_real_date_is_read(pep, manager, officer):
    form = _form(pep.term, [manager, officer], "27", "3", "2026")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date"] == date(2026, 3, 27)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("32", "1", "2026", "The date of the meeting must be a real date"),
        ("31", "4", "2026", "The date of the meeting must be a real date"),
        ("29", "2", "2025", "The date of the meeting must be a real date"),
        ("1", "13", "2026", "The date of the meeting must be a real date"),
        ("0", "1", "2026", "The date of the meeting must be a real date"),
        ("9999999999", "1", "2026", "The date of the meeting must be a real date"),
        ("1", "1", "99999", "Year must include 4 numbers"),
        ("1", "1", "26", "Year must include 4 numbers"),
        ("1", "1", "0", "Year must include 4 numbers"),
        # Each beyond a C long: date() raised OverflowError, a 500.
        ("99999999999999999999", "99999999999999999999", "99999999999999999999", "Year must include 4 numbers"),
        ("1" * 5000, "1", "2026", "The date of the meeting must be a real date"),
    ],
)
def test_a_date_that_is_none_is_a_form_error(pep, manager, day, month, year, message):
    form = _form(pep.term, [manager], day, month, year)
    assert not form.is_valid()
    assert form.errors["date"] == [message]


def test_an_attendee_id_beyond_any_integer_is_a_form_error(pep, manager):
    form = PeerReviewForm(
        {
            "date_0": "1",
            "date_1": "10",
            "date_2": "2026",
            "term": pep.term.pk,
            "focus": "targets",
            "attendees": [str(manager.pk), "99999999999999999999"],
        },
        recorder=manager,
    )
    assert not form.is_valid()  # was OverflowError on SQLite
    assert "attendees" in form.errors
