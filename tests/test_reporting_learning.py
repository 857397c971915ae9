"""reporting.figures.learning_figures (learning from the ratings) against hand-counted data.

The world (``learning``): three terms of 2010/11; the VSH reviewed three SSA PEPs, eight
areas each, line management:

- A: ``officer`` (manager's team), autumn: Red, Amber, then six Green;
- B: ``officer``, summer: Green, Amber, Green, Green, Gold, Green, Green, Green;
- C: ``other_officer`` (other_manager's team), spring: Red, six Green, Amber.

Left out: a draft review with every area Red, a lead-practitioner sample review of C all
Red, and a PEP of summer 2009/10 (before the terms asked for) all Red. ``officer`` was
supervised in the spring (between A and B), ``other_officer`` in the autumn.
"""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

import reporting.figures
from core.vocabulary import Phase, Rating, Season
from peps.models import Child, Pep, PepStatus, Term
from reporting.figures import AreaCounts, Improvement, area_key, learning_figures, learning_terms
from reviews.models import AreaRating, ProFormaArea, QaReview, ReviewKind, ReviewStatus
from reviews.services import save_review, start_review
from sampling.models import SampleKind

from .factories import (
    ChildFactory,
    PepFactory,
    QaReviewFactory,
    SampleEntryFactory,
    SampleFactory,
    SupervisionFactory,
    TermFactory,
)
from .services import require_service

pytestmark = pytest.mark.django_db

GOLD, GREEN, AMBER, RED = "gold", "green", "amber", "red"


def _reviewed(officer, term, ratings, reviewer, rate_all, points="", submit=True, kind=None):
    child = ChildFactory(allocated_officer=officer, year_group=5)
    pep = PepFactory(child=child, term=term, status=PepStatus.SUBMITTED)
    review = start_review(pep, reviewer, kind=kind)
    save_review(
        review,
        rate_all(review, ratings, comment=f"comment {child.la_reference}"),
        strengths="",
        development_points=points,
        submit=submit,
    )
    return pep


@pytest.fixture
def learning(officer, other_officer, manager, other_manager, vsh, lead, rate_all):
    autumn = TermFactory(academic_year=2010, season=Season.AUTUMN)
    spring = TermFactory(academic_year=2010, season=Season.SPRING)
    summer = TermFactory(academic_year=2010, season=Season.SUMMER)
    before = TermFactory(academic_year=2009, season=Season.SUMMER)
    a = _reviewed(officer, autumn, [RED, AMBER, *[GREEN] * 6], vsh, rate_all, points="Make the targets SMART")
    b = _reviewed(officer, summer, [GREEN, AMBER, GREEN, GREEN, GOLD, GREEN, GREEN, GREEN], vsh, rate_all)
    c = _reviewed(other_officer, spring, [RED, *[GREEN] * 6, AMBER], vsh, rate_all, points="Invite the SW")
    # Left out: a draft, a lead's sample review, a term before the range.
    _reviewed(officer, spring, [RED] * 8, vsh, rate_all, submit=False)
    _reviewed(officer, before, [RED] * 8, vsh, rate_all)
    lead_review = QaReviewFactory(pep=c, reviewer=lead, kind=ReviewKind.LEAD_SAMPLE, submitted=True)
    for area in lead_review.pro_forma.areas.all():
        AreaRating.objects.create(review=lead_review, area=area, rating=RED)
    SupervisionFactory(officer=officer, manager=manager, date=spring.start_date + timedelta(days=10))
    SupervisionFactory(officer=other_officer, manager=other_manager, date=autumn.start_date + timedelta(days=5))
    return {"terms": [autumn, spring, summer], "a": a, "b": b, "c": c}


def _row(rows, label):
    return next(row for row in rows if row.label == label)


def test_the_areas_weakest_first_with_exact_shares(learning, vsh):
    figures = learning_figures(vsh, learning["terms"])
    assert (figures.total.rated, figures.total.amber_red) == (24, 5)
    assert figures.total.amber_red_share == Fraction(5, 24)
    assert [row.label for row in figures.by_area][:3] == ["PEP meeting", "About the child", "Aspiration Pathway"]
    meeting = figures.by_area[0]
    assert meeting.figures.counts == {Rating.GOLD: 0, Rating.GREEN: 1, Rating.AMBER: 0, Rating.RED: 2}
    assert meeting.figures.amber_red_share == Fraction(2, 3)
    assert figures.by_area[1].figures.amber_red_share == Fraction(2, 3)
    assert figures.by_area[2].figures.amber_red_share == Fraction(1, 3)
    assert [row.figures.amber_red_share for row in figures.by_area[3:]] == [Fraction(0)] * 5
    assert meeting.phase_labels == Phase.SSA.label
    assert figures.weakest is meeting


def test_the_development_points_of_the_amber_and_red_ratings_per_area(learning, vsh):
    figures = learning_figures(vsh, learning["terms"])
    meeting = _row(figures.by_area, "PEP meeting")
    a, c = learning["a"], learning["c"]
    # The most recent term first.
    assert [(w.la_reference, w.rating, w.development_points) for w in meeting.weak] == [
        (c.child.la_reference, RED, "Invite the SW"),
        (a.child.la_reference, RED, "Make the targets SMART"),
    ]
    assert meeting.weak[1].comment == f"comment {a.child.la_reference}"
    assert meeting.weak[1].pep_id == a.pk
    assert meeting.weak_total == 2
    assert _row(figures.by_area, "Education").weak == []


def test_the_page_lists_the_latest_amber_and_red_of_an_area_and_counts_them_all(learning, vsh, monkeypatch):
    monkeypatch.setattr(reporting.figures, "WEAK_SHOWN", 1)
    with CaptureQueriesContext(connection) as queries:
        meeting = _row(learning_figures(vsh, learning["terms"]).by_area, "PEP meeting")
    assert [w.la_reference for w in meeting.weak] == [learning["c"].child.la_reference]
    assert meeting.weak_total == 2
    # Only the shown ones leave the database: the latest of each area, numbered there.
    (weak,) = [q["sql"] for q in queries.captured_queries if "development_points" in q["sql"]]
    assert "ROW_NUMBER() OVER (PARTITION BY" in weak


def test_by_officer_team_and_term(learning, vsh, officer, other_officer, manager, other_manager):
    figures = learning_figures(vsh, learning["terms"])
    assert [(row.key, row.figures.rated, row.figures.amber_red_share) for row in figures.by_officer] == [
        (other_officer.pk, 8, Fraction(1, 4)),
        (officer.pk, 16, Fraction(3, 16)),
    ]
    assert [(row.key, row.figures.amber_red_share) for row in figures.by_team] == [
        (other_manager.pk, Fraction(1, 4)),
        (manager.pk, Fraction(3, 16)),
    ]
    assert [(row.label, row.figures.amber_red_share) for row in figures.by_term] == [
        (str(learning["terms"][0]), Fraction(1, 4)),
        (str(learning["terms"][1]), Fraction(1, 4)),
        (str(learning["terms"][2]), Fraction(1, 8)),
    ]


def test_after_supervision(learning, vsh, officer, other_officer, manager):
    # A manager's own supervision by the VSH is not an officer's: not in the table.
    SupervisionFactory(officer=manager, manager=vsh, date=learning["terms"][1].start_date)
    improvement = {item.officer_id: item for item in learning_figures(vsh, learning["terms"]).improvement}
    mine = improvement[officer.pk]
    assert mine.during == str(learning["terms"][1])  # spring: in neither
    assert (mine.before.rated, mine.before.amber_red_share) == (8, Fraction(1, 4))
    assert (mine.after.rated, mine.after.amber_red_share) == (8, Fraction(1, 8))
    assert mine.change == Fraction(-1, 8)
    assert mine.verdict == "fewer Amber or Red areas after"
    assert set(improvement) == {officer.pk, other_officer.pk}
    theirs = improvement[other_officer.pk]
    assert theirs.before.rated == 0 and theirs.after.amber_red_share == Fraction(1, 4)
    assert theirs.change is None
    assert theirs.verdict == "not enough data to compare"


def test_verdicts_say_no_data_when_there_is_none():
    item = Improvement(1, "Officer", None, "")
    assert item.verdict == "no data"
    item.before.add(RED, 1)
    item.after.add(RED, 1)
    assert item.verdict == "no change"
    assert AreaCounts().amber_red_share is None


def test_a_manager_sees_only_their_team(learning, manager, officer):
    # Even a PEP of another team that a sample assigns the manager stays out.
    sample = SampleFactory(term=learning["terms"][1], kind=SampleKind.CROSS_MODERATION, reviewer=manager)
    SampleEntryFactory(sample=sample, pep=learning["c"], assigned_to=manager)
    figures = learning_figures(manager, learning["terms"])
    assert [row.key for row in figures.by_officer] == [officer.pk]
    assert (figures.total.rated, figures.total.amber_red) == (16, 3)
    assert [item.officer_id for item in figures.improvement] == [officer.pk]
    assert all(w.la_reference != learning["c"].child.la_reference for row in figures.by_area for w in row.weak)


def test_a_lead_sees_the_whole_school_but_no_supervision(learning, lead):
    figures = learning_figures(lead, learning["terms"])
    assert figures.total.rated == 24
    assert figures.improvement == []


def test_an_officer_and_an_administrator_see_nothing_of_others(learning, other_officer, administrator):
    assert learning_figures(other_officer, learning["terms"]).total.rated == 8
    assert learning_figures(administrator, learning["terms"]).total.rated == 24  # the page refuses them


def test_the_filters(learning, vsh, officer, other_officer, manager):
    assert learning_figures(vsh, learning["terms"], phase=Phase.EYFS).total.rated == 0
    assert learning_figures(vsh, learning["terms"], officer=other_officer).total.amber_red == 2
    by_team = learning_figures(vsh, learning["terms"], team=manager)
    assert [row.key for row in by_team.by_officer] == [officer.pk]
    assert [item.officer_id for item in by_team.improvement] == [officer.pk]
    only_spring = learning_figures(vsh, learning["terms"][1:2])
    assert only_spring.total.amber_red_share == Fraction(2, 8)
    # other_officer's autumn supervision is outside spring alone; officer's is in it.
    assert [item.officer_id for item in only_spring.improvement] == [officer.pk]


def test_learning_terms_ends_at_the_term_asked(learning):
    autumn, spring, summer = learning["terms"]
    assert learning_terms(summer, 3) == [autumn, spring, summer]
    assert learning_terms(spring, 1) == [spring]


def test_an_area_is_the_same_across_versions_by_its_title():
    assert area_key("  PEP   Meeting ") == area_key("pep meeting")


def test_the_queries_do_not_grow_with_the_data(learning, vsh, officer, other_officer, rate_all):
    def count():
        with CaptureQueriesContext(connection) as queries:
            learning_figures(vsh, learning["terms"])
        return len(queries)

    small = count()
    for term in learning["terms"]:
        for who in (officer, other_officer):
            _reviewed(who, term, [AMBER, RED, *[GREEN] * 6], vsh, rate_all, points="More")
    SupervisionFactory(officer=officer, date=learning["terms"][2].start_date)
    # The counts, the weak ratings, the supervisions; the areas and the people named.
    assert count() == small == 5


# --- the plan on PostgreSQL: the terms asked for, not the archive (issue 12) -------------


def _rows_read(plan: dict, table: str) -> int:
    """Rows a plan's scans of ``table`` read: kept and filtered out, over every loop."""
    read = 0
    if plan.get("Relation Name") == table and "Scan" in plan["Node Type"]:
        kept = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
        read += (kept + plan.get("Rows Removed by Index Recheck", 0)) * plan.get("Actual Loops", 1)
    return read + sum(_rows_read(child, table) for child in plan.get("Plans", []))


def test_the_learning_figures_read_the_terms_ratings_not_the_archives(vsh):
    """Twelve terms of Red-rated reviews; the figures of the latest term read its ratings
    (by the PEPs' term index), not every rating in the archive. Sequential scans are
    disabled so that the small tables' plan takes the path a large archive's would."""
    require_service("postgresql", connection.vendor == "postgresql", "reads PostgreSQL's EXPLAIN")
    officer = vsh  # any officer of the PEPs: the VSH sees them all
    areas = list(ProFormaArea.objects.filter(pro_forma__phase=Phase.SSA, pro_forma__version=1))
    terms = [TermFactory() for _ in range(12)]
    children = Child.objects.bulk_create(
        Child(la_reference=f"P-{n:04d}", first_name="C", last_name=f"{n}", year_group=5, date_of_birth=date(2014, 3, 1))
        for n in range(30)
    )
    peps = Pep.objects.bulk_create(
        Pep(child=child, term=term, officer=officer, phase=Phase.SSA, status=PepStatus.FINALISED)
        for term in terms
        for child in children
    )
    reviews = QaReview.objects.bulk_create(
        QaReview(
            pep=pep,
            reviewer=vsh,
            kind=ReviewKind.LINE_MANAGEMENT,
            pro_forma=areas[0].pro_forma,
            status=ReviewStatus.SUBMITTED,
            overall_judgement=Rating.RED,
            qa_round=1,
        )
        for pep in peps
    )
    AreaRating.objects.bulk_create(
        AreaRating(review=review, area=area, rating=Rating.RED) for review in reviews for area in areas
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    latest = Term.objects.order_by("-start_date").first()
    with CaptureQueriesContext(connection) as queries:
        figures = learning_figures(vsh, [latest])
    assert figures.total.amber_red == len(children) * len(areas)
    in_term, archive = len(children) * len(areas), AreaRating.objects.count()
    assert archive == 12 * in_term
    read = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in queries.captured_queries:
            if "reviews_arearating" in query["sql"]:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
                read += _rows_read(cursor.fetchone()[0][0]["Plan"], "reviews_arearating")
    assert 0 < read <= 2 * in_term, f"read {read} area ratings for {in_term} in the term ({archive} in all)"


def test_the_ratings_queries_name_the_terms_outside_the_subquery(learning, vsh):
    """The terms filter the ratings queries themselves, not only the subquery of the PEPs
    the user may see: on ten years of PostgreSQL data the planner otherwise hashes every
    area rating of the archive (140 ms against 38 ms; README "Performance with ten years
    of history")."""
    with CaptureQueriesContext(connection) as queries:
        learning_figures(vsh, learning["terms"])
    ratings = [q["sql"] for q in queries.captured_queries if 'FROM "reviews_arearating"' in q["sql"]]
    assert len(ratings) == 2
    for sql in ratings:
        # The subquery's PEPs are aliased (V0): this is the outer query's own filter.
        assert '"peps_pep"."term_id" IN' in sql, sql


def test_the_listing_reads_back_only_as_far_as_each_area_needs(learning, vsh, monkeypatch):
    """With one shown an area: PEP meeting has none in the summer, so it needs the
    spring's; About the child has the summer's Amber, Aspiration Pathway the spring's. Nothing needs the autumn: the
    listing's query leaves its ratings in the database, and lists what it listed before."""
    monkeypatch.setattr(reporting.figures, "WEAK_SHOWN", 1)
    autumn, spring, summer = learning["terms"]
    with CaptureQueriesContext(connection) as queries:
        figures = learning_figures(vsh, learning["terms"])
    (weak,) = [q["sql"] for q in queries.captured_queries if "development_points" in q["sql"]]
    assert f'"peps_pep"."term_id" = {spring.pk}' in weak
    assert f'"peps_pep"."term_id" = {summer.pk}' in weak
    assert f'"peps_pep"."term_id" = {autumn.pk}' not in weak
    listed = {row.label: [w.la_reference for w in row.weak] for row in figures.by_area if row.weak}
    assert listed == {
        "PEP meeting": [learning["c"].child.la_reference],
        "About the child": [learning["b"].child.la_reference],
        "Aspiration Pathway": [learning["c"].child.la_reference],
    }
    assert _row(figures.by_area, "PEP meeting").weak_total == 2


def test_the_terms_holding_an_areas_latest_walk_back_per_area_and_phase(monkeypatch):
    monkeypatch.setattr(reporting.figures, "WEAK_SHOWN", 10)
    autumn, spring, summer = (Term(pk=1), Term(pk=2), Term(pk=3))
    weak_in = {"meeting": {3: 1, 2: 4, 1: 9}, "careers": {3: 2, 1: 5}}
    phases = {
        ("meeting", 3): {Phase.SSA},
        ("meeting", 2): {Phase.SSA},
        ("meeting", 1): {Phase.SSA},
        ("careers", 3): {Phase.POST16},
        ("careers", 1): {Phase.POST16},
    }
    condition = reporting.figures._terms_holding_latest(weak_in, phases, [autumn, spring, summer])
    # meeting: 1 + 4 in summer and spring, short of ten, so the autumn too; careers: the
    # summer's two, then (no spring) the autumn's. The autumn's SSA and Post 16 PEPs.
    assert condition == (
        Q(pk__in=[])
        | Q(review__pep__term=3, review__pep__phase__in=sorted({Phase.SSA, Phase.POST16}))
        | Q(review__pep__term=2, review__pep__phase__in=[Phase.SSA])
        | Q(review__pep__term=1, review__pep__phase__in=sorted({Phase.SSA, Phase.POST16}))
    )
    # Enough in the newest term: that term alone.
    only_summer = reporting.figures._terms_holding_latest({"meeting": {3: 12, 2: 4}}, phases, [autumn, spring, summer])
    assert only_summer == Q(pk__in=[]) | Q(review__pep__term=3, review__pep__phase__in=[Phase.SSA])
    # No Amber or Red: nothing to read.
    assert reporting.figures._terms_holding_latest({}, phases, [autumn, spring, summer]) == Q(pk__in=[])
