"""reviews.selectors: the previous QA round's review and its areas, and a PEP's QA story."""

import pytest

from peps.models import PepStatus
from reviews.models import AreaRating, ProFormaArea, QaReview, ReviewKind
from reviews.selectors import matching_areas, previous_line_management_review, qa_story, review_history
from reviews.services import correct_review, mark_amended, save_review, start_review
from sampling.services import finalise_pep

from .factories import rate_all

pytestmark = pytest.mark.django_db


def _ratings(pairs, start_pk):
    """Unsaved area ratings, one per (position, title), with ids from ``start_pk``."""
    return [
        AreaRating(pk=start_pk + n, area=ProFormaArea(position=position, title=title))
        for n, (position, title) in enumerate(pairs)
    ]


def test_areas_match_by_title_first_then_by_position():
    previous = _ratings([(1, "Voice"), (2, "Targets"), (3, "Attendance"), (4, "Old area")], 100)
    current = _ratings([(1, "Targets"), (2, "  voice "), (3, "Renamed attendance"), (4, "Aspirations"), (5, "New")], 1)

    matched = matching_areas(current, previous)

    assert {pk: r.pk for pk, r in matched.items()} == {1: 101, 2: 100, 3: 102, 4: 103}


def test_an_area_matched_by_title_is_not_matched_again_by_position():
    previous = _ratings([(1, "Voice"), (2, "Targets")], 100)
    current = _ratings([(1, "Targets"), (2, "Something else")], 1)

    # "Targets" (previous position 2) went to current area 1 by its title; current area 2
    # takes nothing, not the same previous rating twice... and position 2's is taken.
    assert {pk: r.pk for pk, r in matching_areas(current, previous).items()} == {1: 101}


def _submit(pep, reviewer, ratings, kind=None, comment="ok"):
    review = start_review(pep, reviewer, kind=kind)
    save_review(review, rate_all(review, ratings, comment=comment), strengths="", development_points="", submit=True)
    return QaReview.objects.get(pk=review.pk)


def test_the_previous_review_is_the_last_round_before(pep, manager, officer):
    first = _submit(pep, manager, ["red"] * 8)
    mark_amended(pep, by=officer)
    second = _submit(pep, manager, ["amber"] * 8)
    mark_amended(pep, by=officer)
    third = start_review(pep, manager)
    everything = QaReview.objects.all()

    assert previous_line_management_review(third, everything) == second
    assert previous_line_management_review(second, everything) == first
    assert previous_line_management_review(first, everything) is None
    # Only among what the viewer may see.
    assert previous_line_management_review(third, everything.exclude(pk=second.pk)) == first
    # Not for a moderation: a moderator re-rates blind.
    moderation = start_review(pep, manager, kind=ReviewKind.MODERATION)
    assert previous_line_management_review(moderation, everything) is None


def test_the_story_of_a_returned_amended_corrected_and_finalised_pep(pep, manager, officer, vsh):
    first = _submit(pep, manager, ["red", "amber", "red", "green", "red", "amber", "gold", "green"], comment="Why")
    mark_amended(pep, by=officer)
    second = _submit(pep, manager, ["green"] * 8)
    correct_review(
        second,
        rate_all(second, ["gold"] * 8),
        strengths="",
        development_points="",
        reason="A slip",
        by=vsh,
        version=None,
    )
    correct_review(
        QaReview.objects.get(pk=second.pk),
        rate_all(second, ["red"] * 8),
        strengths="",
        development_points="",
        reason="Wrong PEP",
        by=vsh,
        version=None,
    )

    story = qa_story(pep, list(review_history(pep)))

    steps = [
        (e.change and (e.change.from_status, e.change.to_status), e.qa_round, e.correction and e.correction.reason)
        for e in story
    ]
    assert steps == [
        ((PepStatus.SUBMITTED, PepStatus.RETURNED), 1, None),
        ((PepStatus.RETURNED, PepStatus.SUBMITTED), None, None),
        ((PepStatus.SUBMITTED, PepStatus.FINALISED), 2, None),
        (None, 2, "A slip"),  # within the outcome: no status change
        ((PepStatus.FINALISED, PepStatus.RETURNED), 2, "Wrong PEP"),
    ]
    assert story[0].review == first and story[0].judgement == "amber"
    assert [(a["title"], a["rating"], a["comment"]) for a in story[0].areas_to_amend] == [
        (r.area.title, r.rating, "Why") for r in first.area_ratings.all() if r.rating in ("red", "amber")
    ]
    # Round 2 as it was decided, before its corrections: Green, not the Red it is now.
    assert story[2].review == second and story[2].judgement == "green" and story[2].areas_to_amend == []
    assert story[4].by == vsh and story[4].correction.status_change == story[4].change


def test_finalised_without_qa_is_no_rounds_outcome(pep, vsh):
    finalise_pep(pep, vsh)

    [event] = qa_story(pep, list(review_history(pep)))

    assert event.change.to_status == PepStatus.FINALISED and event.review is None and event.qa_round is None
