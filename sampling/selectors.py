"""Reads for worklists, coverage and moderation agreement, each in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from core.vocabulary import Role
from peps.models import Pep, Term
from reviews.models import AreaRating, ReviewKind, ReviewStatus

from . import rules
from .models import ModerationSettlement, Sample, SampleEntry, SampleEntryQuerySet, SampleKind

MODERATION_KINDS = (SampleKind.CROSS_MODERATION, SampleKind.MODERATION_GROUP)


def worklist(user: User, term: Term | None) -> SampleEntryQuerySet:
    """The PEPs the user must review this term, with why each was chosen."""
    if term is None:
        return SampleEntry.objects.none()
    return (
        SampleEntry.objects.filter(assigned_to=user, sample__term=term)
        .select_related("pep__child", "pep__officer", "pep__term", "sample__lead_area", "review")
        .order_by("due_date", "pep__child__last_name", "pk")
    )


@dataclass(slots=True)
class WorklistEntry:
    """A sample entry as the worklist page shows it, in plain values: building the model
    instances (the entry, its PEP, child, officer, term, sample and review) for a manager's
    206 entries took 22 ms, the values 7."""

    pk: int
    pep_id: int
    review_id: int | None
    reason: str
    due_date: date
    kind: str
    lead_area: str | None
    pep_status: str
    child_first_name: str
    child_last_name: str
    la_reference: str
    officer_id: int | None
    officer: str  # User.name_of; "" for none
    review_status: str | None
    judgement: str

    @property
    def is_done(self) -> bool:
        return self.review_status == ReviewStatus.SUBMITTED

    @property
    def pep_ready(self) -> bool:
        return SampleEntry.ready(self.kind, self.pep_status)


def worklist_table(user: User, term: Term | None) -> list[WorklistEntry]:
    """``worklist``'s entries, in its order, with only what the worklist page shows of each
    (not the PEPs' texts, which at 400 rows cost more to read than the rest of the page)."""
    rows = worklist(user, term).values_list(
        "pk",
        "pep_id",
        "review_id",
        "reason",
        "due_date",
        "sample__kind",
        "sample__lead_area__name",
        "pep__status",
        "pep__child__first_name",
        "pep__child__last_name",
        "pep__child__la_reference",
        "pep__officer_id",
        "pep__officer__first_name",
        "pep__officer__last_name",
        "pep__officer__username",
        "review__status",
        "review__overall_judgement",
    )
    return [
        WorklistEntry(
            *row[:12],
            officer=User.name_of(first, last, username) if row[11] is not None else "",
            review_status=review_status,
            judgement=judgement or "",
        )
        for row in rows
        for first, last, username, review_status, judgement in [row[12:]]
    ]


def blind_peps(user: User) -> QuerySet:
    """The ids of the PEPs the user is re-rating for moderation and has not submitted yet,
    as a subquery (``.exclude(pk__in=blind_peps(user))`` costs no query of its own)."""
    return SampleEntry.objects.filter(assigned_to=user, sample__kind__in=MODERATION_KINDS).not_done().values("pep_id")


def blind_pep_ids(user: User) -> set[int]:
    """PEPs the user is re-rating for moderation and has not submitted yet: their first
    judgement stays hidden until then."""
    return {row["pep_id"] for row in blind_peps(user)}


@dataclass
class CoverageRow:
    officer: User
    manager: User | None
    caseload: int
    rate: float | None
    rate_reason: str
    minimum: int
    sample_size: int
    reviewed: int
    previous_amber: int
    previous_amber_reviewed: int

    @property
    def minimum_met(self) -> bool:
        return self.reviewed >= self.minimum

    @property
    def previous_amber_covered(self) -> bool:
        return self.previous_amber_reviewed == self.previous_amber

    @property
    def policy_met(self) -> bool:
        return self.minimum_met and self.previous_amber_covered


def coverage(term: Term, officers_in_view: list[int] | None = None) -> list[CoverageRow]:
    """Per officer: caseload, sample, reviews so far and whether the policy was met.

    ``officers_in_view`` limits the rows to those officers (a manager's team, from the
    access policy); None is the whole school.
    """
    in_view = User.objects.filter(role=Role.OFFICER).select_related("line_manager")
    if officers_in_view is not None:
        in_view = in_view.filter(pk__in=officers_in_view)
    officers = list(in_view.order_by("first_name", "last_name"))
    samples = {
        s.officer_id: s
        for s in Sample.objects.filter(term=term, kind=SampleKind.LINE_MANAGEMENT, officer__in=officers).annotate(
            size=Count("entries")
        )
    }
    amber: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    # A join to the entry's PEP's reviews, not EXISTS: PostgreSQL answers that EXISTS with a
    # hashed subplan over every submitted review in the archive (14 ms at ten years); the
    # join looks up the few entries' reviews by index (2 ms).
    for officer_id, done in (
        SampleEntry.objects.filter(
            sample__term=term,
            sample__kind=SampleKind.LINE_MANAGEMENT,
            sample__officer__in=officers,
            reason=rules.Reason.PREVIOUS_AMBER,
        )
        .annotate(
            done=Count(
                "pep__reviews",
                filter=Q(pep__reviews__kind=ReviewKind.LINE_MANAGEMENT, pep__reviews__status=ReviewStatus.SUBMITTED),
            )
        )
        .values_list("sample__officer_id", "done")
    ):
        amber[officer_id][0] += 1
        amber[officer_id][1] += int(done > 0)
    per_officer = {
        row["officer"]: row
        for row in Pep.objects.filter(term=term, officer__in=officers)
        .values("officer")
        .annotate(
            caseload=Count("pk", distinct=True),
            reviewed=Count(
                "reviews__pep",
                distinct=True,
                filter=Q(reviews__kind=ReviewKind.LINE_MANAGEMENT, reviews__status=ReviewStatus.SUBMITTED),
            ),
        )
        .order_by()
    }
    rows = []
    for officer in officers:
        sample = samples.get(officer.pk)
        figures: Mapping[str, Any] = per_officer.get(officer.pk, {})
        caseload = figures.get("caseload", 0)
        rows.append(
            CoverageRow(
                officer=officer,
                manager=officer.line_manager,
                caseload=caseload,
                rate=float(sample.rate) if sample and sample.rate is not None else None,
                rate_reason=sample.get_rate_reason_display() if sample else "",
                minimum=sample.minimum_size if sample else 0,
                sample_size=sample.size if sample else 0,
                reviewed=figures.get("reviewed", 0),
                previous_amber=amber[officer.pk][0],
                previous_amber_reviewed=amber[officer.pk][1],
            )
        )
    return rows


class AreaComparison(NamedTuple):
    """One area of a moderated PEP as each side rated it, with their comments."""

    title: str
    first: str
    second: str
    first_comment: str = ""
    second_comment: str = ""

    @property
    def differs(self) -> bool:
        return self.first != self.second


@dataclass
class Comparison:
    entry: SampleEntry
    first: str
    second: str
    areas: list[AreaComparison] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return self.first == self.second and not any(a.differs for a in self.areas)

    @property
    def differing(self) -> list[AreaComparison]:
        return [a for a in self.areas if a.differs]


@dataclass
class Agreement:
    comparisons: list
    overall: rules.AgreementFigure
    per_area: list  # (position, title, AgreementFigure)

    @property
    def overall_exact(self) -> float | None:
        return None if self.overall.exact is None else float(self.overall.exact)

    @property
    def overall_kappa(self) -> float | None:
        return self.overall.kappa

    @property
    def area_kappas(self) -> bool:
        """Whether any area has enough pairs for kappa (else the page says so once, not
        in every row)."""
        return any(figure.withheld != rules.KappaWithheld.TOO_FEW for _, _, figure in self.per_area)

    @property
    def disagreements(self) -> list:
        return [c for c in self.comparisons if not c.agrees]


def moderation_agreement(
    entries: QuerySet[SampleEntry], minimum: int = rules.KAPPA_MINIMUM_PAIRS, *, summary: bool = False
) -> Agreement:
    """Agreement between first and moderation ratings, overall and per area, for the
    entries re-rated so far: the counts, and linear-weighted Cohen's kappa from ``minimum``
    pairs (sampling.rules.agreement_figure).

    ``summary``: for the figures alone (the dashboard's). Each comparison's entry then
    holds only its settled date and its two reviews only their judgements: the six-table
    join the moderation page shows took 10 ms (most of it planning) for 22 entries.
    """
    rerated = entries.filter(original_review__status=ReviewStatus.SUBMITTED, review__status=ReviewStatus.SUBMITTED)
    if summary:
        rerated = rerated.select_related("original_review", "review").only(
            "settled_at", "original_review__overall_judgement", "review__overall_judgement"
        )
    else:
        rerated = rerated.select_related(
            "sample", "original_review", "review", "pep__child", "assigned_to", "original_review__reviewer"
        )
    done = list(rerated)
    review_ids = {e.original_review_id for e in done} | {e.review_id for e in done}
    ratings: defaultdict[int | None, dict[int, tuple[str, str]]] = defaultdict(dict)
    titles: dict[int, str] = {}
    for review_id, position, title, rating, comment in AreaRating.objects.filter(review_id__in=review_ids).values_list(
        "review_id", "area__position", "area__title", "rating", "comment"
    ):
        ratings[review_id][position] = (rating, comment)
        titles.setdefault(position, title)
    comparisons, area_pairs = [], defaultdict(list)
    for entry in done:
        first, second = ratings[entry.original_review_id], ratings[entry.review_id]
        areas = []
        for position in sorted(set(first) & set(second)):
            (first_rating, first_comment), (second_rating, second_comment) = first[position], second[position]
            if first_rating and second_rating:
                areas.append(
                    AreaComparison(titles[position], first_rating, second_rating, first_comment, second_comment)
                )
                area_pairs[position].append((first_rating, second_rating))
        # Both reviews are submitted (the filter above).
        assert entry.original_review is not None and entry.review is not None
        comparisons.append(
            Comparison(entry, entry.original_review.overall_judgement, entry.review.overall_judgement, areas)
        )
    overall = [(c.first, c.second) for c in comparisons if c.first and c.second]
    per_area = [
        (position, titles[position], rules.agreement_figure(pairs, minimum))
        for position, pairs in sorted(area_pairs.items())
    ]
    return Agreement(comparisons, rules.agreement_figure(overall, minimum), per_area)


def worklist_progress(user: User, term: Term | None) -> dict:
    """How many of the user's sample entries of the term are done, in one query."""
    if term is None:
        return {"total": 0, "done": 0}
    return SampleEntry.objects.filter(assigned_to=user, sample__term=term).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED))
    )


def next_entry_to_rate(user: User, term: Term | None) -> SampleEntry | None:
    """The first entry on the user's worklist that is not done and can be rated now: the
    "rate the next PEP" button after a review is submitted."""
    if term is None:
        return None
    return worklist(user, term).not_done().ready_to_rate().first()


def settlements_by_entry(entry_ids) -> dict[int, list[ModerationSettlement]]:
    """Each entry's settlements, the current (latest) first, in one query."""
    history: defaultdict[int, list[ModerationSettlement]] = defaultdict(list)
    for settlement in ModerationSettlement.objects.filter(entry_id__in=entry_ids).select_related("settled_by"):
        history[settlement.entry_id].append(settlement)
    return history
