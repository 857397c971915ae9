"""reporting.figures against hand-counted data.

Every expected number below was counted by hand from the data the fixture builds (see
its docstring); none is recomputed with the code under test.
"""

from dataclasses import fields
from datetime import date, timedelta
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from core.vocabulary import Phase, Role, Season, key_stage
from peps.models import Pep, PepStatus, PepStatusChange, SocialCareTeam
from reporting import figures as reporting_figures
from reporting.figures import (
    Completion,
    ModerationSummary,
    Quality,
    SocialCareRow,
    SocialWorkFigures,
    largest_remainder,
    social_care_every_team,
    social_care_exceptions,
    social_care_team_exceptions,
    split,
    term_figures,
    trend,
)
from reviews.models import ReviewKind
from reviews.services import mark_amended, save_review, start_review
from sampling.models import SampleEntry, SampleKind
from sampling.rules import Reason
from sampling.selectors import MODERATION_KINDS, moderation_agreement
from sampling.services import draw_term_samples, settle_disagreement, start_entry_review

from .factories import (
    ChildFactory,
    ModerationGroupFactory,
    PepFactory,
    QaReviewFactory,
    SampleEntryFactory,
    SampleFactory,
    SchoolFactory,
    SocialCareTeamFactory,
    SocialWorkerFactory,
    TermFactory,
    UserFactory,
    rate_all,
)

pytestmark = pytest.mark.django_db

GOLD, GREEN, AMBER, RED = "gold", "green", "amber", "red"


def _review(pep, reviewer, ratings, kind=None):
    review = start_review(pep, reviewer, kind=kind) if kind else start_review(pep, reviewer)
    return save_review(review, rate_all(review, ratings), strengths="", development_points="", submit=True)


def _submit_entry(entry, user, ratings):
    review = start_entry_review(entry, user)
    return save_review(review, rate_all(review, ratings), strengths="", development_points="", submit=True)


def _pep(term, child, *, completed=None, judgement="", **fields):
    return PepFactory(term=term, child=child, date_completed=completed, judgement=judgement, **fields)


def _quality(q):
    return (q.counts[GOLD], q.counts[GREEN], q.counts[AMBER], q.counts[RED], q.judged)


def _rows(breakdowns):
    return [(b.label, b.peps, *_quality(b.quality)) for b in breakdowns]


@pytest.fixture
def school():
    """One term (Autumn 2003/04, deadline 27 Oct 2003) of seven PEPs, counted by hand.

    | PEP | child  | year PEP/child | phase  | school | officer | SW (team)   | completed     | judgement (how)  | status                 | meeting/attended/section |
    |-----|--------|----------------|--------|--------|---------|-------------|---------------|------------------|------------------------|--------------------------|
    | p1  | LA-001 | 6 / 7 (KS2)    | SSA    | Ash    | Alice   | Sid (North) | 5 days early  | Gold (m1 review) | finalised              | yes / yes / yes          |
    | p2  | LA-002 | 1 / 1 (KS1)    | SSA    | Ash    | Alice   | Sue (North) | on the day    | Green (m1)       | finalised              | yes / no / yes           |
    | p3  | LA-003 | 0 / 0 (EYFS)   | EYFS   | Birch  | Alice   | Tom (South) | 3 days late   | Amber (m1)       | returned, then amended | yes / yes / no           |
    | p4  | LA-004 | 10 / 10 (KS4)  | SSA    | Birch  | Ben     | Tom (South) | no            | Red (m2)         | returned               | NONE / (yes) / no        |
    | p5  | LA-005 | 12 / 12 (KS5)  | Post16 | Cedar  | Ben     | Sue (North) | 1 day early   | Gold (set)       | submitted              | yes / yes / yes          |
    | p6  | LA-006 | - / 8 (KS3)    | SSA    | Cedar  | Ben     | Sid (North) | 10 days late  | Gold (set)       | submitted              | yes / no / no            |
    | p7  | LA-007 | -1 / -1 (EYFS) | EYFS   | none   | Alice   | Tom (South) | no            | none             | DRAFT                  | yes / no / no            |

    The term before (Summer 2002/03): LA-001 Amber, LA-002/003/007 Green (Alice: 1 of 4
    Amber or Red, base rate); LA-004 Green, LA-005 Red (Ben: 1 of 2, the higher rate).
    """  # noqa: E501
    term = TermFactory(academic_year=2003, season=Season.AUTUMN)
    previous = TermFactory(academic_year=2002, season=Season.SUMMER)
    assert term.pep_deadline == date(2003, 10, 27)
    deadline = term.pep_deadline

    m1 = UserFactory(role=Role.MANAGER, username="m1", first_name="Mia", last_name="Manager")
    m2 = UserFactory(role=Role.MANAGER, username="m2", first_name="Max", last_name="Manager")
    alice = UserFactory(username="alice", first_name="Alice", last_name="Ash", line_manager=m1)
    ben = UserFactory(username="ben", first_name="Ben", last_name="Birch", line_manager=m2)
    ash, birch, cedar = (SchoolFactory(name=n) for n in ("Ash Primary", "Birch Academy", "Cedar College"))
    north = SocialCareTeamFactory(name="North team", manager_name="Nora North", manager_email="nora@example.org")
    south = SocialCareTeamFactory(name="South team", manager_name="Sam South", manager_email="sam@example.org")
    sid = SocialWorkerFactory(name="Sid Smith", team=north)
    sue = SocialWorkerFactory(name="Sue Stone", team=north)
    tom = SocialWorkerFactory(name="Tom Tate", team=south)

    def child(n, year, officer, school, sw):
        return ChildFactory(
            la_reference=f"LA-{n:03d}",
            first_name=f"Kid{n}",
            last_name=f"Secret{n}",
            year_group=year,
            allocated_officer=officer,
            school=school,
            social_worker=sw,
            **({} if school else {"designated_teacher": None}),
        )

    c1, c2, c3 = child(1, 7, alice, ash, sid), child(2, 1, alice, ash, sue), child(3, 0, alice, birch, tom)
    c4, c5, c6 = child(4, 10, ben, birch, tom), child(5, 12, ben, cedar, sue), child(6, 8, ben, cedar, sid)
    c7 = child(7, -1, alice, None, tom)

    meeting = term.start_date + timedelta(weeks=3)
    p1 = _pep(term, c1, year_group=6, completed=deadline - timedelta(days=5), sw_attended=True, sw_section_updated=True)
    p2 = _pep(term, c2, completed=deadline, sw_attended=False, sw_section_updated=True)
    p3 = _pep(term, c3, completed=deadline + timedelta(days=3), sw_attended=True, sw_section_updated=False)
    p4 = _pep(term, c4, meeting_date=None, sw_attended=True, sw_section_updated=False)
    p5 = _pep(
        term, c5, completed=deadline - timedelta(days=1), judgement=GOLD, sw_attended=True, sw_section_updated=True
    )
    p6 = _pep(
        term,
        c6,
        year_group=None,
        completed=deadline + timedelta(days=10),
        judgement=GOLD,
        sw_attended=False,
        sw_section_updated=False,
    )
    p7 = _pep(term, c7, status=PepStatus.DRAFT, meeting_date=meeting, sw_attended=False, sw_section_updated=False)
    assert p1.meeting_date == meeting and p4.meeting_date is None

    reviews = SimpleNamespace(
        p1=_review(p1, m1, [GOLD] * 8),
        p2=_review(p2, m1, [GREEN] * 8),
        p3=_review(p3, m1, [AMBER] * 5 + [GREEN] * 3),  # 5 of 8 Amber: returned
        p4=_review(p4, m2, [RED] * 5 + [AMBER] * 3),  # Red majority: returned
    )
    mark_amended(p3, by=m1)

    prev_deadline = previous.pep_deadline
    prev = [
        _pep(previous, c1, completed=prev_deadline, judgement=AMBER),
        _pep(previous, c2, completed=prev_deadline - timedelta(days=2), judgement=GREEN),
        _pep(previous, c3, completed=prev_deadline - timedelta(days=2), judgement=GREEN),
        _pep(previous, c7, judgement=GREEN),
        _pep(previous, c4, completed=prev_deadline, judgement=GREEN),
        _pep(previous, c5, completed=prev_deadline + timedelta(days=1), judgement=RED),
    ]
    # A status change of another term is not this term's amendment.
    PepStatusChange.objects.create(pep=prev[0], from_status=PepStatus.SUBMITTED, to_status=PepStatus.RETURNED)

    peps = SimpleNamespace(p1=p1, p2=p2, p3=p3, p4=p4, p5=p5, p6=p6, p7=p7)
    for pep in vars(peps).values():
        pep.refresh_from_db()
    return SimpleNamespace(
        term=term,
        previous=previous,
        m1=m1,
        m2=m2,
        alice=alice,
        ben=ben,
        ash=ash,
        birch=birch,
        cedar=cedar,
        north=north,
        south=south,
        peps=peps,
        reviews=reviews,
    )


def test_the_fixture_statuses_came_from_the_services(school):
    p = school.peps
    assert [(x.status, x.judgement) for x in (p.p1, p.p2, p.p3, p.p4, p.p5, p.p6, p.p7)] == [
        (PepStatus.FINALISED, GOLD),
        (PepStatus.FINALISED, GREEN),
        (PepStatus.SUBMITTED, AMBER),
        (PepStatus.RETURNED, RED),
        (PepStatus.SUBMITTED, GOLD),
        (PepStatus.SUBMITTED, GOLD),
        (PepStatus.DRAFT, ""),
    ]


def test_completion(school):
    completion = term_figures(school.term).completion

    # Due: all 7 (the draft too). Completed: p1, p2, p3, p5, p6. On time (on or before
    # the deadline): p1 (early), p2 (on the day), p5 (early).
    assert (completion.due, completion.completed, completion.on_time) == (7, 5, 3)
    assert completion.completed_share == pytest.approx(5 / 7)
    assert completion.on_time_share == pytest.approx(3 / 7)


def test_quality(school):
    figures = term_figures(school.term)
    quality = figures.quality

    # Gold p1, p5, p6; Green p2; Amber p3; Red p4; p7 not judged.
    assert _quality(quality) == (3, 1, 1, 1, 6)
    assert quality.shares == {
        GOLD: pytest.approx(0.5),
        GREEN: pytest.approx(1 / 6),
        AMBER: pytest.approx(1 / 6),
        RED: pytest.approx(1 / 6),
    }
    assert quality.share("gold") == pytest.approx(0.5)
    assert quality.good_or_better == 4
    assert quality.good_or_better_share == pytest.approx(4 / 6)
    assert figures.gold == 3
    assert figures.has_peps is True


def test_quality_as_shown_adds_up_to_100_and_good_or_better_is_gold_plus_green(school):
    quality = term_figures(school.term).quality
    # 3, 1, 1, 1 of 6: 50%, then 16.7% three times; the two units left over go to the
    # largest remainders (all equal), the earlier first: Green and Amber.
    assert quality.shown_shares == {
        GOLD: Fraction(50, 100),
        GREEN: Fraction(17, 100),
        AMBER: Fraction(17, 100),
        RED: Fraction(16, 100),
    }
    assert quality.good_or_better_shown == Fraction(67, 100)


def test_largest_remainder_by_hand():
    assert largest_remainder([1, 1, 1]) == [34, 33, 33]  # not 33 three times: 99
    assert largest_remainder([5, 3]) == [63, 37]  # 62.5 and 37.5: the tie to the earlier
    assert largest_remainder([3, 2, 2, 1]) == [38, 25, 25, 12]  # not 38, 25, 25, 13: 101
    assert largest_remainder([1, 2, 3, 0], total=6) == [1, 2, 3, 0]
    assert largest_remainder([0, 7, 0]) == [0, 100, 0]
    assert largest_remainder([0, 0]) is None
    assert largest_remainder([]) is None
    with pytest.raises(ValueError):
        largest_remainder([2, -1])
    assert split([0, 0, 0]) == [None, None, None]


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=8).filter(any))
def test_largest_remainder_adds_up_to_100_each_within_1_of_the_exact(counts):
    shares = largest_remainder(counts)
    whole = sum(counts)
    assert sum(shares) == 100
    for share, count in zip(shares, counts, strict=True):
        exact = Fraction(100 * count, whole)
        assert abs(share - exact) < 1
        assert share in (exact.numerator // exact.denominator, -(-exact.numerator // exact.denominator))
    assert sum(split(counts)) == 1


@given(st.integers(0, 200), st.integers(0, 200), st.integers(0, 200), st.integers(0, 200))
def test_shown_quality_and_completion_add_up(gold, green, amber, red):
    quality = Quality(counts=dict(zip([GOLD, GREEN, AMBER, RED], [gold, green, amber, red], strict=True)))
    completion = Completion(due=gold + green + amber + red, completed=gold + green, on_time=gold)
    if not quality.judged:
        assert quality.good_or_better_shown is None and completion.on_time_shown is None
        return
    assert sum(quality.shown_shares.values()) == 1
    assert quality.good_or_better_shown == quality.shown_share(GOLD) + quality.shown_share(GREEN)
    assert completion.on_time_shown + completion.late_shown + completion.outstanding_shown == 1
    assert completion.completed_shown == completion.on_time_shown + completion.late_shown


def test_by_phase(school):
    assert _rows(term_figures(school.term).by_phase) == [
        # label, PEPs, gold, green, amber, red, judged
        ("EYFS", 2, 0, 0, 1, 0, 1),  # p3 Amber, p7 draft
        ("SSA", 4, 2, 1, 0, 1, 4),  # p1 Gold, p2 Green, p4 Red, p6 Gold
        ("Post 16", 1, 1, 0, 0, 0, 1),  # p5 Gold
    ]
    ssa = term_figures(school.term).by_phase[1]
    assert ssa.key == Phase.SSA
    assert ssa.quality.good_or_better_share == pytest.approx(3 / 4)


def test_by_key_stage_uses_the_peps_year_group_before_the_childs(school):
    assert _rows(term_figures(school.term).by_key_stage) == [
        ("EYFS", 2, 0, 0, 1, 0, 1),  # p3 (Reception), p7 (Nursery)
        ("KS1", 1, 0, 1, 0, 0, 1),  # p2 (Year 1)
        ("KS2", 1, 1, 0, 0, 0, 1),  # p1: Year 6 that term, though the child is now in Year 7
        ("KS3", 1, 1, 0, 0, 0, 1),  # p6: no year on the PEP, the child's Year 8
        ("KS4", 1, 0, 0, 0, 1, 1),  # p4 (Year 10)
        ("KS5", 1, 1, 0, 0, 0, 1),  # p5 (Year 12)
    ]


@pytest.mark.parametrize(
    ("year", "stage"),
    [
        (-2, "EYFS"),
        (-1, "EYFS"),
        (0, "EYFS"),
        (1, "KS1"),
        (2, "KS1"),
        (3, "KS2"),
        (6, "KS2"),
        (7, "KS3"),
        (9, "KS3"),
        (10, "KS4"),
        (11, "KS4"),
        (12, "KS5"),
        (13, "KS5"),
    ],
)
def test_key_stage_boundaries(year, stage):
    assert key_stage(year) == stage


def test_by_key_stage_boundaries_one_pep_per_year_group():
    term = TermFactory(academic_year=2004, season=Season.AUTUMN)
    officer = UserFactory()
    for year in range(-2, 14):
        # The child's current year group is always 13: only the PEP's counts.
        PepFactory(
            term=term,
            child=ChildFactory(year_group=13, allocated_officer=officer),
            year_group=year,
            phase=Phase.for_year_group(year),
        )

    rows = [(b.label, b.peps) for b in term_figures(term).by_key_stage]

    assert rows == [("EYFS", 3), ("KS1", 2), ("KS2", 4), ("KS3", 3), ("KS4", 2), ("KS5", 2)]


def test_by_school(school):
    figures = term_figures(school.term)

    assert _rows(figures.by_school) == [
        ("Ash Primary", 2, 1, 1, 0, 0, 2),  # p1 Gold, p2 Green
        ("Birch Academy", 2, 0, 0, 1, 1, 2),  # p3 Amber, p4 Red
        ("Cedar College", 2, 2, 0, 0, 0, 2),  # p5, p6 Gold
        ("No school recorded", 1, 0, 0, 0, 0, 0),  # p7, a draft
    ]
    assert [b.key for b in figures.by_school] == [school.ash.pk, school.birch.pk, school.cedar.pk, None]
    assert figures.by_school[1].quality.good_or_better_share == 0
    assert figures.by_school[3].quality.good_or_better_share is None
    # Most Gold first, then by name.
    assert figures.gold_by_school == [("Cedar College", 2), ("Ash Primary", 1)]


def test_by_officer(school):
    figures = term_figures(school.term)

    assert _rows(figures.by_officer) == [
        ("Alice Ash", 4, 1, 1, 1, 0, 3),  # p1 Gold, p2 Green, p3 Amber, p7 draft
        ("Ben Birch", 3, 2, 0, 0, 1, 3),  # p4 Red, p5 and p6 Gold
    ]
    assert [b.key for b in figures.by_officer] == [school.alice.pk, school.ben.pk]


def test_by_officer_a_pep_without_an_officer(school):
    school.peps.p6.officer = None
    school.peps.p6.save()

    labels = [b.label for b in term_figures(school.term).by_officer]

    assert labels == ["Alice Ash", "Ben Birch", "No officer"]


def test_social_work_per_team_and_total(school):
    figures = term_figures(school.term)

    def row(f):
        return (f.team, f.manager, f.peps, f.meetings, f.sw_attended, f.sw_section_updated)

    # Drafts left out (p7). North: p1, p2, p5, p6, all with a meeting; SW at p1 and p5;
    # section updated p1, p2, p5. South: p3 (meeting, attended), p4 (no meeting: its
    # "attended" is not counted); neither section updated.
    assert [row(f) for f in figures.social_work] == [
        ("North team", "Nora North", 4, 4, 2, 3),
        ("South team", "Sam South", 2, 1, 1, 0),
    ]
    north, south = figures.social_work
    assert (north.attended_share, north.section_share) == (pytest.approx(0.5), pytest.approx(0.75))
    assert (south.attended_share, south.section_share) == (1.0, 0.0)
    total = figures.social_work_total
    assert row(total) == ("All teams", "", 6, 5, 3, 3)
    assert (total.attended_share, total.section_share) == (pytest.approx(3 / 5), pytest.approx(0.5))


def test_amendments(school):
    amendments = term_figures(school.term).amendments

    # Returned: p3 and p4; p3 amended since; p4 still returned. The previous term's
    # return is not counted.
    assert (amendments.returned, amendments.amended, amendments.still_returned) == (2, 1, 1)


def test_coverage_after_drawing_the_samples(school):
    draw_term_samples(school.term)

    coverage = term_figures(school.term).coverage

    # Alice: caseload 4 (p1, p2, p3, p7), last term 1 of 4 Amber/Red: 25%, minimum 1; p1
    # (LA-001 Amber last term) must be in. Line-management reviews submitted: p1, p2, p3.
    # Met. Ben: caseload 3, last term 1 of 2 Amber/Red: 50%, minimum 2; p5 (LA-005 Red
    # last term) must be in. Reviewed: p4 only: neither the minimum nor the previous Red.
    assert (
        coverage.officers,
        coverage.officers_met,
        coverage.minimum_total,
        coverage.reviewed_total,
        coverage.previous_amber,
        coverage.previous_amber_reviewed,
    ) == (2, 1, 3, 4, 2, 1)


def test_coverage_leaves_out_officers_without_peps_in_the_term(school):
    """An officer who has left, or joined later, has nothing to sample: not "met"."""
    UserFactory(username="left", is_active=False)
    UserFactory(username="joined-later")
    draw_term_samples(school.term)

    coverage = term_figures(school.term).coverage

    assert (coverage.officers, coverage.officers_met) == (2, 1)


def test_moderation_without_moderation_is_none(school):
    assert term_figures(school.term).moderation == ModerationSummary(
        pairs=0, exact=None, kappa=None, disagreements=0, settled=0
    )


def test_moderation_summary_of_hand_built_entries(school):
    term, p, r = school.term, school.peps, school.reviews
    xmod = SampleFactory(term=term, kind=SampleKind.CROSS_MODERATION, reviewer=school.m2)
    agree = SampleEntryFactory(sample=xmod, pep=p.p1, original_review=r.p1, reason=Reason.CROSS_MODERATION)
    differ = SampleEntryFactory(sample=xmod, pep=p.p2, original_review=r.p2, reason=Reason.CROSS_MODERATION)
    SampleEntryFactory(sample=xmod, pep=p.p3, original_review=r.p3, reason=Reason.CROSS_MODERATION)  # pending
    group = SampleFactory(
        term=term, kind=SampleKind.MODERATION_GROUP, group=ModerationGroupFactory(members=[school.m1])
    )
    red = SampleEntryFactory(
        sample=group, pep=p.p4, original_review=r.p4, assigned_to=school.m1, reason=Reason.MODERATION_GROUP
    )
    # A lead-area sample and another term's moderation are not moderation of this term.
    lead = SampleFactory(term=term, kind=SampleKind.LEAD_AREA, reviewer=school.m2)
    SampleEntryFactory(
        sample=lead,
        pep=p.p1,
        original_review=r.p1,
        review=QaReviewFactory(
            pep=p.p1, reviewer=school.m2, kind=ReviewKind.MODERATION, submitted=True, overall_judgement=RED
        ),
    )
    other = SampleFactory(term=school.previous, kind=SampleKind.CROSS_MODERATION, reviewer=school.m1)
    old_pep = Pep.objects.get(term=school.previous, child=p.p4.child)
    SampleEntryFactory(
        sample=other,
        pep=old_pep,
        original_review=QaReviewFactory(pep=old_pep, reviewer=school.m2, submitted=True),
        review=QaReviewFactory(
            pep=old_pep, reviewer=school.m1, kind=ReviewKind.MODERATION, submitted=True, overall_judgement=RED
        ),
    )

    _submit_entry(agree, school.m2, [GOLD] * 8)  # Gold / Gold, every area the same
    _submit_entry(differ, school.m2, [GOLD] * 7 + [GREEN])  # Green first, Gold now
    _submit_entry(red, school.m1, [RED] * 5 + [AMBER] * 3)  # Red / Red, every area the same
    settle_disagreement(differ, GREEN, "Agreed Green.", by=school.m1)

    moderation = term_figures(term).moderation

    # Pairs (Au, Au), (G, Au), (R, R): exact 2/3. Linear weights |i - j| / 3 on ranks
    # R 0, A 1, G 2, Au 3. Observed disagreement (1/3) / 3 = 1/9. Marginals: first Au, G, R
    # one each; second Au 2, R 1. Expected: Au row (Au 0 + R 1) -> 1*1*1 = 1; G row (Au 1/3
    # * 2 + R 2/3 * 1) = 4/3; R row (Au 1 * 2) = 2; total 13/3 over 9 = 13/27.
    # kappa = 1 - (1/9) / (13/27) = 1 - 3/13 = 10/13.
    assert (moderation.pairs, moderation.disagreements, moderation.settled) == (3, 1, 1)
    assert moderation.exact == Fraction(2, 3)  # exact, not a float
    assert moderation.agreed == 2
    # Three pairs are too few for kappa (sampling.rules.KAPPA_MINIMUM_PAIRS): the counts only.
    assert (moderation.kappa, moderation.kappa_withheld, moderation.kappa_minimum) == (None, "too_few", 10)
    entries = SampleEntry.objects.filter(sample__term=term, sample__kind__in=MODERATION_KINDS)
    assert moderation_agreement(entries, minimum=3).overall.kappa == pytest.approx(10 / 13)


# trend


@pytest.fixture
def history(school):
    """Terms around the fixture's: seven up to and including it, one after it.

    | term             | PEPs                                         | due/completed/on time | judged          |
    |------------------|----------------------------------------------|-----------------------|-----------------|
    | Autumn 2001/02   | 1 (outside a six-term window)                | 1/1/1                 | Gold            |
    | Spring 2001/02   | none                                         | 0/0/0                 | none            |
    | Summer 2001/02   | 1, completed late                            | 1/1/0                 | Red             |
    | Autumn 2002/03   | 2: one on time, one not completed            | 2/1/1                 | Gold (1 of 2)   |
    | Spring 2002/03   | none                                         | 0/0/0                 | none            |
    | Summer 2002/03   | the fixture's previous term: 6               | 6/5/4                 | Gr4 Am1 R1      |
    | Autumn 2003/04   | the fixture's term: 7                        | 7/5/3                 | Au3 G1 Am1 R1   |
    | Spring 2003/04   | 1 (after the term: never in its trend)       | 1/1/1                 | Gold            |
    """
    officer = school.alice

    def term_with(year, season, peps):
        term = TermFactory(academic_year=year, season=season)
        for completed_offset, judgement in peps:
            completed = None if completed_offset is None else term.pep_deadline + timedelta(days=completed_offset)
            _pep(term, ChildFactory(allocated_officer=officer), completed=completed, judgement=judgement)
        return term

    return SimpleNamespace(
        oldest=term_with(2001, Season.AUTUMN, [(0, GOLD)]),
        spring01=term_with(2001, Season.SPRING, []),
        summer01=term_with(2001, Season.SUMMER, [(4, RED)]),
        autumn02=term_with(2002, Season.AUTUMN, [(-1, GOLD), (None, "")]),
        spring02=term_with(2002, Season.SPRING, []),
        later=term_with(2003, Season.SPRING, [(0, GOLD)]),
        school=school,
    )


def _point(point):
    c, q = point.completion, point.quality
    return (str(point.term), c.due, c.completed, c.on_time, *_quality(q))


def test_trend_is_the_last_six_terms_oldest_first(history):
    points = trend(history.school.term, 6)

    assert [_point(p) for p in points] == [
        # term, due, completed, on time, gold, green, amber, red, judged
        ("Spring 2001/02", 0, 0, 0, 0, 0, 0, 0, 0),
        ("Summer 2001/02", 1, 1, 0, 0, 0, 0, 1, 1),
        ("Autumn 2002/03", 2, 1, 1, 1, 0, 0, 0, 1),
        ("Spring 2002/03", 0, 0, 0, 0, 0, 0, 0, 0),
        # the previous term: LA-001 Amber, 002/003/007 Green, 004 Green, 005 Red;
        # completed all but LA-007; on time all but LA-005 (a day late) and LA-007
        ("Summer 2002/03", 6, 5, 4, 0, 4, 1, 1, 6),
        ("Autumn 2003/04", 7, 5, 3, 3, 1, 1, 1, 6),
    ]
    empty = points[0]
    assert (empty.completion.completed_share, empty.completion.on_time_share) == (None, None)
    assert empty.quality.shares == dict.fromkeys([GOLD, GREEN, AMBER, RED])
    assert empty.quality.good_or_better_share is None
    assert points[1].completion.on_time_share == 0
    assert points[2].quality.good_or_better_share == 1
    assert points[4].quality.good_or_better_share == pytest.approx(4 / 6)


def test_trend_with_fewer_terms_than_asked(history):
    assert [str(p.term) for p in trend(history.summer01, 6)] == ["Autumn 2001/02", "Spring 2001/02", "Summer 2001/02"]
    assert [_point(p) for p in trend(history.oldest, 6)] == [("Autumn 2001/02", 1, 1, 1, 1, 0, 0, 0, 1)]
    assert [str(p.term) for p in trend(history.school.term, 2)] == ["Summer 2002/03", "Autumn 2003/04"]


# social care exceptions


def test_social_care_exceptions(school):
    exceptions = social_care_exceptions(school.term)

    def row(r):
        return (
            r.team,
            r.team_manager,
            r.team_manager_email,
            r.social_worker,
            r.la_reference,
            r.meeting_date,
            r.sw_attended,
            r.sw_section_updated,
        )

    meeting = school.term.start_date + timedelta(weeks=3)
    # North: p2 (Sue did not attend), p6 (Sid neither attended nor updated), by social
    # worker then reference. South: p3 (not updated), p4 (no meeting, not updated). Not p1
    # or p5 (all done); not p7 (a draft, though it would qualify).
    assert {team: [row(r) for r in rows] for team, rows in exceptions.items()} == {
        "North team": [
            ("North team", "Nora North", "nora@example.org", "Sid Smith", "LA-006", meeting, False, False),
            ("North team", "Nora North", "nora@example.org", "Sue Stone", "LA-002", meeting, False, True),
        ],
        "South team": [
            ("South team", "Sam South", "sam@example.org", "Tom Tate", "LA-003", meeting, True, False),
            ("South team", "Sam South", "sam@example.org", "Tom Tate", "LA-004", None, True, False),
        ],
    }
    assert list(exceptions) == ["North team", "South team"]


def test_social_care_exceptions_do_not_name_children(school):
    names = [f.name for f in fields(SocialCareRow)]
    assert names == [
        "team",
        "team_id",
        "team_manager",
        "team_manager_email",
        "social_worker",
        "la_reference",
        "meeting_date",
        "sw_attended",
        "sw_section_updated",
    ]
    text = repr(social_care_exceptions(school.term))
    assert "LA-002" in text
    assert "Kid" not in text and "Secret" not in text


def test_one_teams_exceptions_are_its_own_and_nobody_elses(school):
    north, south = (SocialCareTeam.objects.get(name=name) for name in ("North team", "South team"))
    report = social_care_team_exceptions(school.term, north)
    assert (report.name, report.team_id, report.manager, report.manager_email) == (
        "North team",
        north.pk,
        "Nora North",
        "nora@example.org",
    )
    assert [r.la_reference for r in report.rows] == ["LA-006", "LA-002"]
    assert (report.peps, report.not_attended, report.not_updated) == (2, 2, 1)
    assert {r.team_id for r in report.rows} == {north.pk}
    assert [r.la_reference for r in social_care_team_exceptions(school.term, south).rows] == ["LA-003", "LA-004"]
    # The same rows as the all-teams figures give that team: computed once, by one query.
    assert report.rows == social_care_exceptions(school.term)["North team"]


def test_a_team_with_nothing_to_report_has_its_manager_and_no_rows(school):
    quiet = SocialCareTeamFactory(name="Quiet team", manager_name="Quinn", manager_email="quinn@example.org")
    report = social_care_team_exceptions(school.term, quiet)
    assert (report.rows, report.peps, report.manager, report.manager_email) == ([], 0, "Quinn", "quinn@example.org")


def test_every_team_with_or_without_exceptions_then_the_children_with_no_social_worker(school):
    SocialCareTeamFactory(name="Quiet team", manager_name="Quinn", manager_email="")
    PepFactory(term=school.term, status=PepStatus.SUBMITTED, sw_section_updated=False, child__social_worker=None)
    teams = social_care_every_team(school.term)
    assert [(t.name, t.peps, t.manager_email) for t in teams] == [
        ("North team", 2, "nora@example.org"),
        ("Quiet team", 0, ""),
        ("South team", 2, "sam@example.org"),
        ("No social worker recorded", 1, ""),
    ]
    assert teams[-1].team_id is None


def test_social_care_exceptions_of_an_empty_term():
    assert social_care_exceptions(TermFactory(academic_year=2010, season=Season.AUTUMN)) == {}


# edge cases


def test_an_empty_term_has_no_shares_and_no_division_by_zero():
    term = TermFactory(academic_year=2010, season=Season.AUTUMN)

    figures = term_figures(term)

    assert figures.has_peps is False
    c = figures.completion
    assert (c.due, c.completed, c.on_time, c.completed_share, c.on_time_share) == (0, 0, 0, None, None)
    assert figures.quality.judged == 0
    assert figures.quality.shares == dict.fromkeys([GOLD, GREEN, AMBER, RED])
    assert figures.quality.good_or_better_share is None
    # The three phases are always listed, empty; every other breakdown is empty.
    assert [(b.label, b.peps, b.quality.judged, b.quality.good_or_better_share) for b in figures.by_phase] == [
        ("EYFS", 0, 0, None),
        ("SSA", 0, 0, None),
        ("Post 16", 0, 0, None),
    ]
    assert (figures.by_key_stage, figures.by_school, figures.by_officer, figures.social_work) == ([], [], [], [])
    assert figures.social_work_total == SocialWorkFigures(team="All teams", manager="")
    assert (figures.social_work_total.attended_share, figures.social_work_total.section_share) == (None, None)
    a = figures.amendments
    assert (a.returned, a.amended, a.still_returned) == (0, 0, 0)
    cov = figures.coverage
    assert (cov.officers, cov.officers_met, cov.minimum_total, cov.reviewed_total) == (0, 0, 0, 0)
    assert figures.moderation == ModerationSummary(pairs=0, exact=None, kappa=None, disagreements=0, settled=0)
    assert (figures.gold, figures.gold_by_school) == (0, [])
    point = trend(term, 6)[-1]
    assert (point.completion.due, point.completion.on_time_share, point.quality.good_or_better_share) == (0, None, None)


def test_a_term_with_peps_but_no_reviews():
    term = TermFactory(academic_year=2011, season=Season.AUTUMN)
    officer = UserFactory(first_name="Olive", last_name="Oak")
    school_ = SchoolFactory(name="Oak School")
    for completed in (term.pep_deadline, None, term.pep_deadline + timedelta(days=1)):
        _pep(term, ChildFactory(allocated_officer=officer, school=school_, year_group=3), completed=completed)

    figures = term_figures(term)

    c = figures.completion
    assert (c.due, c.completed, c.on_time) == (3, 2, 1)
    assert figures.quality.judged == 0
    assert figures.quality.shares == dict.fromkeys([GOLD, GREEN, AMBER, RED])
    assert figures.quality.good_or_better_share is None
    assert _rows(figures.by_school) == [("Oak School", 3, 0, 0, 0, 0, 0)]
    assert _rows(figures.by_officer) == [("Olive Oak", 3, 0, 0, 0, 0, 0)]
    assert _rows(figures.by_key_stage) == [("KS2", 3, 0, 0, 0, 0, 0)]
    assert figures.gold_by_school == []
    assert trend(term, 1)[0].quality.good_or_better_share is None


# query counts


def _authority(term, *, peps, officers, schools, teams, tag):
    """`peps` PEPs spread over new officers (under one manager), schools and social care
    teams; a few reviewed, one returned and amended, the samples drawn, one moderated pair."""
    manager = UserFactory(role=Role.MANAGER, username=f"{tag}-manager")
    other_manager = UserFactory(role=Role.MANAGER, username=f"{tag}-other-manager")
    staff = [UserFactory(username=f"{tag}-officer{n}", line_manager=manager) for n in range(officers)]
    places = [SchoolFactory(name=f"{tag} school {n}") for n in range(schools)]
    workers = [SocialWorkerFactory(team=SocialCareTeamFactory(name=f"{tag} team {n}")) for n in range(teams)]
    made = []
    for n in range(peps):
        year = (n % 16) - 2
        child = ChildFactory(
            year_group=year,
            allocated_officer=staff[n % officers],
            school=places[n % schools],
            social_worker=workers[n % teams],
        )
        made.append(
            PepFactory(
                term=term,
                child=child,
                judgement=[GOLD, GREEN, AMBER, RED, ""][n % 5],
                date_completed=term.pep_deadline + timedelta(days=(n % 3) - 1),
                sw_attended=n % 2 == 0,
                sw_section_updated=n % 3 == 0,
            )
        )
    original = QaReviewFactory(pep=made[0], reviewer=manager, submitted=True)
    QaReviewFactory(pep=made[1], reviewer=manager, submitted=True)
    PepStatusChange.objects.create(pep=made[1], from_status=PepStatus.SUBMITTED, to_status=PepStatus.RETURNED)
    PepStatusChange.objects.create(pep=made[1], from_status=PepStatus.RETURNED, to_status=PepStatus.SUBMITTED)
    draw_term_samples(term)
    # (The draw made every manager's cross-moderation sample: a moderation group's instead.)
    group = SampleFactory(term=term, kind=SampleKind.MODERATION_GROUP, group=ModerationGroupFactory())
    SampleEntryFactory(
        sample=group,
        assigned_to=other_manager,
        pep=made[0],
        original_review=original,
        review=QaReviewFactory(pep=made[0], reviewer=other_manager, kind=ReviewKind.MODERATION, submitted=True),
    )


def _queries(function, term):
    with CaptureQueriesContext(connection) as queries:
        function(term)
    return len(queries)


def test_term_figures_and_trend_run_the_same_queries_whatever_the_size():
    small = TermFactory(academic_year=2012, season=Season.AUTUMN)
    large = TermFactory(academic_year=2012, season=Season.SPRING)
    for year in range(2008, 2012):  # history for the trend
        TermFactory(academic_year=year, season=Season.SUMMER)
    _authority(small, peps=5, officers=1, schools=1, teams=1, tag="small")
    small_figures = _queries(term_figures, small)
    small_trend = _queries(trend, small)

    _authority(large, peps=60, officers=6, schools=10, teams=4, tag="large")
    assert Pep.objects.filter(term=large).count() == 60

    large_figures, large_trend = _queries(term_figures, large), _queries(trend, large)
    figures = term_figures(large)
    assert len(figures.by_officer) == 6 and len(figures.by_school) == 10 and len(figures.social_work) == 4
    assert figures.moderation.pairs == 1 and figures.amendments.amended == 1
    assert large_figures == small_figures
    assert large_trend == small_trend == 3
    # ... and the small term still runs the same number, now that there are more officers.
    assert _queries(term_figures, small) == small_figures


def test_not_judged_is_due_less_judged(db):
    pep = PepFactory(status="submitted")
    PepFactory(term=pep.term, status="finalised", judgement="gold")
    figures = term_figures(pep.term)
    assert (figures.completion.due, figures.quality.judged, figures.not_judged) == (2, 1, 1)


# --- the public (board) report: officers by letter, small numbers suppressed -------------


def _public_row(label, judged, peps=None):
    breakdown = reporting_figures.Breakdown(key=label, label=label, peps=judged if peps is None else peps)
    breakdown.quality.add(GOLD, judged)
    return reporting_figures.PublicRow(label, breakdown)


def _marks(rows):
    return [(row.label, row.suppressed) for row in rows]


def test_suppress_hides_a_small_row_and_the_next_smallest_when_it_is_the_only_one():
    P, S = reporting_figures.PRIMARY, reporting_figures.SECONDARY
    judged = reporting_figures.suppress
    size = reporting_figures._judged
    # One small row: the smallest other (7, not 9 or 20) goes with it.
    rows = judged([_public_row("a", 20), _public_row("b", 2), _public_row("c", 7), _public_row("d", 9)], size, 5)
    assert _marks(rows) == [("a", ""), ("b", P), ("c", S), ("d", "")]
    # Two small rows: their sum is all the total gives away; nothing more is hidden.
    rows = judged([_public_row("a", 20), _public_row("b", 2), _public_row("c", 4)], size, 5)
    assert _marks(rows) == [("a", ""), ("b", P), ("c", P)]
    # Exactly the minimum is shown; a tie for the secondary takes the later row.
    rows = judged([_public_row("a", 6), _public_row("b", 5), _public_row("c", 6)], size, 5)
    assert _marks(rows) == [("a", ""), ("b", ""), ("c", "")]
    rows = judged([_public_row("a", 6), _public_row("b", 4), _public_row("c", 6)], size, 5)
    assert _marks(rows) == [("a", ""), ("b", P), ("c", S)]
    # Nothing else to hide: the only row.
    assert _marks(judged([_public_row("a", 3)], size, 5)) == [("a", P)]
    # No judged PEPs is fewer than the minimum too (a school of 30 PEPs, none judged yet).
    assert _marks(judged([_public_row("a", 0, peps=30), _public_row("b", 8), _public_row("c", 9)], size, 5)) == [
        ("a", P),
        ("b", S),
        ("c", ""),
    ]


@pytest.fixture
def public_term(db):
    """13 judged PEPs (year 5, each child's social worker in a team of their own):

        officer          school  judged PEPs (all Green but one Gold each)
        Alicia Zedd      Big     6
        Benedict Quill   Middle  5
        Carola Pym       Tiny 1  1
        Carola Pym       Tiny 2  1

    Officers: Carola (2) is below 5, the only one: Benedict (5, the smallest other) is
    hidden with her. Schools: Tiny 1 and Tiny 2 are combined (2 judged), still below 5
    and the only one: Middle (5) is hidden with them.
    """
    term = TermFactory(academic_year=2016, season=Season.AUTUMN)
    officers = {
        name: UserFactory(
            first_name=name.split()[0], last_name=name.split()[1], username=name.replace(" ", ".").lower()
        )
        for name in ("Alicia Zedd", "Benedict Quill", "Carola Pym")
    }
    schools = {name: SchoolFactory(name=name) for name in ("Big", "Middle", "Tiny 1", "Tiny 2")}
    plan = [("Alicia Zedd", "Big", 6), ("Benedict Quill", "Middle", 5), ("Carola Pym", "Tiny 1", 1)]
    plan += [("Carola Pym", "Tiny 2", 1)]
    for officer, school, n in plan:
        for i in range(n):
            child = ChildFactory(school=schools[school], allocated_officer=officers[officer], year_group=5)
            _pep(term, child, completed=term.pep_deadline, judgement=GOLD if i == 0 else GREEN)
    return SimpleNamespace(term=term, officers=officers, schools=schools)


def test_public_breakdowns_letter_the_officers_and_suppress_small_rows(public_term):
    figures = term_figures(public_term.term)
    public = reporting_figures.public_breakdowns(figures, 5)
    P, S = reporting_figures.PRIMARY, reporting_figures.SECONDARY

    assert [row.label for row in public.by_officer] == ["Officer A", "Officer B", "Officer C"]
    judged = {row.figures.label: (row.label, row.figures.quality.judged, row.suppressed) for row in public.by_officer}
    assert sorted((j, s) for _label, j, s in judged.values()) == [(2, P), (5, S), (6, "")]
    letters = reporting_figures.officer_letters(public_term.term, [o.pk for o in public_term.officers.values()])
    assert {judged[o.get_full_name()][0] for o in public_term.officers.values()} == {
        f"Officer {letters[o.pk]}" for o in public_term.officers.values()
    }

    assert _marks(public.by_school) == [
        ("Big", ""),
        ("Middle", S),
        ("2 schools and settings with fewer than 5 judged PEPs each", P),
    ]
    assert public.schools_combined == 2
    # Gold by school: Big's own; the hidden rows' Gold only together (Middle 1, the Tinies 1 each).
    assert public.gold_by_school == [("Big", 1), ("Schools and settings whose figures are not shown, together", 3)]
    # One phase, one key stage: 13 judged, nothing hidden.
    assert [(row.figures.quality.judged, row.suppressed) for row in public.by_phase] == [(13, "")]
    assert _marks(public.by_key_stage) == [("KS2", "")]
    # 13 teams of one submitted PEP each: every one hidden (no secondary needed).
    assert len(public.social_work) == 13 and {row.suppressed for row in public.social_work} == {P}
    assert public.any_suppressed
    # The dashboard's figures keep the names.
    assert {b.label for b in figures.by_officer} == set(public_term.officers)


def test_officer_letters_are_stable_for_a_term_and_drawn_again_for_another():
    term, other = SimpleNamespace(pk=1), SimpleNamespace(pk=2)
    keys = list(range(100, 108))
    letters = reporting_figures.officer_letters(term, keys)
    assert sorted(letters.values()) == list("ABCDEFGH")
    assert reporting_figures.officer_letters(term, keys[::-1]) == letters  # not the order given
    assert reporting_figures.officer_letters(other, keys) != letters  # 1 chance in 40,320 of equal
    assert [letters[k] for k in keys] != list("ABCDEFGH")  # not by key (nor name) order
    many = reporting_figures.officer_letters(term, list(range(28)))
    assert {"Z", "AA", "AB"} <= set(many.values())


# --- actions arising (issue 11) ---------------------------------------------------------


@pytest.fixture
def actions_term(db):
    """A term's actions, counted by hand. ``today`` is 30 days into the term.

    Supervision on day 5:  open, due day 10, Voice of the child (overdue)
                           done, SMART targets
                           not done, no area (General)
    Peer review on day 20: open, due today + 10, SMART targets of another pro-forma
                           done, Voice of the child
                           open, due day 25, no area (overdue)
    Next term, a supervision and a peer review with one action each; and one the day
    before the term starts: none of the term's."""
    from practice.models import PeerReviewMeeting

    from .factories import PracticeActionFactory, ProFormaAreaFactory, ProFormaFactory, SupervisionFactory

    term = TermFactory(academic_year=2010, season=Season.AUTUMN)
    later = TermFactory(academic_year=2010, season=Season.SPRING)
    day = lambda n: term.start_date + timedelta(days=n)  # noqa: E731 - a short local helper
    today = day(30)
    voice = ProFormaAreaFactory(title="Voice of the child")
    smart = ProFormaAreaFactory(title="SMART targets")
    smart_again = ProFormaAreaFactory(title="SMART targets", pro_forma=ProFormaFactory(areas=0, phase=list(Phase)[-1]))

    def meeting(on):
        return PeerReviewMeeting.objects.create(date=on, term=term, focus="targets")

    supervision, peer_review = SupervisionFactory(date=day(5)), meeting(day(20))

    def action(status="open", *, due=None, area=None, at=None):
        at = at or supervision
        if isinstance(at, PeerReviewMeeting):
            where = {"supervision": None, "peer_review": at, "owner": UserFactory()}
        else:
            where = {"supervision": at, "peer_review": None}
        closed = None if status == "open" else today
        return PracticeActionFactory(status=status, due=due or today, area=area, closed_on=closed, **where)

    action(due=day(10), area=voice)
    action("done", area=smart)
    action("not_done")
    action(due=today + timedelta(days=10), area=smart_again, at=peer_review)
    action("done", area=voice, at=peer_review)
    action(due=day(25), at=peer_review)
    action(due=day(1), area=voice, at=SupervisionFactory(date=later.start_date))
    action(due=day(1), area=voice, at=meeting(later.start_date + timedelta(days=1)))
    action(due=day(1), at=SupervisionFactory(date=day(-1)))
    return SimpleNamespace(term=term, later=later, today=today)


def test_actions_arising_hand_counted(actions_term):
    from reporting.figures import actions_arising

    figures = actions_arising(actions_term.term, actions_term.today)
    assert (figures.agreed, figures.open, figures.done, figures.not_done, figures.overdue) == (6, 3, 2, 1, 2)
    assert (figures.from_supervision, figures.from_peer_review) == (3, 3)
    assert figures.overdue_share == Fraction(1, 3)
    # 3, 2 and 1 of 6: 50%, 33.3% and 16.7%, shown as 50, 33 and 17 (adding up to 100).
    assert figures.status_shown == {"open": Fraction(50, 100), "done": Fraction(33, 100), "not_done": Fraction(17, 100)}
    assert figures.source_shown == {"supervision": Fraction(1, 2), "peer_review": Fraction(1, 2)}
    # Two each: the areas by title (the two SMART targets areas together), General last.
    assert [(t.title, t.agreed, t.shown_share) for t in figures.themes] == [
        ("SMART targets", 2, Fraction(34, 100)),
        ("Voice of the child", 2, Fraction(33, 100)),
        ("General", 2, Fraction(33, 100)),
    ]


def test_actions_arising_of_another_term_are_its_own(actions_term):
    from reporting.figures import actions_arising

    figures = actions_arising(actions_term.later, actions_term.today)
    assert (figures.agreed, figures.from_supervision, figures.from_peer_review) == (2, 1, 1)
    assert [(t.title, t.agreed) for t in figures.themes] == [("Voice of the child", 2)]
    # Both open and due before "today": overdue.
    assert figures.overdue == 2


def test_actions_arising_of_a_term_without_any():
    from reporting.figures import actions_arising

    figures = actions_arising(TermFactory())
    assert (figures.agreed, figures.themes, figures.overdue_share) == (0, [], None)
    assert figures.status_shown == {"open": None, "done": None, "not_done": None}


def test_actions_arising_queries_are_constant(actions_term):
    from reporting.figures import actions_arising

    from .factories import PracticeActionFactory, SupervisionFactory

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            actions_arising(actions_term.term, actions_term.today)
        return len(queries.captured_queries)

    before = count()
    for _ in range(5):
        PracticeActionFactory(supervision=SupervisionFactory(date=actions_term.term.start_date))
    assert count() == before == 2
