"""sampling.selectors: worklists, blind moderation, coverage and moderation agreement."""

import re
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access.policy import officers_in_view
from core.vocabulary import Phase, Role, Season
from reviews.models import ProForma, ReviewKind
from reviews.rules import overall_judgement
from reviews.services import save_review, start_review
from sampling.models import SampleEntry, SampleKind
from sampling.rules import KappaWithheld, Reason, exact_agreement, weighted_kappa
from sampling.selectors import blind_pep_ids, coverage, moderation_agreement, worklist, worklist_table
from sampling.services import start_entry_review

from .factories import (
    ChildFactory,
    PepFactory,
    QaReviewFactory,
    SampleEntryFactory,
    SampleFactory,
    TermFactory,
    UserFactory,
    rate_all,
)

pytestmark = pytest.mark.django_db

GOLD, GREEN, AMBER, RED = "gold", "green", "amber", "red"


def _submit(review, ratings):
    return save_review(review, rate_all(review, ratings), strengths="", development_points="", submit=True)


def _peps(officer, term, count):
    return [PepFactory(child=ChildFactory(allocated_officer=officer), term=term) for _ in range(count)]


def _lm_sample(officer, term, rate, reason, minimum, caseload):
    return SampleFactory(
        term=term,
        officer=officer,
        reviewer=officer.line_manager,
        rate=Decimal(rate),
        rate_reason=reason,
        caseload_size=caseload,
        minimum_size=minimum,
    )


@pytest.fixture
def team():
    term = TermFactory(academic_year=2001, season=Season.AUTUMN)
    other_term = TermFactory(academic_year=2001, season=Season.SPRING)
    m1 = UserFactory(role=Role.MANAGER, first_name="M1")
    m2 = UserFactory(role=Role.MANAGER, first_name="M2")
    o1 = UserFactory(line_manager=m1, first_name="A")
    o2 = UserFactory(line_manager=m1, first_name="B")
    o3 = UserFactory(line_manager=m2, first_name="C")
    return SimpleNamespace(term=term, other_term=other_term, m1=m1, m2=m2, o1=o1, o2=o2, o3=o3)


# worklist


def test_worklist_is_the_users_entries_of_the_term_by_due_date_then_child(team):
    sample = _lm_sample(team.o1, team.term, "0.25", Reason.RANDOM_SHARE, 1, 3)
    later, sooner = team.term.end_date, team.term.end_date - timedelta(days=10)
    zed = SampleEntryFactory(sample=sample, pep__child__last_name="Zed", due_date=sooner)
    abel = SampleEntryFactory(sample=sample, pep__child__last_name="Abel", due_date=later)
    cole = SampleEntryFactory(sample=sample, pep__child__last_name="Cole", due_date=later)
    SampleEntryFactory(sample=_lm_sample(team.o3, team.term, "0.25", Reason.RANDOM_SHARE, 1, 1))  # m2's
    SampleEntryFactory(sample=_lm_sample(team.o1, team.other_term, "0.25", Reason.RANDOM_SHARE, 1, 1))

    assert list(worklist(team.m1, team.term)) == [zed, abel, cole]
    assert [e.pep.child.last_name for e in worklist(team.m1, team.term)] == ["Zed", "Abel", "Cole"]
    assert not worklist(team.m1, None).exists()


# blind_pep_ids


def test_a_moderators_pending_peps_are_blind_until_submitted(team):
    peps = _peps(team.o1, team.term, 3)
    originals = [_submit(start_review(p, team.m1), [GREEN] * 8) for p in peps[:2]]
    xmod = SampleFactory(term=team.term, kind=SampleKind.CROSS_MODERATION, reviewer=team.m2)
    first = SampleEntryFactory(sample=xmod, pep=peps[0], original_review=originals[0], reason=Reason.CROSS_MODERATION)
    second = SampleEntryFactory(sample=xmod, pep=peps[1], original_review=originals[1], reason=Reason.CROSS_MODERATION)
    own = SampleEntryFactory(sample=_lm_sample(team.o3, team.term, "0.25", Reason.RANDOM_SHARE, 1, 1))

    assert blind_pep_ids(team.m2) == {peps[0].pk, peps[1].pk}
    assert own.pep_id not in blind_pep_ids(team.m2)
    assert blind_pep_ids(team.m1) == set()

    _submit(start_entry_review(first, team.m2), [GREEN] * 8)
    start_entry_review(second, team.m2)  # a draft: still blind

    assert blind_pep_ids(team.m2) == {peps[1].pk}


# coverage


@pytest.fixture
def covered(team):
    """Hand-built samples and reviews.

    o1 (m1): 8 PEPs; sample 25%, minimum 2: p0 previous Amber, p1 and p2 random. Submitted
    line-management reviews of p0 (by m1 and the VSH) and p3 (outside the sample); a draft of p1; a lead's
    submitted review of p2. Reviewed 2, previous Amber 1 of 1: met.
    o2 (m1): 5 PEPs; new starter 50%, minimum 3: p0 and p1 previous Amber, p2. Reviews of p1,
    p2 and p3: reviewed 3 (minimum met), previous Amber 1 of 2: not met.
    o3 (m2): 4 PEPs; sample minimum 1, one entry, no review: not met.
    """
    p1, p2, p3 = _peps(team.o1, team.term, 8), _peps(team.o2, team.term, 5), _peps(team.o3, team.term, 4)
    s1 = _lm_sample(team.o1, team.term, "0.25", Reason.RANDOM_SHARE, 2, 8)
    SampleEntryFactory(sample=s1, pep=p1[0], reason=Reason.PREVIOUS_AMBER)
    SampleEntryFactory(sample=s1, pep=p1[1])
    SampleEntryFactory(sample=s1, pep=p1[2])
    QaReviewFactory(pep=p1[0], reviewer=team.m1, submitted=True)
    QaReviewFactory(pep=p1[0], reviewer=UserFactory(role=Role.VSH), submitted=True)
    QaReviewFactory(pep=p1[3], reviewer=team.m1, submitted=True)
    QaReviewFactory(pep=p1[1], reviewer=team.m1)  # draft
    QaReviewFactory(
        pep=p1[2],
        reviewer=UserFactory(role=Role.LEAD),
        kind=ReviewKind.LEAD_SAMPLE,
        submitted=True,
        overall_judgement="",
    )
    # Last term's PEP of an o1 child, reviewed: another term, not counted.
    QaReviewFactory(pep=PepFactory(child=p1[4].child, term=team.other_term), reviewer=team.m1, submitted=True)

    s2 = _lm_sample(team.o2, team.term, "0.5", Reason.NEW_STARTER, 3, 5)
    SampleEntryFactory(sample=s2, pep=p2[0], reason=Reason.PREVIOUS_AMBER)
    SampleEntryFactory(sample=s2, pep=p2[1], reason=Reason.PREVIOUS_AMBER)
    SampleEntryFactory(sample=s2, pep=p2[2], reason=Reason.NEW_STARTER)
    for pep in p2[1:4]:
        QaReviewFactory(pep=pep, reviewer=team.m1, submitted=True)

    SampleEntryFactory(sample=_lm_sample(team.o3, team.term, "0.25", Reason.RANDOM_SHARE, 1, 4), pep=p3[0])
    return team


def _figures(row):
    return (
        row.officer,
        row.manager,
        row.caseload,
        row.rate,
        row.minimum,
        row.sample_size,
        row.reviewed,
        row.previous_amber,
        row.previous_amber_reviewed,
        row.minimum_met,
        row.policy_met,
    )


def test_coverage_figures_of_a_managers_team(covered):
    rows = coverage(covered.term, officers_in_view(covered.m1))

    assert [_figures(r) for r in rows] == [
        (covered.o1, covered.m1, 8, 0.25, 2, 3, 2, 1, 1, True, True),
        (covered.o2, covered.m1, 5, 0.5, 3, 3, 3, 2, 1, True, False),
    ]
    assert [r.rate_reason for r in rows] == ["Random share of the caseload", "Officer in their first month"]


def test_coverage_a_manager_sees_only_their_reports_and_the_vsh_everyone(covered):
    vsh = UserFactory(role=Role.VSH)

    assert [_figures(r) for r in coverage(covered.term, officers_in_view(covered.m2))] == [
        (covered.o3, covered.m2, 4, 0.25, 1, 1, 0, 0, 0, False, False),
    ]
    assert [r.officer for r in coverage(covered.term, officers_in_view(vsh))] == [covered.o1, covered.o2, covered.o3]


def test_coverage_of_an_officer_without_a_sample(team):
    _peps(team.o1, team.term, 3)

    (row, _) = coverage(team.term, officers_in_view(team.m1))

    assert (row.caseload, row.rate, row.minimum, row.sample_size, row.reviewed) == (3, None, 0, 0, 0)


def test_coverage_runs_a_fixed_number_of_queries(covered):
    team = officers_in_view(covered.m2)
    with CaptureQueriesContext(connection) as one_manager:
        coverage(covered.term, team)
    vsh = UserFactory(role=Role.VSH)
    with CaptureQueriesContext(connection) as whole_school:
        rows = coverage(covered.term, officers_in_view(vsh))
        [(r.manager, r.rate_reason) for r in rows]

    assert len(whole_school) == len(one_manager)


def test_coverage_asks_for_the_previous_amber_reviews_by_a_join_not_exists(covered):
    """An EXISTS over the reviews is answered on PostgreSQL by a hashed subplan of every
    submitted review in the archive (14 ms at ten years); the join looks up the previous
    Amber entries' reviews by index (0.6 ms). p0 of o1, reviewed twice, counts once."""
    with CaptureQueriesContext(connection) as queries:
        rows = coverage(covered.term, officers_in_view(covered.m1))
    assert [(r.previous_amber, r.previous_amber_reviewed) for r in rows] == [(1, 1), (2, 1)]
    amber = [q["sql"] for q in queries.captured_queries if "previous_amber" in q["sql"]]
    assert len(amber) == 1
    assert "EXISTS" not in amber[0].upper() and 'LEFT OUTER JOIN "reviews_qareview"' in amber[0]


# moderation_agreement

FIRST = [[GREEN] * 8, [GOLD] * 8, [GREEN] * 6 + [AMBER, AMBER]]
SECOND = [[GREEN] * 8, [GOLD] * 7 + [GREEN], [GREEN] * 8]


@pytest.fixture
def moderated(team):
    """m1 rated three of o1's PEPs (FIRST); m2 re-rated them (SECOND), and has a fourth pending.

    Overall: Green/Green, Gold/Gold (7 Gold + 1 Green is still Gold), Amber/Green (6 Green
    and 2 Amber is Amber).
    """
    peps = _peps(team.o1, team.term, 4)
    originals = [
        _submit(start_review(pep, team.m1), ratings) for pep, ratings in zip(peps, [*FIRST, FIRST[0]], strict=True)
    ]
    sample = SampleFactory(term=team.term, kind=SampleKind.CROSS_MODERATION, reviewer=team.m2)
    entries = [
        SampleEntryFactory(sample=sample, pep=pep, original_review=original, reason=Reason.CROSS_MODERATION)
        for pep, original in zip(peps, originals, strict=True)
    ]
    for entry, ratings in zip(entries, SECOND, strict=False):
        _submit(start_entry_review(entry, team.m2), ratings)
    start_entry_review(entries[3], team.m2)  # still a draft: not compared
    team.entries = entries
    return team


def test_moderation_agreement_overall(moderated):
    # minimum=1: kappa from these three pairs, to check the arithmetic (the pages need ten).
    agreement = moderation_agreement(SampleEntry.objects.filter(sample__kind=SampleKind.CROSS_MODERATION), minimum=1)

    assert [(c.entry, c.first, c.second) for c in agreement.comparisons] == [
        (moderated.entries[0], GREEN, GREEN),
        (moderated.entries[1], GOLD, GOLD),
        (moderated.entries[2], AMBER, GREEN),
    ]
    # Pairs (G, G), (Au, Au), (A, G): exact 2/3. Linear weights |i - j| / 3, ranks A 1, G 2, Au 3:
    # observed disagreement (1/3) / 3 = 1/9; marginals first A1 G1 Au1, second G2 Au1;
    # expected: A row 2*1 + 1*2 = 4, G row 1*1 = 1, Au row 2*1 = 2: 7/3 over 9 = 7/27;
    # kappa = 1 - (1/9) / (7/27) = 1 - 3/7 = 4/7.
    assert (agreement.overall.pairs, agreement.overall.agreed, agreement.overall.exact) == (3, 2, Fraction(2, 3))
    assert agreement.overall_exact == pytest.approx(2 / 3)
    assert agreement.overall_kappa == pytest.approx(4 / 7)
    pairs = [(overall_judgement(a), overall_judgement(b)) for a, b in zip(FIRST, SECOND, strict=True)]
    assert agreement.overall_exact == pytest.approx(exact_agreement(pairs))
    assert agreement.overall_kappa == pytest.approx(weighted_kappa(pairs))


def test_moderation_agreement_withholds_kappa_from_too_few_pairs(moderated):
    agreement = moderation_agreement(SampleEntry.objects.filter(sample__kind=SampleKind.CROSS_MODERATION))

    assert (agreement.overall.agreed, agreement.overall.pairs) == (2, 3)
    assert agreement.overall_kappa is None and agreement.overall.withheld == KappaWithheld.TOO_FEW
    assert {figure.withheld for _, _, figure in agreement.per_area} == {KappaWithheld.TOO_FEW}


def test_moderation_agreement_per_area(moderated):
    agreement = moderation_agreement(SampleEntry.objects.filter(sample__kind=SampleKind.CROSS_MODERATION), minimum=1)

    titles = dict(ProForma.objects.current_for(Phase.SSA).areas.values_list("position", "title"))
    expected = [(position, titles[position], 3, 1.0, 1.0) for position in range(1, 7)] + [
        (7, titles[7], 3, 2 / 3, 4 / 7),  # (G, G), (Au, Au), (A, G): as overall
        # (G, G), (Au, G), (A, G): first A1 G1 Au1 against second all Green: observed
        # disagreement (1/3 + 1/3) / 3 = 2/9 equals the expected (1 + 0 + 1) * 3 / 3 / 9 = 2/9: kappa 0.
        (8, titles[8], 3, 1 / 3, 0.0),
    ]
    assert [(p, t, f.pairs) for p, t, f in agreement.per_area] == [(p, t, n) for p, t, n, _, _ in expected]
    assert [(float(f.exact), f.kappa) for _, _, f in agreement.per_area] == [
        (pytest.approx(e), pytest.approx(k)) for _, _, _, e, k in expected
    ]


def test_moderation_agreement_lists_the_disagreements(moderated):
    agreement = moderation_agreement(SampleEntry.objects.filter(sample__kind=SampleKind.CROSS_MODERATION))

    gold, amber = agreement.disagreements
    assert [gold.entry, amber.entry] == moderated.entries[1:3]
    assert [(a.first, a.second) for a in gold.differing] == [(GOLD, GREEN)]  # same overall, one area differs
    assert [a.title for a in gold.differing] == [gold.areas[-1].title]
    assert (amber.first, amber.second) == (AMBER, GREEN)
    assert [c.agrees for c in agreement.comparisons] == [True, False, False]


def test_the_worklist_table_reads_what_the_entries_models_say(moderated):
    entries = {entry.pk: entry for entry in worklist(moderated.m2, moderated.term)}

    with CaptureQueriesContext(connection) as queries:
        rows = worklist_table(moderated.m2, moderated.term)

    assert len(queries) == 1
    assert [row.pk for row in rows] == list(entries) and len(rows) == 4
    for row in rows:
        entry = entries[row.pk]
        officer = str(entry.pep.officer) if entry.pep.officer else ""
        judgement = entry.review.overall_judgement if entry.review else ""
        assert (row.is_done, row.pep_ready, row.review_id, row.pep_status, row.kind, row.officer, row.judgement) == (
            entry.is_done,
            entry.pep_ready,
            entry.review_id,
            entry.pep.status,
            entry.sample.kind,
            officer,
            judgement,
        )
        assert (row.child_first_name, row.child_last_name, row.la_reference, row.lead_area) == (
            entry.pep.child.first_name,
            entry.pep.child.last_name,
            entry.pep.child.la_reference,
            None,
        )
    # Three re-rated and one still a draft.
    assert [row.is_done for row in rows].count(True) == 3


def test_the_summary_agreement_has_the_same_figures_in_two_queries(moderated):
    entries = SampleEntry.objects.filter(sample__kind=SampleKind.CROSS_MODERATION)
    moderated.entries[2].settled_at = timezone.now()
    moderated.entries[2].save(update_fields=["settled_at"])
    full = moderation_agreement(entries, minimum=1)

    with CaptureQueriesContext(connection) as queries:
        summary = moderation_agreement(entries, minimum=1, summary=True)
        settled = [c.entry.settled_at for c in summary.disagreements]
        agrees = [c.agrees for c in summary.comparisons]

    # The entries with their judgements, then the ratings: none a comparison. The entries'
    # query joins their two reviews (and the sample it filters on), not the child and people.
    assert len(queries) == 2
    assert not {"peps_child", "accounts_user"} & set(re.findall(r'"(\w+)"\.', queries[0]["sql"]))
    assert (summary.overall, summary.per_area) == (full.overall, full.per_area)
    assert [c.entry.pk for c in summary.disagreements] == [c.entry.pk for c in full.disagreements]
    assert settled == [None, moderated.entries[2].settled_at] and agrees == [True, False, False]


def test_moderation_agreement_without_comparisons(team):
    agreement = moderation_agreement(SampleEntry.objects.all())

    assert (agreement.comparisons, agreement.overall_exact, agreement.overall_kappa, agreement.per_area) == (
        [],
        None,
        None,
        [],
    )
    assert (agreement.overall.pairs, agreement.overall.withheld) == (0, "")
