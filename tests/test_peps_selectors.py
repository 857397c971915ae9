"""peps/selectors.py: reads that need no viewer (the term a page asks for, a caseload)."""

import pytest
from django.http import Http404

from peps.models import Term
from peps.selectors import requested_term

from .factories import TermFactory

pytestmark = pytest.mark.django_db


def test_requested_term_is_the_term_asked_for_else_the_current_one():
    asked = TermFactory()
    assert requested_term(str(asked.pk)) == asked
    assert requested_term("") == Term.objects.current()


@pytest.mark.parametrize(
    "value",
    [
        "²",  # passes str.isdigit(), fails int(): was a 500
        "1" * 5000,  # beyond int()'s digit limit: was a 500
        "99999999999999999999",
        "-1",
        "0",
        "1e9",
        "abc",
        " ",
        "'",
    ],
)
def test_requested_term_answers_404_for_what_is_no_term_id(value):
    TermFactory()
    with pytest.raises(Http404):
        requested_term(value)


def test_requested_term_answers_404_for_a_term_that_does_not_exist():
    term = TermFactory()
    with pytest.raises(Http404):
        requested_term(str(term.pk + 1000))
