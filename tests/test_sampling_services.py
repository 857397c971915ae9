"""sampling.services: drawing and topping up the termly samples, and what reviews do to them."""

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from math import ceil
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import LeadArea, User
from audit.models import AuditEntry
from core.vocabulary import Role, Season
from peps.models import Pep, PepStatus, PepStatusChange
from peps.services import open_pep, submit_pep
from reviews.models import ReviewKind, ReviewStatus
from reviews.services import correct_review, mark_amended, save_review, start_review
from sampling.models import ModerationGroup, Sample, SampleEntry, SampleKind
from sampling.rules import Reason
from sampling.services import (
    SettledElsewhere,
    bookkeeping,
    current_settlement,
    draw_term_samples,
    finalise_pep,
    settle_disagreement,
    start_entry_review,
)

from .factories import (
    ChildFactory,
    ModerationGroupFactory,
    PepFactory,
    QaReviewFactory,
    TermFactory,
    UserFactory,
    rate_all,
)

pytestmark = pytest.mark.django_db

GOLD, GREEN, AMBER, RED = "gold", "green", "amber", "red"
LONG_AGO = date(1995, 1, 1)


def _submit(review, ratings):
    return save_review(review, rate_all(review, ratings), strengths="", development_points="", submit=True)


def _lm_review(pep, manager, ratings=(GREEN,) * 8):
    return _submit(start_review(pep, manager), list(ratings))


def _caseload(officer, term, count, send=0):
    """``count`` submitted PEPs this term for new children on the officer's caseload, the
    first ``send`` of them children with SEND."""
    return [
        PepFactory(
            child=ChildFactory(allocated_officer=officer, has_send=i < send), term=term, status=PepStatus.SUBMITTED
        )
        for i in range(count)
    ]


def _with_previous(peps, prev, judgements):
    """Give the first children of ``peps`` a last-term PEP, held by the same officer, with these judgements."""
    for pep, judgement in zip(peps, judgements, strict=False):
        PepFactory(child=pep.child, term=prev, officer=pep.officer, status=PepStatus.FINALISED, judgement=judgement)


def _lm_entries(officer, term):
    return SampleEntry.objects.filter(
        sample__term=term, sample__kind=SampleKind.LINE_MANAGEMENT, sample__officer=officer
    )


def _chosen(term):
    return set(
        SampleEntry.objects.filter(sample__term=term).values_list(
            "sample__kind",
            "sample__officer",
            "sample__lead_area",
            "sample__reviewer",
            "sample__group",
            "pep",
            "reason",
        )
    )


@pytest.fixture
def school():
    """Spring 2000/01 after Autumn 2000/01; two managers; three active officers and an inactive one.

    - ``new_starter`` (manager m1) started ten days into the term: 6 PEPs of their own children,
      plus ``moved``, a child rated Red last term under ``normal``: 7 PEPs, rate 1/2, minimum 4.
    - ``concern`` (manager m2): 8 PEPs; last term Amber, Red, Amber, Green, Green (3/5 > 1/3): rate 1/2,
      minimum 4, three previous Amber/Red children.
    - ``normal`` (manager m1): 9 PEPs; last term Amber, Green, Green, Gold, Green and the moved child's
      Red: 2/6, exactly the concern share, so not raised: rate 1/4, minimum 3, one previous Amber child.
    - a lead practitioner who leads on SEND; three SEND children per officer.
    """
    prev = TermFactory(academic_year=2000, season=Season.AUTUMN)
    term = TermFactory(academic_year=2000, season=Season.SPRING)
    m1 = UserFactory(role=Role.MANAGER, username="m1", start_date=LONG_AGO)
    m2 = UserFactory(role=Role.MANAGER, username="m2", start_date=LONG_AGO)
    new_starter = UserFactory(username="new", line_manager=m1, start_date=term.start_date + timedelta(days=10))
    concern = UserFactory(username="concern", line_manager=m2, start_date=LONG_AGO)
    normal = UserFactory(username="normal", line_manager=m1, start_date=LONG_AGO)
    gone = UserFactory(username="gone", line_manager=m2, start_date=LONG_AGO, is_active=False)

    peps = {
        new_starter: _caseload(new_starter, term, 6, send=3),
        concern: _caseload(concern, term, 8, send=3),
        normal: _caseload(normal, term, 9, send=3),
    }
    _caseload(gone, term, 4)
    _with_previous(peps[concern], prev, [AMBER, RED, AMBER, GREEN, GREEN])
    _with_previous(peps[normal], prev, [AMBER, GREEN, GREEN, GOLD, GREEN])
    moved_child = ChildFactory(allocated_officer=new_starter)
    PepFactory(child=moved_child, term=prev, officer=normal, status=PepStatus.FINALISED, judgement=RED)
    moved = PepFactory(child=moved_child, term=term, status=PepStatus.SUBMITTED)
    peps[new_starter].append(moved)
    # A child seen last term but never QA'd: no judgement, so not a previous Amber.
    PepFactory(child=peps[normal][5].child, term=prev, officer=normal, status=PepStatus.SUBMITTED, judgement="")

    lead = UserFactory(role=Role.LEAD, username="lead")
    send = LeadArea.objects.get(code="send")
    lead.lead_areas.add(send)
    return SimpleNamespace(
        prev=prev,
        term=term,
        m1=m1,
        m2=m2,
        new_starter=new_starter,
        concern=concern,
        normal=normal,
        gone=gone,
        peps=peps,
        moved=moved,
        lead=lead,
        send=send,
        amber={
            new_starter: {moved.pk},
            concern: {p.pk for p in peps[concern][:3]},
            normal: {peps[normal][0].pk},
        },
    )


# Line management


@pytest.mark.parametrize(
    ("who", "rate", "reason", "minimum"),
    [
        ("new_starter", Decimal("0.5"), Reason.NEW_STARTER, 4),
        ("concern", Decimal("0.5"), Reason.QUALITY_CONCERN, 4),
        ("normal", Decimal("0.25"), Reason.RANDOM_SHARE, 3),
    ],
)
def test_line_management_sample_per_officer(school, who, rate, reason, minimum):
    draw_term_samples(school.term)

    officer = getattr(school, who)
    caseload = len(school.peps[officer])
    sample = Sample.objects.get(term=school.term, kind=SampleKind.LINE_MANAGEMENT, officer=officer)
    assert (sample.rate, sample.rate_reason) == (rate, reason)
    assert (sample.caseload_size, sample.minimum_size) == (caseload, minimum)
    assert minimum == ceil(rate * caseload)
    assert sample.reviewer == officer.line_manager

    entries = list(_lm_entries(officer, school.term))
    assert len(entries) == max(minimum, len(school.amber[officer]))
    assert {e.pep_id for e in entries} <= {p.pk for p in school.peps[officer]}
    assert {e.pep_id for e in entries if e.reason == Reason.PREVIOUS_AMBER} == school.amber[officer]
    assert {e.reason for e in entries} - {Reason.PREVIOUS_AMBER} <= {reason}
    due = school.term.pep_deadline + timedelta(days=settings.QA_DUE_DAYS_AFTER_DEADLINE)
    assert due <= school.term.end_date
    assert all(e.assigned_to == officer.line_manager and e.due_date == due for e in entries)


def test_line_management_samples_only_active_officers(school):
    draw_term_samples(school.term)

    officers = set(
        Sample.objects.filter(term=school.term, kind=SampleKind.LINE_MANAGEMENT).values_list("officer", flat=True)
    )
    assert officers == {school.new_starter.pk, school.concern.pk, school.normal.pk}


def test_a_draw_is_reproducible(school):
    draw_term_samples(school.term)
    first = _chosen(school.term)
    Sample.objects.all().delete()

    draw_term_samples(school.term)

    assert _chosen(school.term) == first
    assert len(first) > 0


def test_drawing_twice_adds_nothing(school):
    first = draw_term_samples(school.term)
    before = _chosen(school.term)

    second = draw_term_samples(school.term)

    assert first.entries_created == len(before) > 0
    assert (second.samples_created, second.entries_created) == (0, 0)
    assert _chosen(school.term) == before
    assert Sample.objects.filter(term=school.term).count() == first.samples_created


def test_a_bigger_caseload_tops_the_sample_up_by_the_shortfall(school):
    draw_term_samples(school.term)
    old = set(_lm_entries(school.normal, school.term).values_list("pk", flat=True))
    assert len(old) == 3
    _caseload(school.normal, school.term, 4)  # 13 PEPs: minimum ceil(13/4) = 4

    result = draw_term_samples(school.term)

    sample = Sample.objects.get(term=school.term, kind=SampleKind.LINE_MANAGEMENT, officer=school.normal)
    now = set(_lm_entries(school.normal, school.term).values_list("pk", flat=True))
    assert result.entries_created == 1
    assert old < now and len(now) == 4
    assert (sample.caseload_size, sample.minimum_size) == (13, 4)
    assert sample.topped_up_at is not None


def test_a_previous_amber_childs_late_pep_is_added_even_when_the_minimum_is_met(school):
    child = ChildFactory(allocated_officer=school.normal)
    PepFactory(child=child, term=school.prev, officer=school.normal, status=PepStatus.FINALISED, judgement=AMBER)
    draw_term_samples(school.term)
    late = PepFactory(child=child, term=school.term, status=PepStatus.SUBMITTED)  # 10 PEPs: minimum still 3

    result = draw_term_samples(school.term)

    assert result.entries_created == 1
    assert _lm_entries(school.normal, school.term).get(pep=late).reason == Reason.PREVIOUS_AMBER


# Lead areas


def test_a_lead_samples_only_their_areas_peps(school):
    draw_term_samples(school.term)

    sample = Sample.objects.get(term=school.term, kind=SampleKind.LEAD_AREA)  # only SEND has a lead
    assert sample.lead_area == school.send and sample.reviewer == school.lead
    entries = list(sample.entries.select_related("pep__child"))
    assert len(entries) == 5 == settings.QA_SAMPLING["lead_sample_size"]
    assert all(e.pep.child.has_send and e.pep.term == school.term for e in entries)
    assert all(e.assigned_to == school.lead and e.reason == Reason.LEAD_AREA for e in entries)
    assert all(e.due_date == school.term.end_date for e in entries)


def test_a_lead_area_with_few_children_samples_them_all(school):
    lead = UserFactory(role=Role.LEAD)
    lead.lead_areas.add(LeadArea.objects.get(code="pupil-premium-plus"))
    Pep.objects.filter(pk__in=[school.peps[school.normal][1].pk, school.moved.pk]).update(pp_plus_requested=True)

    draw_term_samples(school.term)

    sample = Sample.objects.get(term=school.term, kind=SampleKind.LEAD_AREA, lead_area__code="pupil-premium-plus")
    assert set(sample.entries.values_list("pep", flat=True)) == {school.peps[school.normal][1].pk, school.moved.pk}


def test_a_lead_review_rates_only_the_lead_areas_and_gives_no_judgement(school):
    draw_term_samples(school.term)
    entry = SampleEntry.objects.filter(sample__kind=SampleKind.LEAD_AREA).first()

    review = start_entry_review(entry, school.lead)

    assert review.kind == ReviewKind.LEAD_SAMPLE
    positions = sorted(review.area_ratings.values_list("area__position", flat=True))
    assert positions == school.send.rated_positions == [2, 3, 4, 7]
    _submit(review, [GREEN, RED, RED, AMBER])
    review.refresh_from_db()
    entry.refresh_from_db()
    pep = Pep.objects.get(pk=entry.pep_id)
    assert review.status == ReviewStatus.SUBMITTED
    assert (review.overall_judgement, review.needs_amendment) == ("", False)
    assert entry.review == review and entry.is_done
    assert (pep.status, pep.judgement) == (PepStatus.SUBMITTED, "")


# Cross-moderation


def _cross(manager, term):
    return SampleEntry.objects.filter(
        sample__term=term, sample__kind=SampleKind.CROSS_MODERATION, sample__reviewer=manager
    )


def test_cross_moderation_is_empty_before_any_review(school):
    draw_term_samples(school.term)

    samples = Sample.objects.filter(term=school.term, kind=SampleKind.CROSS_MODERATION)
    assert set(samples.values_list("reviewer", flat=True)) == {school.m1.pk, school.m2.pk}
    assert not SampleEntry.objects.filter(sample__kind=SampleKind.CROSS_MODERATION).exists()


def test_cross_moderation_gives_each_manager_other_managers_reviews_and_tops_up(school):
    draw_term_samples(school.term)
    by_m1 = [_lm_review(p, school.m1) for p in school.peps[school.normal][:2]]
    by_m2 = [_lm_review(school.peps[school.concern][0], school.m2)]

    draw_term_samples(school.term)

    m1_entries = list(_cross(school.m1, school.term))
    m2_entries = list(_cross(school.m2, school.term))
    assert {(e.pep_id, e.original_review_id) for e in m1_entries} == {(r.pep_id, r.pk) for r in by_m2}
    assert {(e.pep_id, e.original_review_id) for e in m2_entries} == {(r.pep_id, r.pk) for r in by_m1}
    assert all(e.assigned_to == school.m1 and e.reason == Reason.CROSS_MODERATION for e in m1_entries)
    assert all(e.assigned_to == school.m2 for e in m2_entries)

    by_m2 += [_lm_review(p, school.m2) for p in school.peps[school.concern][1:4]]
    result = draw_term_samples(school.term)

    now = list(_cross(school.m1, school.term))
    assert result.by_kind[SampleKind.CROSS_MODERATION] == 2
    assert len(now) == settings.QA_SAMPLING["cross_moderation_size"] == 3
    assert {e.pk for e in m1_entries} < {e.pk for e in now}
    assert all(e.original_review.reviewer == school.m2 for e in now)
    assert {e.original_review_id for e in now} <= {r.pk for r in by_m2}
    assert _cross(school.m2, school.term).count() == 2


# Moderation group


def _reviews_by(school, m1_count, m2_count):
    return [_lm_review(p, school.m1) for p in school.peps[school.normal][:m1_count]] + [
        _lm_review(p, school.m2) for p in school.peps[school.concern][:m2_count]
    ]


def _group_entries(group):
    return SampleEntry.objects.filter(sample__group=group).select_related("original_review")


def test_moderation_group_never_moderates_its_own_reviews_when_avoidable(school):
    reviews = _reviews_by(school, 2, 2)
    group = ModerationGroupFactory(members=[school.m1, school.m2])

    draw_term_samples(school.term)

    entries = list(_group_entries(group))
    assert {e.original_review_id for e in entries} == {r.pk for r in reviews}
    assert all(e.reason == Reason.MODERATION_GROUP for e in entries)
    assert all(e.assigned_to != e.original_review.reviewer for e in entries)


def test_a_group_of_one_moderates_even_its_own_reviews(school):
    _reviews_by(school, 2, 0)
    group = ModerationGroupFactory(members=[school.m1])

    draw_term_samples(school.term)

    assert [e.assigned_to for e in _group_entries(group)] == [school.m1, school.m1]


def test_moderation_group_assigns_its_members_round_robin(school):
    vsh = UserFactory(role=Role.VSH)
    _reviews_by(school, 2, 2)
    group = ModerationGroupFactory(members=[vsh, school.lead])

    draw_term_samples(school.term)

    # Neither member wrote any of the four reviews: two each.
    assert Counter(e.assigned_to for e in _group_entries(group)) == {vsh: 2, school.lead: 2}


def test_moderation_group_sample_size(school):
    _reviews_by(school, 3, 3)
    group = ModerationGroupFactory(members=[school.m1, school.m2], sample_size=4)
    inactive = ModerationGroupFactory(members=[school.m1], is_active=False)

    draw_term_samples(school.term)

    assert _group_entries(group).count() == 4
    assert not Sample.objects.filter(group=inactive).exists()


# Query count


def _school_for_query_count(officers, peps_each, year):
    prev = TermFactory(academic_year=year, season=Season.AUTUMN)
    term = TermFactory(academic_year=year, season=Season.SPRING)
    managers = [UserFactory(role=Role.MANAGER) for _ in range(2)]
    lead = UserFactory(role=Role.LEAD)
    lead.lead_areas.add(LeadArea.objects.get(code="send"), LeadArea.objects.get(code="post-16"))
    ModerationGroupFactory(members=managers)
    for i in range(officers):
        start = term.start_date if i == 0 else LONG_AGO
        officer = UserFactory(line_manager=managers[i % 2], start_date=start)
        caseload = _caseload(officer, term, peps_each, send=peps_each // 2)
        _with_previous(caseload, prev, [AMBER, GREEN, RED, GOLD] * peps_each)
        QaReviewFactory(pep=caseload[-1], reviewer=managers[i % 2], submitted=True)
    return term


def _queries(term):
    with CaptureQueriesContext(connection) as queries:
        result = draw_term_samples(term)
    return len(queries), result.entries_created


def test_draw_runs_the_same_number_of_queries_whatever_the_size():
    small = _school_for_query_count(2, 4, 2000)
    small_first, small_entries = _queries(small)
    small_second, _ = _queries(small)
    User.objects.update(is_active=False)
    ModerationGroup.objects.update(is_active=False)
    big = _school_for_query_count(6, 12, 2002)
    big_first, big_entries = _queries(big)
    big_second, _ = _queries(big)

    assert big_entries > small_entries > 0
    assert big_first == small_first
    assert big_second == small_second


# Reviews tick sample entries


def test_a_review_started_from_the_pep_page_ticks_the_entry(school):
    draw_term_samples(school.term)
    entry = _lm_entries(school.normal, school.term).first()
    assert entry.review is None

    review = _lm_review(entry.pep, school.m1)

    entry.refresh_from_db()
    assert entry.review == review and entry.is_done


def test_someone_elses_review_does_not_tick_the_entry(school):
    draw_term_samples(school.term)
    entry = _lm_entries(school.normal, school.term).first()

    _lm_review(entry.pep, UserFactory(role=Role.VSH))

    entry.refresh_from_db()
    assert entry.review is None


def test_a_draft_from_the_worklist_is_resumed_and_ticks_on_submit(school):
    draw_term_samples(school.term)
    entry = _lm_entries(school.normal, school.term).first()

    draft = start_entry_review(entry, school.m1)
    entry.refresh_from_db()
    assert entry.review == draft and not entry.is_done
    assert start_entry_review(entry, school.m1) == draft
    _submit(draft, [GREEN] * 8)

    entry.refresh_from_db()
    assert entry.is_done


# finalise_pep


def test_finalise_refuses_a_sampled_pep_awaiting_qa(school):
    draw_term_samples(school.term)
    entry = _lm_entries(school.normal, school.term).first()

    with pytest.raises(ValidationError):
        finalise_pep(entry.pep, school.m1)
    assert Pep.objects.get(pk=entry.pep_id).status == PepStatus.SUBMITTED


def test_finalise_an_unsampled_submitted_pep(school):
    draw_term_samples(school.term)
    sampled = set(SampleEntry.objects.values_list("pep", flat=True))
    pep = next(p for p in school.peps[school.normal] if p.pk not in sampled)

    finalise_pep(pep, school.m1)

    pep.refresh_from_db()
    assert pep.status == PepStatus.FINALISED
    change = PepStatusChange.objects.get(pep=pep)
    assert (change.from_status, change.to_status, change.changed_by) == (
        PepStatus.SUBMITTED,
        PepStatus.FINALISED,
        school.m1,
    )


def test_finalise_a_pep_sampled_only_by_a_lead(school):
    draw_term_samples(school.term)
    pep = SampleEntry.objects.filter(sample__kind=SampleKind.LEAD_AREA).first().pep
    # Whatever the draw picked, make this PEP one that only the lead sampled.
    SampleEntry.objects.filter(pep=pep, sample__kind=SampleKind.LINE_MANAGEMENT).delete()

    assert finalise_pep(pep, school.m1).status == PepStatus.FINALISED


@pytest.mark.parametrize("status", [PepStatus.DRAFT, PepStatus.RETURNED, PepStatus.FINALISED])
def test_finalise_refuses_a_pep_not_submitted(school, status):
    pep = school.peps[school.normal][-1]
    Pep.objects.filter(pk=pep.pk).update(status=status)

    with pytest.raises(ValidationError):
        finalise_pep(pep, school.m1)
    assert not PepStatusChange.objects.filter(pep=pep).exists()


# --- a PEP submitted for QA (peps.services.submit_pep): the worklist and the top-up -----


@pytest.fixture
def open_term():
    """A term running today: its samples are kept topped up."""
    today = timezone.localdate()
    return TermFactory(
        academic_year=2090,
        season=Season.AUTUMN,
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=60),
        pep_deadline=today + timedelta(days=10),
    )


def test_an_entry_waiting_for_the_pep_is_ready_to_rate_once_it_is_submitted(manager, officer):
    """Its state follows the PEP's status, whichever way the PEP is submitted."""
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), status=PepStatus.DRAFT)
    sample = Sample.objects.create(
        term=pep.term, kind=SampleKind.LINE_MANAGEMENT, officer=officer, reviewer=manager, seed="waiting"
    )
    entry = SampleEntry.objects.create(
        sample=sample, pep=pep, reason=Reason.RANDOM_SHARE, assigned_to=manager, due_date=pep.term.end_date
    )
    assert not entry.pep_ready
    assert not SampleEntry.objects.ready_to_rate().filter(pk=entry.pk).exists()

    submit_pep(pep, officer)

    entry.refresh_from_db()
    assert entry.pep_ready
    assert SampleEntry.objects.ready_to_rate().filter(pk=entry.pk).exists()


def test_submitting_a_pep_tops_the_open_terms_samples_up(
    officer, manager, open_term, django_capture_on_commit_callbacks
):
    """Four PEPs drawn at 25%: one entry. A fifth child's PEP, opened and submitted after
    the draw, makes the caseload five: two entries, topped up when the submission commits."""
    _caseload(officer, open_term, 4)
    draw_term_samples(open_term)
    sample = Sample.objects.get(term=open_term, kind=SampleKind.LINE_MANAGEMENT, officer=officer)
    assert (sample.caseload_size, sample.entries.count()) == (4, 1)
    late = open_pep(ChildFactory(allocated_officer=officer), open_term)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit_pep(late, officer)

    assert len(callbacks) == 1
    sample.refresh_from_db()
    assert (sample.caseload_size, sample.minimum_size, sample.entries.count()) == (5, 2, 2)


def test_a_pep_marked_amended_is_back_for_qa_and_the_top_up_adds_no_second_entry(
    officer, manager, open_term, django_capture_on_commit_callbacks
):
    _caseload(officer, open_term, 4)
    draw_term_samples(open_term)
    entry = SampleEntry.objects.get(sample__term=open_term, sample__kind=SampleKind.LINE_MANAGEMENT)
    review = start_entry_review(entry, manager)
    save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)
    entry.refresh_from_db()
    assert entry.is_done and entry.pep.status == PepStatus.RETURNED
    before = list(SampleEntry.objects.values_list("pk", "sample", "pep", "review"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        mark_amended(entry.pep, officer)

    # pep_submitted: the open term's samples topped up once the amendment committed; the
    # amended PEP is already in its sample, so nothing is added, and the entry stays done
    # (the new QA round is the PEP's, on its page and in "awaiting QA").
    assert [getattr(c, "top_up_term_id", None) for c in callbacks] == [open_term.pk]
    assert list(SampleEntry.objects.values_list("pk", "sample", "pep", "review")) == before
    entry.pep.refresh_from_db()
    assert entry.pep.status == PepStatus.SUBMITTED


def test_a_transaction_submitting_many_peps_tops_up_once(officer, open_term, django_capture_on_commit_callbacks):
    drafts = [
        PepFactory(child=ChildFactory(allocated_officer=officer), term=open_term, status=PepStatus.DRAFT)
        for _ in range(3)
    ]
    other_term_draft = PepFactory(child=ChildFactory(allocated_officer=officer), status=PepStatus.DRAFT)

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for pep in [*drafts, other_term_draft]:
            submit_pep(pep, officer)

    assert len(callbacks) == 2  # one for each term


def test_a_pep_of_a_term_not_open_draws_nothing(officer, django_capture_on_commit_callbacks):
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), status=PepStatus.DRAFT)  # a term in 2000-2019

    with django_capture_on_commit_callbacks(execute=True):
        submit_pep(pep, officer)

    assert not Sample.objects.exists()


def test_a_failed_top_up_leaves_the_submission_standing(
    officer, open_term, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def concurrent_draw(term):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(bookkeeping, "draw_term_samples", concurrent_draw)
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=open_term, status=PepStatus.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        submit_pep(pep, officer)

    assert Pep.objects.get(pk=pep.pk).status == PepStatus.SUBMITTED
    assert "duplicate key value" in caplog.text


# --- settling a moderation disagreement ------------------------------------------------


def entries_of(obj):
    return AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


def test_settling_puts_the_agreed_judgement_on_the_pep(one_re_rating, manager, pep):
    pep.refresh_from_db()
    assert pep.judgement == "gold"
    settlement = settle_disagreement(one_re_rating, "green", "  Targets not SMART. ", manager)
    pep.refresh_from_db()
    one_re_rating.refresh_from_db()
    assert pep.judgement == "green" and pep.status == PepStatus.FINALISED  # the status is not moved
    assert (settlement.judgement, settlement.notes, settlement.settled_by) == ("green", "Targets not SMART.", manager)
    assert (settlement.pep_judgement_before, settlement.applied_to_pep) == ("gold", True)
    assert (one_re_rating.agreed_judgement, one_re_rating.agreement_notes) == ("green", "Targets not SMART.")
    assert one_re_rating.settled_at == settlement.settled_at
    # Audited: the settlement, and the PEP's judgement, with who changed them.
    assert entries_of(settlement).get().action == AuditEntry.Action.CREATE
    assert entries_of(settlement).get().child_id == pep.child_id
    assert entries_of(pep).order_by("-timestamp", "-pk").first().changes["judgement"] == ["gold", "green"]


def test_settling_again_adds_a_record_and_the_latest_is_current(one_re_rating, manager, other_manager, pep):
    first = settle_disagreement(one_re_rating, "green", "First.", manager)
    second = settle_disagreement(one_re_rating, "amber", "Second.", other_manager, based_on=first.pk)
    assert current_settlement(one_re_rating) == second
    assert list(one_re_rating.settlements.all()) == [second, first]
    assert second.pep_judgement_before == "green"
    pep.refresh_from_db()
    one_re_rating.refresh_from_db()
    assert pep.judgement == one_re_rating.agreed_judgement == "amber"


def test_settling_on_a_stale_view_is_refused_and_writes_nothing(one_re_rating, manager, other_manager, pep):
    first = settle_disagreement(one_re_rating, "green", "First.", manager)
    with pytest.raises(SettledElsewhere, match=f"settled as Green by {manager}") as refused:
        settle_disagreement(one_re_rating, "amber", "Mine.", other_manager)  # based on no settlement
    assert refused.value.current == first
    assert one_re_rating.settlements.count() == 1
    pep.refresh_from_db()
    assert pep.judgement == "green"


def test_a_settlement_does_not_overwrite_a_later_qa_rounds_judgement(one_re_rating, manager, pep):
    QaReviewFactory(pep=pep, reviewer=manager, submitted=True, qa_round=2, overall_judgement="amber")
    Pep.objects.filter(pk=pep.pk).update(judgement="amber")
    settlement = settle_disagreement(one_re_rating, "green", "", manager)
    pep.refresh_from_db()
    assert pep.judgement == "amber" and settlement.applied_to_pep is False
    assert one_re_rating.agreed_judgement == "green"  # recorded all the same


def test_correcting_a_comment_of_the_moderated_review_keeps_the_settled_judgement(
    one_re_rating, manager, pep, rate_all
):
    settle_disagreement(one_re_rating, "green", "Agreed at moderation.", manager)
    review = one_re_rating.original_review
    # A typo fixed in the first review: its ratings, so its own judgement, are unchanged.
    areas = rate_all(review, ["gold"] * 8, comment="typo fixed")
    correct_review(review, areas, strengths="", development_points="", reason="Typo", by=manager, version=None)
    pep.refresh_from_db()
    assert pep.judgement == "green"


def test_settling_is_refused_to_a_manager_not_involved_and_needs_a_judgement(one_re_rating):
    with pytest.raises(PermissionDenied):
        settle_disagreement(one_re_rating, "green", "", UserFactory(role=Role.MANAGER))
    with pytest.raises(ValidationError, match="Choose the judgement"):
        settle_disagreement(one_re_rating, "", "Notes", one_re_rating.assigned_to)
    assert not one_re_rating.settlements.exists()
