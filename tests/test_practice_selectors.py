"""practice/selectors.py: the reviews a supervision may discuss, the actions carried
forward, and an officer's own supervisions, actions and training."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.vocabulary import Season
from practice.models import ActionStatus
from practice.selectors import (
    RECENT_TERMS,
    actions_of,
    carried_forward,
    is_due_soon,
    recent_reviews_of,
    recent_terms,
    supervisions_of,
    training_of,
)
from reviews.services import save_review, start_review

from .factories import (
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    QaReviewFactory,
    SupervisionFactory,
    TermFactory,
    TrainingOfferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _terms(count):
    return [
        TermFactory(academic_year=2010 + n // 3, season=[Season.AUTUMN, Season.SPRING, Season.SUMMER][n % 3])
        for n in range(count)
    ]


def _submitted(officer, manager, term, rate_all):
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=term)
    review = start_review(pep, manager)
    return save_review(review, rate_all(review, ["amber"] * 8), strengths="", development_points="dp", submit=True)


def test_recent_terms_are_the_last_three_that_have_started():
    terms = _terms(5)
    assert set(recent_terms(on=terms[-1].start_date)) == set(terms[-RECENT_TERMS:])
    assert set(recent_terms(on=terms[2].start_date)) == set(terms[:3])


def test_the_officers_recent_submitted_reviews_newest_first(officer, manager, rate_all):
    old, *recent = _terms(4)
    too_old = _submitted(officer, manager, old, rate_all)
    reviews = [_submitted(officer, manager, term, rate_all) for term in recent]
    QaReviewFactory(pep=PepFactory(child=ChildFactory(allocated_officer=officer), term=recent[0]))  # a draft
    _submitted(UserFactory(line_manager=manager), manager, recent[0], rate_all)  # a colleague's
    found = list(recent_reviews_of(officer, on=recent[-1].start_date))
    assert found == sorted(reviews, key=lambda r: (r.submitted_at, r.pk), reverse=True)
    assert too_old not in found


def test_a_review_made_by_the_officer_is_not_offered(officer, manager):
    term = TermFactory()
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=term)
    QaReviewFactory(pep=pep, reviewer=officer, submitted=True)
    assert list(recent_reviews_of(officer, on=term.start_date)) == []


def test_the_reviews_come_with_their_areas_in_a_constant_number_of_queries(officer, manager, rate_all):
    terms = _terms(3)
    for term in terms:
        _submitted(officer, manager, term, rate_all)

    def read():
        with CaptureQueriesContext(connection) as queries:
            for review in recent_reviews_of(officer, on=terms[-1].start_date):
                assert review.pep.child.la_reference and review.pep.term and review.reviewer and review.pro_forma
                assert [(r.area.title, r.rating, r.comment) for r in review.area_ratings.all()]
        return len(queries)

    few = read()
    for term in terms:
        _submitted(officer, manager, term, rate_all)
    # The terms (1), the reviews (2), their ratings with areas (3).
    assert few == read() == 3


def test_open_actions_of_earlier_supervisions_are_carried_forward(officer):
    first = SupervisionFactory(officer=officer, date=TODAY - timedelta(days=60))
    second = SupervisionFactory(officer=officer, date=TODAY - timedelta(days=30))
    third = SupervisionFactory(officer=officer, date=TODAY)
    from_first = PracticeActionFactory(supervision=first, due=TODAY - timedelta(days=40))
    from_second = PracticeActionFactory(supervision=second, due=TODAY)
    PracticeActionFactory(supervision=first, status=ActionStatus.DONE, closed_on=TODAY)
    PracticeActionFactory(supervision=SupervisionFactory(), due=TODAY)  # someone else's
    assert list(carried_forward(officer)) == [from_first, from_second]
    assert list(carried_forward(officer, into=second)) == [from_first]
    assert list(carried_forward(officer, into=third)) == [from_first, from_second]
    assert list(carried_forward(officer, into=first)) == []


def test_an_officers_own_supervisions_actions_and_training(officer, manager):
    mine = SupervisionFactory(officer=officer, date=TODAY - timedelta(days=3))
    newer = SupervisionFactory(officer=officer, date=TODAY)
    SupervisionFactory()
    owned = PracticeActionFactory(supervision=mine, due=TODAY + timedelta(days=3))
    managers = PracticeActionFactory(supervision=mine, owner=manager, due=TODAY + timedelta(days=1))
    closed = PracticeActionFactory(supervision=newer, status=ActionStatus.DONE, closed_on=TODAY, due=TODAY)
    PracticeActionFactory()
    offer = TrainingOfferFactory(supervision=mine)
    TrainingOfferFactory()
    assert list(supervisions_of(officer)) == [newer, mine]
    assert list(actions_of(officer)) == [managers, owned, closed]  # open first, by due date
    assert list(training_of(officer)) == [offer]


@pytest.mark.parametrize(
    ("days", "status", "due_soon"),
    [(-30, "open", True), (0, "open", True), (7, "open", True), (8, "open", False), (-1, "done", False)],
)
def test_an_action_is_due_soon_within_a_week_or_overdue(days, status, due_soon):
    action = PracticeActionFactory.build(due=TODAY + timedelta(days=days), status=status)
    assert is_due_soon(action, TODAY) is due_soon
