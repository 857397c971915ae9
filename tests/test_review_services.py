"""reviews.services: starting, saving, submitting and correcting QA reviews, and what they do to the PEP."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.vocabulary import Phase, Rating
from notices.models import Notice, NoticeKind
from peps.models import PepStatus, PepStatusChange
from reviews.models import Amendment, AreaRating, ProForma, QaReview, ReviewCorrection, ReviewKind, ReviewStatus
from reviews.services import (
    AreaInput,
    ReviewChangedElsewhere,
    ReviewCorrectedElsewhere,
    areas_to_amend,
    correct_review,
    judge,
    mark_amended,
    qa_round,
    save_review,
    start_review,
    submit_review,
)
from sampling.services import finalise_pep

from .factories import ChildFactory, PepFactory, ProFormaFactory

pytestmark = pytest.mark.django_db

GOLD, GREEN, AMBER, RED = "gold", "green", "amber", "red"


def _submit(review, areas, **kwargs):
    return save_review(
        review,
        areas,
        strengths="Strong voice.",
        development_points="SMART targets.",
        submit=True,
        **kwargs,
    )


def _ratings(review):
    return list(review.area_ratings.order_by("area__position").values_list("rating", flat=True))


# start_review


def test_start_review_opens_a_draft_with_one_rating_per_current_area(pep, manager):
    review = start_review(pep, manager)

    current = ProForma.objects.current_for(Phase.SSA)
    assert review.status == ReviewStatus.DRAFT
    assert review.kind == ReviewKind.LINE_MANAGEMENT
    assert review.pro_forma == current
    assert review.area_ratings.count() == 8
    assert set(review.area_ratings.values_list("area", flat=True)) == set(current.areas.values_list("pk", flat=True))
    assert all(r == "" for r in _ratings(review))


def test_start_review_twice_resumes_the_same_draft(pep, manager):
    first = start_review(pep, manager)
    second = start_review(pep, manager)

    assert second.pk == first.pk
    assert QaReview.objects.filter(pep=pep).count() == 1
    assert AreaRating.objects.filter(review__pep=pep).count() == 8


@pytest.fixture
def lead_holding_the_case(lead):
    """A PEP on the lead practitioner's own caseload: only the own-PEP rule stops them."""
    return PepFactory(child=ChildFactory(allocated_officer=lead))


@pytest.mark.parametrize(
    ("pep_fixture", "reviewer_fixture", "status"),
    [
        pytest.param("lead_holding_the_case", "lead", PepStatus.SUBMITTED, id="own PEP"),
        pytest.param("pep", "officer", PepStatus.SUBMITTED, id="officer role"),
        pytest.param("pep", "administrator", PepStatus.SUBMITTED, id="administrator role"),
        pytest.param("pep", "manager", PepStatus.DRAFT, id="draft PEP"),
        pytest.param("pep", "other_manager", PepStatus.SUBMITTED, id="manager of another team"),
    ],
)
def test_start_review_refuses(request, pep_fixture, reviewer_fixture, status):
    pep = request.getfixturevalue(pep_fixture)
    reviewer = request.getfixturevalue(reviewer_fixture)
    pep.status = status
    pep.save()

    with pytest.raises(PermissionDenied):
        start_review(pep, reviewer)
    assert not QaReview.objects.exists()


# save_review: drafts and failed submits


def test_saving_a_draft_keeps_partial_ratings_and_leaves_the_pep_alone(pep, manager, rate_all):
    review = start_review(pep, manager)
    partial = [GOLD, "", AMBER, "", "", RED, "", ""]

    save_review(review, rate_all(review, partial), strengths="s", development_points="d", submit=False)

    review.refresh_from_db()
    pep.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.overall_judgement == ""
    assert review.submitted_at is None
    assert (review.strengths, review.development_points) == ("s", "d")
    assert _ratings(review) == partial
    assert pep.status == PepStatus.SUBMITTED
    assert pep.judgement == ""
    assert not PepStatusChange.objects.filter(pep=pep).exists()


def test_submit_with_an_unrated_area_saves_nothing(pep, manager, rate_all):
    review = start_review(pep, manager)
    draft = [GOLD, GREEN, "", "", "", "", "", ""]
    save_review(review, rate_all(review, draft), strengths="before", development_points="", submit=False)
    attempt = [RED, RED, RED, RED, RED, RED, RED, ""]

    with pytest.raises(ValidationError):
        save_review(review, rate_all(review, attempt), strengths="after", development_points="x", submit=True)

    review.refresh_from_db()
    pep.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.overall_judgement == ""
    assert review.needs_amendment is False
    assert review.strengths == "before"
    assert _ratings(review) == draft  # the bulk_update was rolled back with the rest
    assert pep.status == PepStatus.SUBMITTED
    assert pep.judgement == ""
    assert not PepStatusChange.objects.exists()


def test_submitted_review_is_frozen(pep, manager, rate_all):
    review = start_review(pep, manager)
    _submit(review, rate_all(review, [GREEN] * 8))

    with pytest.raises(ValidationError):
        _submit(review, rate_all(review, [RED] * 8))
    review.refresh_from_db()
    assert review.overall_judgement == Rating.GREEN
    assert _ratings(review) == [GREEN] * 8


# save_review: submitting


def test_submitting_all_green_finalises_the_pep(pep, manager, rate_all):
    review = start_review(pep, manager)

    _submit(review, rate_all(review, [GREEN] * 8))

    review.refresh_from_db()
    pep.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    assert review.submitted_at is not None
    assert review.overall_judgement == Rating.GREEN
    assert review.needs_amendment is False
    assert pep.status == PepStatus.FINALISED
    assert pep.judgement == Rating.GREEN
    # Completion is when the DT and SW completed the PEP, not the QA date.
    assert pep.date_completed is None
    change = PepStatusChange.objects.get(pep=pep)
    assert (change.from_status, change.to_status) == (PepStatus.SUBMITTED, PepStatus.FINALISED)
    assert change.changed_by == manager


def test_submitting_a_red_amber_majority_returns_the_pep(pep, manager, rate_all):
    review = start_review(pep, manager)
    ratings = [AMBER, GOLD, RED, GREEN, AMBER, RED, GOLD, AMBER]  # 5 of 8 amber or red

    _submit(review, rate_all(review, ratings))

    review.refresh_from_db()
    pep.refresh_from_db()
    assert review.needs_amendment is True
    assert review.overall_judgement == Rating.AMBER
    assert pep.status == PepStatus.RETURNED
    assert pep.judgement == Rating.AMBER
    assert pep.date_completed is None
    expected = [
        area_rating.pk
        for area_rating, rating in zip(review.area_ratings.order_by("area__position"), ratings, strict=True)
        if rating in (AMBER, RED)
    ]
    assert [r.pk for r in areas_to_amend(review.area_ratings.all())] == expected
    change = PepStatusChange.objects.get(pep=pep)
    assert change.to_status == PepStatus.RETURNED
    for area_rating in areas_to_amend(review.area_ratings.all()):
        assert area_rating.area.title in change.note


def test_lead_sample_submission_leaves_the_pep_status_alone(pep, lead, rate_all):
    review = start_review(pep, lead)
    assert review.kind == ReviewKind.LEAD_SAMPLE

    _submit(review, rate_all(review, [RED] * 8))

    review.refresh_from_db()
    pep.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    # A lead practitioner rates the areas they lead on: no overall judgement.
    assert review.overall_judgement == ""
    assert review.needs_amendment is False
    assert pep.status == PepStatus.SUBMITTED
    assert pep.judgement == ""
    assert not PepStatusChange.objects.exists()


# mark_amended


def test_mark_amended_resubmits_a_returned_pep(pep, manager, officer, rate_all):
    review = start_review(pep, manager)
    _submit(review, rate_all(review, [RED] * 8))
    pep.refresh_from_db()
    assert pep.status == PepStatus.RETURNED

    result = mark_amended(pep, by=officer)

    pep.refresh_from_db()
    assert result.status == pep.status == PepStatus.SUBMITTED
    latest = PepStatusChange.objects.filter(pep=pep).order_by("-pk").first()
    assert (latest.from_status, latest.to_status) == (PepStatus.RETURNED, PepStatus.SUBMITTED)
    assert latest.changed_by == officer
    # Back in the queue: the manager can QA it again, on a fresh draft.
    again = start_review(pep, manager)
    assert again.pk != review.pk and again.status == ReviewStatus.DRAFT


@pytest.mark.parametrize("status", [PepStatus.DRAFT, PepStatus.SUBMITTED, PepStatus.FINALISED])
def test_mark_amended_refuses_a_pep_not_returned(pep, officer, status):
    pep.status = status
    pep.save()

    with pytest.raises(ValidationError):
        mark_amended(pep, by=officer)

    pep.refresh_from_db()
    assert pep.status == status
    assert not PepStatusChange.objects.exists()


# Pro-forma versions


def test_a_review_keeps_its_pro_forma_version(pep, manager, officer, rate_all):
    v1 = ProForma.objects.current_for(Phase.SSA)
    old = start_review(pep, manager)
    assert old.pro_forma == v1

    v2 = ProFormaFactory(phase=Phase.SSA)
    assert v2.version == v1.version + 1
    assert ProForma.objects.current_for(Phase.SSA) == v2

    old.refresh_from_db()
    assert old.pro_forma == v1
    assert set(old.area_ratings.values_list("area__pro_forma", flat=True)) == {v1.pk}
    # Resuming and submitting the old draft stays on v1.
    assert start_review(pep, manager).pro_forma == v1
    _submit(old, rate_all(old, [GOLD] * 8))
    old.refresh_from_db()
    assert old.pro_forma == v1 and old.overall_judgement == Rating.GOLD

    newer_pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term)
    new = start_review(newer_pep, manager)
    assert new.pro_forma == v2
    assert set(new.area_ratings.values_list("area__pro_forma", flat=True)) == {v2.pk}
    assert new.area_ratings.count() == v2.areas.count() == 8


def test_a_stale_copy_cannot_resubmit_a_submitted_review(pep, manager, rate_all):
    review = start_review(pep, manager)
    stale = QaReview.objects.get(pk=review.pk)  # loaded by a second request
    _submit(review, rate_all(review, [GREEN] * 8))

    resubmitted = True
    try:
        _submit(stale, rate_all(stale, [RED] * 8))
    except ValidationError:
        resubmitted = False

    review.refresh_from_db()
    pep.refresh_from_db()
    assert not resubmitted
    assert review.overall_judgement == Rating.GREEN
    assert pep.status == PepStatus.FINALISED
    assert PepStatusChange.objects.filter(pep=pep).count() == 1


# One line-management outcome per PEP per QA round


def _snapshot(pep, review):
    pep.refresh_from_db()
    review.refresh_from_db()
    return (
        pep.status,
        pep.judgement,
        list(PepStatusChange.objects.filter(pep=pep).values_list("pk", flat=True)),
        review.status,
        review.version,
        _ratings(review),
    )


def test_a_stale_draft_cannot_re_judge_a_pep_another_manager_finalised(pep, manager, vsh, rate_all):
    """Defect: a draft opened before another manager's outcome, submitted after it,
    returned the finalised PEP."""
    stale = start_review(pep, manager)
    theirs = start_review(pep, vsh)
    _submit(theirs, rate_all(theirs, [GOLD] * 8))
    before = _snapshot(pep, stale)
    assert before[0] == PepStatus.FINALISED

    with pytest.raises(ValidationError) as refused:
        _submit(stale, rate_all(stale, [RED] * 8))

    assert refused.value.messages == [
        f"This PEP was finalised by {vsh} and is no longer awaiting QA, so this review was not "
        "submitted: your draft was kept."
    ]
    assert _snapshot(pep, stale) == before  # the PEP as finalised; the draft as it was


def test_a_stale_draft_cannot_re_judge_a_returned_pep(pep, manager, vsh, rate_all):
    stale = start_review(pep, manager)
    theirs = start_review(pep, vsh)
    _submit(theirs, rate_all(theirs, [RED] * 8))
    before = _snapshot(pep, stale)

    with pytest.raises(ValidationError, match=f"returned to the DT and SW for amendment by {vsh}"):
        _submit(stale, rate_all(stale, [GOLD] * 8))
    assert _snapshot(pep, stale) == before


def test_a_draft_cannot_be_submitted_after_finalise_without_qa(pep, manager, vsh, rate_all):
    draft = start_review(pep, manager)
    finalise_pep(pep, by=vsh)
    before = _snapshot(pep, draft)

    with pytest.raises(ValidationError, match=f"finalised by {vsh} and is no longer awaiting QA"):
        _submit(draft, rate_all(draft, [RED] * 8))
    assert _snapshot(pep, draft) == before
    # Saving it as a draft is still allowed: nothing typed need be lost.
    save_review(draft, rate_all(draft, [RED] * 8), strengths="", development_points="", submit=False)
    assert _ratings(draft) == [RED] * 8 and PepStatusChange.objects.filter(pep=pep).count() == 1


def test_a_reviewer_who_may_no_longer_review_cannot_submit(pep, manager, rate_all):
    draft = start_review(pep, manager)
    manager.is_active = False
    manager.save()

    with pytest.raises(ValidationError, match="You can no longer review this PEP"):
        _submit(draft, rate_all(draft, [GOLD] * 8))
    pep.refresh_from_db()
    assert pep.status == PepStatus.SUBMITTED and not PepStatusChange.objects.exists()


def test_each_qa_round_has_its_number_and_one_outcome(pep, manager, officer, vsh, rate_all):
    first = start_review(pep, manager)
    _submit(first, rate_all(first, [RED] * 8))
    mark_amended(pep, by=officer)
    second = start_review(pep, manager)
    _submit(second, rate_all(second, [GREEN] * 8))
    moderation = start_review(pep, vsh, kind=ReviewKind.MODERATION)
    _submit(moderation, rate_all(moderation, [GOLD] * 8))

    assert [(r.pk, r.qa_round) for r in QaReview.objects.order_by("pk")] == [
        (first.pk, 1),
        (second.pk, 2),
        (moderation.pk, None),
    ]
    # The database refuses a second outcome for a round, whatever the services let by.
    with pytest.raises(IntegrityError), transaction.atomic():
        QaReview.objects.filter(pk=second.pk).update(qa_round=1)


# Two tabs of one draft


def test_a_save_from_a_form_opened_before_the_last_save_is_refused(pep, manager, rate_all):
    review = start_review(pep, manager)
    opened = review.version
    stale = QaReview.objects.get(pk=review.pk)  # the second tab's copy
    save_review(
        review,
        rate_all(review, [GOLD] * 8, comment="tab 1"),
        strengths="Tab 1",
        development_points="",
        submit=False,
        version=opened,
    )
    assert QaReview.objects.get(pk=review.pk).version == opened + 1

    for submit in (False, True):
        with pytest.raises(ReviewChangedElsewhere, match="changed in another tab or window") as refused:
            save_review(
                stale,
                rate_all(stale, [RED] * 8, comment="tab 2"),
                strengths="Tab 2",
                development_points="",
                submit=submit,
                version=opened,
            )
        assert refused.value.current_version == opened + 1

    review.refresh_from_db()
    assert (review.status, review.strengths, review.version) == (ReviewStatus.DRAFT, "Tab 1", opened + 1)
    assert _ratings(review) == [GOLD] * 8
    assert set(review.area_ratings.values_list("comment", flat=True)) == {"tab 1"}


# submit_review: the confirmation page's submit


def test_submit_review_submits_the_draft_as_saved(pep, manager, rate_all):
    review = start_review(pep, manager)
    save_review(review, rate_all(review, [GREEN] * 8), strengths="S", development_points="D", submit=False)
    review.refresh_from_db()

    submit_review(review, version=review.version)

    review.refresh_from_db()
    pep.refresh_from_db()
    assert (review.status, review.overall_judgement, review.strengths, review.development_points) == (
        ReviewStatus.SUBMITTED,
        Rating.GREEN,
        "S",
        "D",
    )
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, Rating.GREEN)


def test_submit_review_refuses_a_version_saved_since(pep, manager, rate_all):
    review = start_review(pep, manager)
    save_review(review, rate_all(review, [GREEN] * 8), strengths="", development_points="", submit=False)
    shown = QaReview.objects.get(pk=review.pk)  # the confirmation page, as it read the draft
    save_review(review, rate_all(review, [RED] * 8), strengths="", development_points="", submit=False)

    with pytest.raises(ReviewChangedElsewhere):
        submit_review(shown, version=shown.version)

    review.refresh_from_db()
    pep.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT and pep.status == PepStatus.SUBMITTED


@pytest.mark.parametrize(
    ("kind", "ratings", "expected"),
    [
        (ReviewKind.LINE_MANAGEMENT, [GREEN] * 7 + [AMBER], (Rating.GREEN, False)),
        (ReviewKind.LINE_MANAGEMENT, [RED] * 5 + [GOLD] * 3, (Rating.RED, True)),
        (ReviewKind.MODERATION, [AMBER] * 5 + [GOLD] * 3, (Rating.AMBER, True)),
        (ReviewKind.LEAD_SAMPLE, [RED] * 3, (None, False)),
    ],
)
def test_judge_is_the_rules_and_a_lead_review_has_no_judgement(kind, ratings, expected):
    outcome = judge(kind, ratings)
    assert (outcome.judgement, outcome.needs_amendment) == expected


# correct_review


def _submitted(pep, reviewer, ratings, rate_all):
    review = start_review(pep, reviewer)
    _submit(review, rate_all(review, ratings, comment="first"))
    review.refresh_from_db()
    return review


def _correct(review, ratings, by, rate_all, reason="Typed into the wrong area.", **kwargs):
    kwargs.setdefault("version", QaReview.objects.get(pk=review.pk).version)
    kwargs.setdefault("strengths", review.strengths)
    kwargs.setdefault("development_points", review.development_points)
    return correct_review(review, rate_all(review, ratings, comment="corrected"), reason=reason, by=by, **kwargs)


def test_a_correction_that_clears_the_amendment_finalises_the_returned_pep(pep, manager, rate_all):
    review = _submitted(pep, manager, [RED] * 5 + [GREEN] * 3, rate_all)
    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.RETURNED, Rating.RED)

    correction = _correct(review, [GREEN] * 8, manager, rate_all, reason="Rated the previous PEP by mistake")

    review.refresh_from_db()
    pep.refresh_from_db()
    assert (review.status, review.overall_judgement, review.needs_amendment) == (
        ReviewStatus.SUBMITTED,
        Rating.GREEN,
        False,
    )
    assert _ratings(review) == [GREEN] * 8
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, Rating.GREEN)
    # The record: who, why, before and after.
    assert (correction.corrected_by, correction.reason) == (manager, "Rated the previous PEP by mistake")
    assert (correction.judgement_before, correction.judgement_after) == (Rating.RED, Rating.GREEN)
    assert (correction.needs_amendment_before, correction.needs_amendment_after) == (True, False)
    assert [a["rating"] for a in correction.areas_before] == [RED] * 5 + [GREEN] * 3
    assert [a["rating"] for a in correction.areas_after] == [GREEN] * 8
    assert [a["position"] for a in correction.areas_after] == list(range(1, 9))
    assert {a["comment"] for a in correction.areas_before} == {"first"}
    assert [c["position"] for c in correction.area_changes] == list(range(1, 9))  # every comment changed
    assert correction.outcome_changed and correction.judgement_changed
    # The PEP's history: the correction moved it, and says so and why.
    change = correction.status_change
    assert (change.from_status, change.to_status, change.changed_by) == (
        PepStatus.RETURNED,
        PepStatus.FINALISED,
        manager,
    )
    assert "was corrected" in change.note and "Rated the previous PEP by mistake." in change.note
    assert "QA judgement Green. Finalised." in change.note
    assert review.version == QaReview.objects.get(pk=review.pk).version


def test_a_correction_that_needs_amendment_returns_the_finalised_pep(pep, manager, vsh, rate_all):
    review = _submitted(pep, manager, [GREEN] * 8, rate_all)

    correction = _correct(review, [AMBER] * 5 + [GREEN] * 3, vsh, rate_all)

    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.RETURNED, Rating.AMBER)
    change = correction.status_change
    assert (change.from_status, change.to_status, change.changed_by) == (
        PepStatus.FINALISED,
        PepStatus.RETURNED,
        vsh,
    )
    assert "Returned to the DT and SW to amend" in change.note
    # Amended after the correction's return: the next QA round, as after any return.
    assert qa_round(pep) == 1
    mark_amended(pep, by=manager)
    assert qa_round(pep) == 2


def test_a_correction_within_the_outcome_changes_the_judgement_not_the_status(pep, manager, rate_all):
    review = _submitted(pep, manager, [GREEN] * 7 + [AMBER], rate_all)

    correction = _correct(review, [GOLD] * 7 + [GREEN], manager, rate_all)

    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, Rating.GOLD)
    assert correction.status_change is None and not correction.outcome_changed
    assert PepStatusChange.objects.filter(pep=pep).count() == 1  # the review's own


def test_correcting_an_earlier_rounds_review_leaves_the_pep_where_it_is(pep, manager, officer, rate_all):
    first = _submitted(pep, manager, [RED] * 8, rate_all)
    mark_amended(pep, by=officer)
    second = _submitted(pep, manager, [GREEN] * 8, rate_all)

    correction = _correct(first, [GOLD] * 8, manager, rate_all)

    first.refresh_from_db()
    pep.refresh_from_db()
    assert (first.overall_judgement, first.needs_amendment) == (Rating.GOLD, False)
    # The PEP keeps round 2's judgement and status.
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, second.overall_judgement)
    assert correction.status_change is None and correction.outcome_changed


def test_correcting_a_returned_review_after_the_pep_was_amended_moves_nothing(pep, manager, officer, rate_all):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    mark_amended(pep, by=officer)  # awaiting QA round 2

    correction = _correct(review, [GREEN] * 8, manager, rate_all)

    pep.refresh_from_db()
    # Still the latest line-management review: the PEP carries its judgement, but it has
    # moved on (amended, awaiting QA), so its status stays.
    assert (pep.status, pep.judgement) == (PepStatus.SUBMITTED, Rating.GREEN)
    assert correction.status_change is None


def test_a_lead_review_is_corrected_without_a_judgement(pep, lead, rate_all):
    review = _submitted(pep, lead, [RED] * 8, rate_all)

    correction = _correct(review, [GOLD] * 8, lead, rate_all)

    review.refresh_from_db()
    pep.refresh_from_db()
    assert (review.overall_judgement, review.needs_amendment, _ratings(review)) == ("", False, [GOLD] * 8)
    assert (correction.judgement_before, correction.judgement_after) == ("", "")
    assert (pep.status, pep.judgement) == (PepStatus.SUBMITTED, "")


def _unchanged(review, pep):
    review.refresh_from_db()
    pep.refresh_from_db()
    return (review.version, review.overall_judgement, _ratings(review), pep.status, pep.judgement)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reason": "   "}, "Enter why you are correcting this review"),
        ({"ratings": [GREEN] * 7 + [""]}, "Select a rating for"),
        ({"ratings": [GREEN] * 7 + ["purple"]}, "Select a rating for"),
        ({"ratings": [RED] * 8, "same": True}, "Nothing was changed"),
    ],
)
def test_a_correction_refused_saves_nothing(pep, manager, rate_all, change, message):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    before = _unchanged(review, pep)
    ratings = change.get("ratings", [GREEN] * 8)
    areas = rate_all(review, ratings, comment="first" if change.get("same") else "corrected")
    if "purple" in ratings:
        last = max(areas)
        areas[last] = AreaInput(rating="purple", comment="x")

    with pytest.raises(ValidationError, match=message):
        correct_review(
            review,
            areas,
            strengths=review.strengths,
            development_points=review.development_points,
            reason=change.get("reason", "Because"),
            by=manager,
            version=review.version,
        )

    assert _unchanged(review, pep) == before
    assert not ReviewCorrection.objects.exists()


def test_only_a_submitted_review_is_corrected(pep, manager, rate_all):
    draft = start_review(pep, manager)

    with pytest.raises(ValidationError, match="still a draft"):
        _correct(draft, [GREEN] * 8, manager, rate_all)
    assert not ReviewCorrection.objects.exists()


@pytest.mark.parametrize("who", ["officer", "other_manager", "lead", "administrator"])
def test_a_correction_by_someone_not_allowed_is_refused(request, pep, manager, rate_all, who):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    before = _unchanged(review, pep)

    with pytest.raises(PermissionDenied):
        _correct(review, [GREEN] * 8, request.getfixturevalue(who), rate_all)

    assert _unchanged(review, pep) == before
    assert not ReviewCorrection.objects.exists()


def test_a_correction_from_a_form_opened_before_another_correction_is_refused(pep, manager, vsh, rate_all):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    opened = review.version
    _correct(review, [GREEN] * 8, manager, rate_all, version=opened)

    with pytest.raises(ReviewCorrectedElsewhere, match="corrected by someone else") as refused:
        _correct(review, [AMBER] * 8, vsh, rate_all, version=opened)

    assert refused.value.current_version == opened + 1
    review.refresh_from_db()
    assert _ratings(review) == [GREEN] * 8
    assert list(ReviewCorrection.objects.values_list("corrected_by", flat=True)) == [manager.pk]


def test_a_corrected_review_cannot_be_saved_as_a_draft_again(pep, manager, rate_all):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    _correct(review, [GREEN] * 8, manager, rate_all)

    with pytest.raises(ValidationError, match="already been submitted"):
        _submit(review, rate_all(review, [RED] * 8))


# A correction that changes the outcome tells the DT and SW


def _notices(pep):
    return list(Notice.objects.filter(pep=pep).order_by("pk").values_list("kind", flat=True))


def test_a_correction_that_finalises_withdraws_the_amendment_and_says_so(pep, manager, vsh, rate_all):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    amendment = Amendment.objects.get(pep=pep)
    assert amendment.is_open and _notices(pep) == [NoticeKind.RETURNED]

    _correct(review, [GREEN] * 7 + [AMBER], vsh, rate_all, reason="The ratings of another child's PEP")

    amendment.refresh_from_db()
    assert amendment.withdrawn_at is not None and not amendment.is_open
    assert _notices(pep) == [NoticeKind.RETURNED, NoticeKind.OUTCOME_CHANGED]
    notice = Notice.objects.filter(kind=NoticeKind.OUTCOME_CHANGED).get()
    child = pep.child
    assert notice.email.to == [child.designated_teacher.email, child.social_worker.email]
    assert notice.email.cc == [pep.officer.email]
    assert notice.caused_by == vsh
    initials = f"{child.first_name[0]}{child.last_name[0]}".upper()
    assert (
        notice.email.subject
        == f"PEP no longer needs amending: {child.la_reference} ({initials}), {pep.term} – QA review corrected"
    )
    body = notice.email.message
    assert "no longer needs amending: it is now finalised, judged Green (it was Red)" in body
    assert "The ratings of another child's PEP" in body
    assert "Red -> Green" in body and "Red -> Amber" in body
    assert child.first_name not in body and child.last_name not in body


def test_the_outcome_changed_message_names_the_child_where_the_mail_route_is_secure(
    pep, manager, vsh, rate_all, settings
):
    settings.MAIL_ROUTE_SECURE = True
    review = _submitted(pep, manager, [RED] * 8, rate_all)

    _correct(review, [GREEN] * 8, vsh, rate_all)

    email = Notice.objects.get(kind=NoticeKind.OUTCOME_CHANGED).email
    assert pep.child.full_name in email.subject and pep.child.full_name in email.message


def test_a_correction_that_returns_opens_the_amendment_due_from_now(pep, manager, rate_all):
    review = _submitted(pep, manager, [GREEN] * 8, rate_all)
    QaReview.objects.filter(pk=review.pk).update(submitted_at=timezone.now() - timedelta(days=60))
    assert not Amendment.objects.exists() and _notices(pep) == []

    correction = _correct(review, [AMBER] * 8, manager, rate_all)

    amendment = Amendment.objects.get(pep=pep)
    assert amendment.is_open and amendment.review == review
    assert amendment.requested_at == correction.status_change.changed_at  # not the review's submission
    assert amendment.due_on > timezone.localdate()
    assert _notices(pep) == [NoticeKind.RETURNED]
    body = Notice.objects.get().email.message
    assert body.count("– rated Amber") == 8  # the corrected areas to amend


def test_returned_finalised_and_returned_again_by_corrections_reopens_the_same_amendment(pep, manager, rate_all):
    review = _submitted(pep, manager, [RED] * 8, rate_all)
    _correct(review, [GREEN] * 8, manager, rate_all)
    _correct(review, [RED] * 8, manager, rate_all)

    amendment = Amendment.objects.get(pep=pep)
    assert amendment.is_open and amendment.review == review
    assert _notices(pep) == [NoticeKind.RETURNED, NoticeKind.OUTCOME_CHANGED, NoticeKind.RETURNED]
    pep.refresh_from_db()
    assert pep.status == PepStatus.RETURNED


def test_a_correction_that_keeps_the_outcome_tells_nobody(pep, manager, rate_all):
    review = _submitted(pep, manager, [RED] * 8, rate_all)

    _correct(review, [AMBER] * 8, manager, rate_all)

    assert _notices(pep) == [NoticeKind.RETURNED]
    assert Amendment.objects.get(pep=pep).is_open
