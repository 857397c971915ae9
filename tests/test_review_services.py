"""reviews.services: starting, saving and submitting QA reviews, and what they do to the PEP."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.vocabulary import Phase, Rating
from peps.models import PepStatus, PepStatusChange
from reviews.models import AreaRating, ProForma, QaReview, ReviewKind, ReviewStatus
from reviews.services import areas_to_amend, mark_amended, save_review, start_review

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
