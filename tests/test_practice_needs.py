"""Who needs supervision (practice/needs.py): the rule, and the team's rows."""

from datetime import timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from access.policy import visible_capability, visible_reviews
from accounts.models import User
from core.vocabulary import Role
from practice.models import ActionStatus
from practice.needs import _reviews_to_discuss, needs_supervision, percent, supervision_reasons
from reviews.models import ReviewKind

from .factories import (
    CapabilityConcernFactory,
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    QaReviewFactory,
    SupervisionFactory,
    TermFactory,
    UserFactory,
)
from .plans import assert_indexed, explain, require_postgresql

THIRD = Fraction(1, 3)

# --- the rule ---------------------------------------------------------------------------


def test_percent_rounds_halves_up():
    assert percent(Fraction(4, 9)) == 44
    assert percent(THIRD) == 33
    assert percent(Fraction(1, 8)) == 13  # 12.5
    assert percent(Fraction(2, 3)) == 67


def test_more_amber_or_red_than_the_share_is_a_reason():
    judgements = ["amber"] * 3 + ["red"] + ["green"] * 4 + ["gold"]
    assert supervision_reasons(judgements, 0, THIRD) == [
        "4 of 9 PEPs Amber or Red this term (44%, above 33%)",
        "1 PEP rated Red",
    ]


def test_exactly_the_share_is_not_above_it():
    assert supervision_reasons(["amber", "green", "green"], 0, THIRD) == []


def test_any_red_is_a_reason_within_the_share():
    assert supervision_reasons(["red"] + ["green"] * 9, 0, THIRD) == ["1 PEP rated Red"]
    assert supervision_reasons(["red", "red"] + ["green"] * 8, 0, THIRD) == ["2 PEPs rated Red"]


def test_pep_not_judged_yet_does_not_count():
    # 1 Amber of 2 judged is above a third; the blank ones are not judged.
    assert supervision_reasons(["amber", "green", "", ""], 0, THIRD) == [
        "1 of 2 PEPs Amber or Red this term (50%, above 33%)"
    ]
    assert supervision_reasons(["", ""], 0, THIRD) == []
    assert supervision_reasons(["amber"], 0, THIRD) == ["1 of 1 PEP Amber or Red this term (100%, above 33%)"]


def test_overdue_actions_are_a_reason():
    assert supervision_reasons([], 1, THIRD) == ["1 action overdue"]
    assert supervision_reasons(["green"], 2, THIRD) == ["2 actions overdue"]


def test_nothing_wrong_no_reason():
    assert supervision_reasons(["green", "gold", "amber"], 0, Fraction(1, 2)) == []


# --- the rows ---------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _peps(officer, term, judgements):
    return [
        PepFactory(child=ChildFactory(allocated_officer=officer), term=term, judgement=judgement)
        for judgement in judgements
    ]


@pytest.fixture
def term(db):
    return TermFactory()


@pytestmark_db
def test_rows_say_why_with_the_reviews_to_discuss(manager, officer, term):
    today = timezone.localdate()
    amber, red, green = _peps(officer, term, ["amber", "red", "green"])
    to_discuss = [
        QaReviewFactory(pep=pep, reviewer=manager, submitted=True, overall_judgement=pep.judgement)
        for pep in (amber, red)
    ]
    QaReviewFactory(pep=green, reviewer=manager, submitted=True, overall_judgement="green")
    QaReviewFactory(pep=amber, reviewer=manager, kind=ReviewKind.MODERATION, submitted=True, overall_judgement="red")
    QaReviewFactory(pep=red, reviewer=manager, overall_judgement="red")  # a draft
    # An earlier term's Red is not this term's.
    earlier = TermFactory()
    (old,) = _peps(officer, earlier, ["red"])
    QaReviewFactory(pep=old, reviewer=manager, submitted=True, overall_judgement="red")
    SupervisionFactory(officer=officer, date=today - timedelta(days=40))
    last = SupervisionFactory(officer=officer, date=today - timedelta(days=10))
    PracticeActionFactory(supervision=last, due=today - timedelta(days=1))
    PracticeActionFactory(supervision=last, due=today)  # due today: not overdue
    PracticeActionFactory(
        supervision=last,
        due=today - timedelta(days=3),
        status=ActionStatus.DONE,
        closed_on=today,
    )
    fine = UserFactory(role=Role.OFFICER, line_manager=manager, first_name="Zara")
    _peps(fine, term, ["green", "gold"])

    rows = needs_supervision(
        User.objects.filter(line_manager=manager), term, today, reviews=visible_reviews(manager), concern_share=THIRD
    )

    assert [row.officer for row in rows] == [officer]
    (row,) = rows
    assert row.reasons == [
        "2 of 3 PEPs Amber or Red this term (67%, above 33%)",
        "1 PEP rated Red",
        "1 action overdue",
    ]
    assert row.last_supervision == today - timedelta(days=10)
    assert sorted(r.pk for r in row.reviews) == sorted(r.pk for r in to_discuss)
    assert not row.capability_open


@pytestmark_db
def test_the_share_comes_from_the_sampling_settings(settings, manager, officer, term):
    _peps(officer, term, ["amber", "green", "green"])
    today = timezone.localdate()
    settings.QA_SAMPLING = {**settings.QA_SAMPLING, "concern_share": "1/4"}
    (row,) = needs_supervision(User.objects.filter(pk=officer.pk), term, today)
    assert row.reasons == ["1 of 3 PEPs Amber or Red this term (33%, above 25%)"]
    settings.QA_SAMPLING = {**settings.QA_SAMPLING, "concern_share": "1/2"}
    assert needs_supervision(User.objects.filter(pk=officer.pk), term, today) == []


@pytestmark_db
def test_reviews_come_only_from_the_scope_given(manager, officer, other_officer, term):
    (red,) = _peps(officer, term, ["red"])
    QaReviewFactory(pep=red, reviewer=manager, submitted=True, overall_judgement="red")
    today = timezone.localdate()
    # Another officer's scope holds no review of this PEP: the reason stays, no review.
    (row,) = needs_supervision(User.objects.filter(pk=officer.pk), term, today, reviews=visible_reviews(other_officer))
    assert row.reasons == ["1 of 1 PEP Amber or Red this term (100%, above 33%)", "1 PEP rated Red"]
    assert row.reviews == []


@pytestmark_db
def test_capability_is_flagged_only_through_the_scope(manager, officer, other_manager, lead, term):
    _peps(officer, term, ["red"])
    CapabilityConcernFactory(officer=officer)
    today = timezone.localdate()
    officers = User.objects.filter(pk=officer.pk)
    assert needs_supervision(officers, term, today, capability=visible_capability(manager))[0].capability_open
    for outsider in (other_manager, lead):
        assert not needs_supervision(officers, term, today, capability=visible_capability(outsider))[0].capability_open
    assert not needs_supervision(officers, term, today)[0].capability_open


@pytestmark_db
def test_a_closed_process_is_not_flagged(manager, officer, term):
    _peps(officer, term, ["red"])
    CapabilityConcernFactory(officer=officer, closed_on=timezone.localdate())
    (row,) = needs_supervision(
        User.objects.filter(pk=officer.pk), term, timezone.localdate(), capability=visible_capability(manager)
    )
    assert not row.capability_open


@pytestmark_db
def test_no_term_only_overdue_actions(manager, officer):
    today = timezone.localdate()
    PracticeActionFactory(owner=officer, supervision__officer=officer, due=today - timedelta(days=2))
    (row,) = needs_supervision(User.objects.filter(pk=officer.pk), None, today)
    assert row.reasons == ["1 action overdue"]


def _team(manager, term, count):
    today = timezone.localdate()
    for n in range(count):
        officer = UserFactory(role=Role.OFFICER, line_manager=manager, first_name=f"Officer{n}")
        amber, red = _peps(officer, term, ["amber", "red"])
        for pep in (amber, red):
            QaReviewFactory(pep=pep, reviewer=manager, submitted=True, overall_judgement=pep.judgement)
        last = SupervisionFactory(officer=officer, date=today - timedelta(days=5))
        PracticeActionFactory(supervision=last, due=today - timedelta(days=1))
        CapabilityConcernFactory(officer=officer)


# Officers, judgements, overdue actions, last supervisions, reviews, capability.
NEEDS_QUERIES = 6


@pytestmark_db
def test_queries_are_constant_whatever_the_team(manager, term, django_assert_num_queries):
    today = timezone.localdate()

    def rows():
        return needs_supervision(
            User.objects.filter(line_manager=manager),
            term,
            today,
            reviews=visible_reviews(manager),  # (one query: the manager's team, for the scope)
            capability=visible_capability(manager),
        )

    _team(manager, term, 2)
    with django_assert_num_queries(NEEDS_QUERIES + 1):
        two = rows()
    _team(manager, term, 5)
    with django_assert_num_queries(NEEDS_QUERIES + 1):
        seven = rows()
    assert (len(two), len(seven)) == (2, 7)
    with django_assert_num_queries(0):  # everything a row shows is read already
        for row in seven:
            assert [r.pep.child.la_reference for r in row.reviews]
            assert row.capability_open and row.last_supervision == today - timedelta(days=5)


@pytestmark_db
def test_the_reviews_to_discuss_are_read_through_the_terms_peps(manager, officer, term):
    """Their reviews by index from the term's PEPs of the officers, not every review of the
    archive filtered (a sequential scan of reviews_qareview that grew with the history)."""
    require_postgresql()
    (red,) = _peps(officer, term, ["red"])
    QaReviewFactory(pep=red, reviewer=manager, submitted=True, overall_judgement="red")
    query = _reviews_to_discuss(visible_reviews(manager), term, [officer.pk])
    assert list(query)
    assert_indexed(explain(query))
