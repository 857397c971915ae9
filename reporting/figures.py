"""The reporting figures: one service computes them; pages, downloads and PDFs only
present them.

Every figure for a term comes from a fixed number of grouped queries, whatever the
number of PEPs (see bench/reporting.py). Shares are exact fractions (never floats), None
where there is nothing to divide by; the templates say "no data" for them.

Shares that are parts of one whole (Gold, Green, Amber and Red of the judged PEPs; on
time, late and not completed of the PEPs due) are shown as whole percentages that add up
to exactly 100: the ``shown`` shares, by the largest-remainder method (``split``). Every
page, download and PDF shows those, so a part reads the same wherever it is shown. A share
that is a union of parts is the sum of its shown parts: "good or better" is the shown Gold
plus the shown Green, "completed" the shown on time plus the shown late. Any other share
is shown by reporting.formatting, rounded half up on its exact value.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Generic, TypeVar

from django.db.models import Count, F, Field, Min, OrderBy, Q, QuerySet, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.crypto import salted_hmac

from access.policy import officers_in_view, peps_with_outcome_visible, visible_peps, visible_supervisions
from accounts.models import User
from core.vocabulary import Phase, Rating, Role, key_stage
from peps.models import Pep, PepStatus, PepStatusChange, Term
from peps.models import SocialCareTeam as SocialCareTeamModel
from practice.models import ActionStatus, PracticeAction
from reviews.models import AreaRating, ProFormaArea, ReviewKind, ReviewStatus
from sampling.models import SampleEntry
from sampling.rules import KAPPA_MINIMUM_PAIRS, AgreementFigure
from sampling.selectors import MODERATION_KINDS, coverage, moderation_agreement

RATINGS = [Rating.GOLD, Rating.GREEN, Rating.AMBER, Rating.RED]
KEY_STAGES = ["EYFS", "KS1", "KS2", "KS3", "KS4", "KS5"]


def share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def largest_remainder(counts: Sequence[int], total: int = 100) -> list[int] | None:
    """Whole numbers in proportion to ``counts`` that add up to exactly ``total`` (the
    largest-remainder method): each count gets the whole part of its exact quota, and the
    units left over go to the largest remainders, a tie to the earlier count. Each result
    is within 1 of its exact quota. None when the counts add up to 0."""
    if any(count < 0 for count in counts):
        raise ValueError("counts cannot be negative")
    whole = sum(counts)
    if not whole:
        return None
    # Integer arithmetic: quota = count * total / whole, exactly.
    quotas = [divmod(count * total, whole) for count in counts]
    result = [units for units, _remainder in quotas]
    left = total - sum(result)
    # sorted() is stable: equal remainders keep their order, the earlier first.
    for index in sorted(range(len(counts)), key=lambda i: -quotas[i][1])[:left]:
        result[index] += 1
    return result


def split(counts: Sequence[int]) -> list[Fraction | None]:
    """The shares of ``counts`` in their sum as shown: whole percentages (as fractions of
    100) that add up to exactly 100%. All None when the counts add up to 0."""
    return list(_split(tuple(counts)))


@lru_cache(maxsize=4096)
def _split(counts: tuple[int, ...]) -> tuple[Fraction | None, ...]:
    # Remembered by the counts (a pure function of them): the dashboard asks for the same
    # few hundred rows' shares again and again, and each asking built its Fractions anew.
    percents = largest_remainder(counts)
    if percents is None:
        return (None,) * len(counts)
    return tuple(Fraction(p, 100) for p in percents)


def _sum_shown(*shares: Fraction | None) -> Fraction | None:
    known = [s for s in shares if s is not None]
    return None if len(known) < len(shares) else sum(known, Fraction(0))


@dataclass
class Quality:
    """Judged PEPs by overall judgement."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))

    @property
    def judged(self) -> int:
        return sum(self.counts.values())

    def share(self, rating: str) -> Fraction | None:
        """The exact share of judged PEPs at ``rating``; the pages show ``shown_share``."""
        return share(self.counts[Rating(rating)], self.judged)

    @property
    def shares(self) -> dict:
        return {rating: self.share(rating) for rating in RATINGS}

    @property
    def shown_shares(self) -> dict:
        """Gold, Green, Amber and Red as shown: whole percentages adding up to 100."""
        return dict(zip(RATINGS, split([self.counts[r] for r in RATINGS]), strict=True))

    def shown_share(self, rating: str) -> Fraction | None:
        return self.shown_shares[Rating(rating)]

    @property
    def good_or_better(self) -> int:
        return self.counts[Rating.GOLD] + self.counts[Rating.GREEN]

    @property
    def good_or_better_share(self) -> Fraction | None:
        """The exact share; the pages show ``good_or_better_shown``."""
        return share(self.good_or_better, self.judged)

    @property
    def good_or_better_shown(self) -> Fraction | None:
        """Good or better as shown: the shown Gold plus the shown Green, so that it reads
        the same as the split beside it."""
        shown = self.shown_shares
        return _sum_shown(shown[Rating.GOLD], shown[Rating.GREEN])

    def add(self, judgement: str, n: int) -> None:
        if judgement in self.counts:  # as AreaCounts.add: no Rating.values rebuilt a row
            self.counts[judgement] += n


@dataclass
class Completion:
    due: int = 0
    completed: int = 0
    on_time: int = 0

    @property
    def late(self) -> int:
        """Completed after the deadline."""
        return self.completed - self.on_time

    @property
    def outstanding(self) -> int:
        """Not completed yet."""
        return self.due - self.completed

    @property
    def completed_share(self) -> Fraction | None:
        """The exact share; the pages show ``completed_shown``."""
        return share(self.completed, self.due)

    @property
    def on_time_share(self) -> Fraction | None:
        """The exact share; the pages show ``on_time_shown``."""
        return share(self.on_time, self.due)

    @property
    def shown_shares(self) -> dict:
        """On time, late and not completed of the PEPs due, as shown: whole percentages
        adding up to 100."""
        return dict(
            zip(("on_time", "late", "outstanding"), split([self.on_time, self.late, self.outstanding]), strict=True)
        )

    @property
    def on_time_shown(self) -> Fraction | None:
        return self.shown_shares["on_time"]

    @property
    def late_shown(self) -> Fraction | None:
        return self.shown_shares["late"]

    @property
    def outstanding_shown(self) -> Fraction | None:
        return self.shown_shares["outstanding"]

    @property
    def completed_shown(self) -> Fraction | None:
        """Completed as shown: the shown on time plus the shown late."""
        shown = self.shown_shares
        return _sum_shown(shown["on_time"], shown["late"])


@dataclass
class Breakdown:
    """One row of a quality breakdown (a phase, key stage, school or officer)."""

    key: str | int | None
    label: str
    quality: Quality = field(default_factory=Quality)
    peps: int = 0


@dataclass
class SocialWorkFigures:
    team: str
    manager: str
    team_id: int | None = None
    meetings: int = 0
    sw_attended: int = 0
    sw_section_updated: int = 0
    peps: int = 0

    @property
    def attended_share(self) -> Fraction | None:
        return share(self.sw_attended, self.meetings)

    @property
    def section_share(self) -> Fraction | None:
        return share(self.sw_section_updated, self.peps)


@dataclass
class Amendments:
    returned: int = 0
    amended: int = 0
    still_returned: int = 0


@dataclass
class CoverageSummary:
    officers: int
    officers_met: int
    minimum_total: int
    reviewed_total: int
    previous_amber: int
    previous_amber_reviewed: int


@dataclass
class ModerationSummary:
    pairs: int
    exact: Fraction | None
    kappa: float | None  # a statistic, not a share; None when too few pairs or undefined
    disagreements: int
    settled: int
    agreed: int = 0
    kappa_withheld: str = ""  # why kappa is None (sampling.rules.KappaWithheld)
    kappa_minimum: int = KAPPA_MINIMUM_PAIRS

    @property
    def figure(self) -> AgreementFigure:
        return AgreementFigure(self.pairs, self.agreed, self.kappa, self.kappa_withheld, self.kappa_minimum)


@dataclass
class TermFigures:
    term: Term
    completion: Completion
    quality: Quality
    by_phase: list
    by_key_stage: list
    by_school: list
    by_officer: list
    social_work: list
    social_work_total: SocialWorkFigures
    amendments: Amendments
    coverage: CoverageSummary
    moderation: ModerationSummary

    @property
    def has_peps(self) -> bool:
        return self.completion.due > 0

    @property
    def not_judged(self) -> int:
        """PEPs due this term without a line-management judgement yet."""
        return self.completion.due - self.quality.judged

    @property
    def gold(self) -> int:
        return self.quality.counts[Rating.GOLD]

    @property
    def gold_by_school(self) -> list:
        return sorted(
            ((row.label, row.quality.counts[Rating.GOLD]) for row in self.by_school if row.quality.counts[Rating.GOLD]),
            key=lambda item: (-item[1], item[0]),
        )


def _completion(peps) -> Completion:
    row = peps.aggregate(
        due=Count("pk"),
        completed=Count("pk", filter=Q(date_completed__isnull=False)),
        on_time=Count("pk", filter=Q(date_completed__lte=F("term__pep_deadline"))),
    )
    return Completion(**row)


def _breakdowns(rows, key_field, label_for) -> list[Breakdown]:
    by_key: dict = {}
    for row in rows:
        key = row[key_field]
        item = by_key.setdefault(key, Breakdown(key=key, label=label_for(row)))
        item.peps += row["n"]
        item.quality.add(row["judgement"], row["n"])
    return sorted(by_key.values(), key=lambda b: b.label)


def _school_breakdown(peps) -> list[Breakdown]:
    return _breakdowns(
        peps.values("child__school", "child__school__name", "judgement").annotate(n=Count("pk")).order_by(),
        "child__school",
        lambda row: row["child__school__name"] or "No school recorded",
    )


def school_breakdown(term: Term) -> list[Breakdown]:
    """The term's judgements by school or setting: ``term_figures(term).by_school``, alone
    (the dashboard's table of schools, fetched when opened)."""
    return _school_breakdown(Pep.objects.filter(term=term))


def term_figures(term: Term) -> TermFigures:
    peps = Pep.objects.filter(term=term)
    completion = _completion(peps)

    quality = Quality()
    by_phase = {phase: Breakdown(key=phase.value, label=phase.label) for phase in Phase}
    by_key_stage = {ks: Breakdown(key=ks, label=ks) for ks in KEY_STAGES}
    for row in (
        peps.annotate(year=Coalesce("year_group", "child__year_group"))
        .values("phase", "year", "judgement")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        quality.add(row["judgement"], row["n"])
        for breakdown in (by_phase[Phase(row["phase"])], by_key_stage[key_stage(row["year"])]):
            breakdown.peps += row["n"]
            breakdown.quality.add(row["judgement"], row["n"])

    by_school = _school_breakdown(peps)
    by_officer = _breakdowns(
        peps.values("officer", "officer__first_name", "officer__last_name", "officer__username", "judgement")
        .annotate(n=Count("pk"))
        .order_by(),
        "officer",
        _officer_label,
    )

    social_work, total = _social_work(peps)
    return TermFigures(
        term=term,
        completion=completion,
        quality=quality,
        by_phase=list(by_phase.values()),
        by_key_stage=[b for b in by_key_stage.values() if b.peps],
        by_school=by_school,
        by_officer=by_officer,
        social_work=social_work,
        social_work_total=total,
        amendments=_amendments(term),
        coverage=_coverage(term),
        moderation=_moderation(term),
    )


# --- the public (board) report's breakdowns -----------------------------------------
#
# The board report is a public paper (committee papers): it names no Virtual School officer
# with their figures, and a breakdown row with only a few judged PEPs could point to a
# child, so ``public_breakdowns`` is applied to every breakdown it shows. The dashboard,
# for signed-in staff, keeps the names and every figure.

PRIMARY = "primary"  # fewer than the minimum: suppressed
SECONDARY = "secondary"  # suppressed too, so that the primary cannot be worked out from the total


R = TypeVar("R", Breakdown, SocialWorkFigures)


@dataclass
class PublicRow(Generic[R]):
    """A breakdown row as the public report shows it: its label (an officer as "Officer
    A"), and its figures (a ``Breakdown``, or ``SocialWorkFigures`` for a team) unless
    ``suppressed`` (PRIMARY or SECONDARY): then the report shows none of its counts."""

    label: str
    figures: R
    suppressed: str = ""


@dataclass
class PublicBreakdowns:
    minimum: int
    by_phase: list[PublicRow[Breakdown]]
    by_key_stage: list[PublicRow[Breakdown]]
    by_school: list[PublicRow[Breakdown]]
    by_officer: list[PublicRow[Breakdown]]
    social_work: list[PublicRow[SocialWorkFigures]]
    # (school, Gold PEPs) for the schools shown; the suppressed rows' Gold together.
    gold_by_school: list[tuple[str, int]]
    # How many school rows were combined into one (schools with fewer judged PEPs).
    schools_combined: int = 0

    @property
    def any_suppressed(self) -> bool:
        return any(
            row.suppressed
            for rows in (self.by_phase, self.by_key_stage, self.by_school, self.by_officer, self.social_work)
            for row in rows
        )


def suppress(rows: list[PublicRow[R]], size: Callable[[R], int], minimum: int) -> list[PublicRow[R]]:
    """Small-number suppression of one table whose rows add up to a total published
    elsewhere in the report. A row whose ``size`` (judged PEPs) is below ``minimum`` is
    suppressed (PRIMARY); when exactly one row is, the total minus the others would give
    it back, so the smallest other row is suppressed too (SECONDARY; the later in the
    table on a tie). Two or more suppressed rows only give their sum, which is at least
    ``minimum`` when one of them is a secondary. The rows' order is left as it is."""
    for row in rows:
        row.suppressed = PRIMARY if size(row.figures) < minimum else ""
    if sum(1 for row in rows if row.suppressed) == 1:
        others = [(size(row.figures), -index) for index, row in enumerate(rows) if not row.suppressed]
        if others:
            rows[-min(others)[1]].suppressed = SECONDARY
    return rows


def _judged(breakdown: Breakdown) -> int:
    return breakdown.quality.judged


def _submitted(team: SocialWorkFigures) -> int:
    return team.peps


def officer_letters(term: Term, keys: list) -> dict:
    """Officer key -> "A", "B", ... "Z", "AA"...: in an order drawn at random, seeded by
    the term (a keyed hash of the term and the officer, with the SECRET_KEY), so it is the
    same each time a term's report is made, says nothing about who the officer is or
    about their figures (not alphabetical, not by caseload), and differs from term to
    term (a letter cannot be followed from one term's report to the next)."""
    ordered = sorted(keys, key=lambda key: salted_hmac("hvs-board-report-officer", f"{term.pk}:{key}").hexdigest())
    return {key: _letters(n) for n, key in enumerate(ordered)}


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def public_breakdowns(figures: TermFigures, minimum: int) -> PublicBreakdowns:
    """Every breakdown of ``figures`` as a public report may show it:

    - officers as "Officer A", "Officer B"... (``officer_letters``), in that order; a PEP
      with no officer as "No officer recorded";
    - schools with fewer than ``minimum`` judged PEPs combined into one row (by name
      otherwise, alphabetically), the combined row last;
    - then in each table (phase, key stage, school, officer, social care team) a row with
      fewer than ``minimum`` judged PEPs suppressed, and a second row with it when it is
      the only one (``suppress``). Social care teams' figures count submitted PEPs, not
      judged ones: a team is suppressed by its number of submitted PEPs. The team manager
      is not shown."""
    schools = [b for b in figures.by_school if b.quality.judged >= minimum]
    small = [b for b in figures.by_school if b.quality.judged < minimum]
    school_rows = [PublicRow(b.label, b) for b in schools]
    if small:
        combined = Breakdown(
            key=None,
            label=f"{_plural(len(small), 'school or setting', 'schools and settings')} with fewer than "
            f"{minimum} judged PEPs each",
        )
        for b in small:
            combined.peps += b.peps
            for rating, n in b.quality.counts.items():
                combined.quality.add(rating, n)
        school_rows.append(PublicRow(combined.label, combined))
    suppress(school_rows, _judged, minimum)

    letters = officer_letters(figures.term, [b.key for b in figures.by_officer if b.key is not None])
    officer_rows = sorted(
        (
            PublicRow(f"Officer {letters[b.key]}" if b.key is not None else "No officer recorded", b)
            for b in figures.by_officer
        ),
        key=lambda row: (row.figures.key is None, len(row.label), row.label),
    )
    suppress(officer_rows, _judged, minimum)

    gold = sorted(
        ((row.label, row.figures.quality.counts[Rating.GOLD]) for row in school_rows if not row.suppressed),
        key=lambda item: (-item[1], item[0]),
    )
    gold = [item for item in gold if item[1]]
    hidden_gold = sum(row.figures.quality.counts[Rating.GOLD] for row in school_rows if row.suppressed)
    if hidden_gold:
        gold.append(("Schools and settings whose figures are not shown, together", hidden_gold))

    return PublicBreakdowns(
        minimum=minimum,
        by_phase=suppress([PublicRow(b.label, b) for b in figures.by_phase if b.peps], _judged, minimum),
        by_key_stage=suppress([PublicRow(b.label, b) for b in figures.by_key_stage], _judged, minimum),
        by_school=school_rows,
        by_officer=officer_rows,
        social_work=suppress([PublicRow(t.team, t) for t in figures.social_work], _submitted, minimum),
        gold_by_school=gold,
        schools_combined=len(small),
    )


def _plural(n: int, word: str, plural: str) -> str:
    return f"{n} {word if n == 1 else plural}"


def _officer_label(row) -> str:
    # A PEP whose officer was removed (SET_NULL) has no officer: its name fields are None.
    if row["officer"] is None:
        return "No officer"
    return User.name_of(row["officer__first_name"], row["officer__last_name"], row["officer__username"])


def _social_work(peps) -> tuple[list[SocialWorkFigures], SocialWorkFigures]:
    teams = []
    total = SocialWorkFigures(team="All teams", manager="")
    for row in (
        peps.exclude(status=PepStatus.DRAFT)
        .values(
            "child__social_worker__team", "child__social_worker__team__name", "child__social_worker__team__manager_name"
        )
        .annotate(
            peps_n=Count("pk"),
            meetings=Count("pk", filter=Q(meeting_date__isnull=False)),
            attended=Count("pk", filter=Q(meeting_date__isnull=False, sw_attended=True)),
            updated=Count("pk", filter=Q(sw_section_updated=True)),
        )
        .order_by(F("child__social_worker__team__name").asc(nulls_last=True))
    ):
        figures = SocialWorkFigures(
            team=row["child__social_worker__team__name"] or "No social worker recorded",
            manager=row["child__social_worker__team__manager_name"] or "",
            team_id=row["child__social_worker__team"],
            meetings=row["meetings"],
            sw_attended=row["attended"],
            sw_section_updated=row["updated"],
            peps=row["peps_n"],
        )
        teams.append(figures)
        total.meetings += figures.meetings
        total.sw_attended += figures.sw_attended
        total.sw_section_updated += figures.sw_section_updated
        total.peps += figures.peps
    return teams, total


def _amendments(term: Term) -> Amendments:
    row = PepStatusChange.objects.filter(pep__term=term).aggregate(
        returned=Count("pep", distinct=True, filter=Q(to_status=PepStatus.RETURNED)),
        amended=Count("pep", distinct=True, filter=Q(from_status=PepStatus.RETURNED, to_status=PepStatus.SUBMITTED)),
    )
    still = Pep.objects.filter(term=term, status=PepStatus.RETURNED).count()
    return Amendments(returned=row["returned"], amended=row["amended"], still_returned=still)


def _coverage(term: Term) -> CoverageSummary:
    # Officers with no PEPs this term have nothing to sample: they are not "meeting" it.
    rows = [row for row in coverage(term) if row.caseload]
    return CoverageSummary(
        officers=len(rows),
        officers_met=sum(1 for r in rows if r.policy_met),
        minimum_total=sum(r.minimum for r in rows),
        reviewed_total=sum(r.reviewed for r in rows),
        previous_amber=sum(r.previous_amber for r in rows),
        previous_amber_reviewed=sum(r.previous_amber_reviewed for r in rows),
    )


def _moderation(term: Term) -> ModerationSummary:
    entries = SampleEntry.objects.filter(sample__term=term, sample__kind__in=MODERATION_KINDS)
    agreement = moderation_agreement(entries, summary=True)
    disagreements = agreement.disagreements
    overall = agreement.overall
    return ModerationSummary(
        pairs=overall.pairs,
        exact=overall.exact,
        kappa=overall.kappa,
        disagreements=len(disagreements),
        settled=sum(1 for c in disagreements if c.entry.settled_at),
        agreed=overall.agreed,
        kappa_withheld=overall.withheld,
        kappa_minimum=overall.minimum,
    )


@dataclass
class TrendPoint:
    term: Term
    completion: Completion
    quality: Quality


def trend(term: Term, terms: int = 6) -> list[TrendPoint]:
    """The last `terms` terms up to and including `term`, oldest first (two queries
    for all of them, plus one for the terms)."""
    window = list(Term.objects.filter(start_date__lte=term.start_date).order_by("-start_date")[:terms])[::-1]
    points = {t.pk: TrendPoint(term=t, completion=Completion(), quality=Quality()) for t in window}
    for row in (
        Pep.objects.filter(term__in=window)
        .values("term")
        .annotate(
            due=Count("pk"),
            completed=Count("pk", filter=Q(date_completed__isnull=False)),
            on_time=Count("pk", filter=Q(date_completed__lte=F("term__pep_deadline"))),
        )
        .order_by()
    ):
        points[row["term"]].completion = Completion(row["due"], row["completed"], row["on_time"])
    for judged in (
        Pep.objects.filter(term__in=window)
        .exclude(judgement="")
        .values("term", "judgement")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        points[judged["term"]].quality.add(judged["judgement"], judged["n"])
    return list(points.values())


@dataclass
class SocialCareRow:
    team: str
    team_id: int | None
    team_manager: str
    team_manager_email: str
    social_worker: str
    la_reference: str
    meeting_date: object
    sw_attended: bool
    sw_section_updated: bool

    @property
    def not_attended(self) -> bool:
        """A PEP meeting was held and the social worker did not attend it."""
        return bool(self.meeting_date) and not self.sw_attended


NO_SOCIAL_WORKER = "No social worker recorded"


@dataclass
class SocialCareTeam:
    """One team's exceptions, and how many of each; its manager as the team records them
    (``team_id`` None: the PEPs of children with no social worker recorded)."""

    name: str
    rows: list
    team_id: int | None = None
    manager: str = ""
    manager_email: str = ""

    @classmethod
    def of_rows(cls, name: str, rows: list) -> "SocialCareTeam":
        first = rows[0]
        return cls(name, rows, first.team_id, first.team_manager, first.team_manager_email)

    @classmethod
    def of_team(cls, team: SocialCareTeamModel, rows: list) -> "SocialCareTeam":
        return cls(team.name, rows, team.pk, team.manager_name, team.manager_email)

    @property
    def peps(self) -> int:
        return len(self.rows)

    @property
    def not_attended(self) -> int:
        return sum(1 for r in self.rows if r.not_attended)

    @property
    def not_updated(self) -> int:
        return sum(1 for r in self.rows if not r.sw_section_updated)


def social_care_teams(term: Term, user=None) -> list[SocialCareTeam]:
    """``social_care_exceptions`` team by team, with their counts: the teams with
    exceptions only (the VSH's all-teams report)."""
    return [SocialCareTeam.of_rows(name, rows) for name, rows in social_care_exceptions(term, user).items()]


def social_care_every_team(term: Term) -> list[SocialCareTeam]:
    """Every social care team by name, each with its exceptions of ``term`` (perhaps none),
    then the PEPs of children with no social worker recorded, if any (no team, no manager
    to send them to): what sending the reports to the teams' managers would send."""
    exceptions = social_care_exceptions(term)
    teams = [SocialCareTeam.of_team(team, exceptions.pop(team.name, [])) for team in SocialCareTeamModel.objects.all()]
    return teams + [SocialCareTeam(name, rows) for name, rows in exceptions.items()]


def social_care_team_exceptions(term: Term, team: SocialCareTeamModel) -> SocialCareTeam:
    """One team's exceptions of ``term`` and nobody else's: the report its manager is sent."""
    return SocialCareTeam.of_team(team, social_care_exceptions(term, team=team).get(team.name, []))


def social_care_exceptions(
    term: Term, user=None, team: SocialCareTeamModel | None = None
) -> dict[str, list[SocialCareRow]]:
    """Per social care team: PEPs of the term whose meeting the SW did not attend or
    whose SW section was not updated. Children by LA reference only; given ``user``, only
    the PEPs that user may see; given ``team``, only that team's (its social workers')."""
    peps = Pep.objects.all() if user is None else visible_peps(user)
    if team is not None:
        peps = peps.filter(child__social_worker__team=team)
    rows = defaultdict(list)
    for pep in (
        peps.filter(term=term)
        .exclude(status=PepStatus.DRAFT)
        .filter(Q(meeting_date__isnull=False, sw_attended=False) | Q(sw_section_updated=False))
        .values(
            "child__la_reference",
            "meeting_date",
            "sw_attended",
            "sw_section_updated",
            "child__social_worker__name",
            "child__social_worker__team",
            "child__social_worker__team__name",
            "child__social_worker__team__manager_name",
            "child__social_worker__team__manager_email",
        )
        .order_by("child__social_worker__team__name", "child__social_worker__name", "child__la_reference")
    ):
        name = pep["child__social_worker__team__name"] or NO_SOCIAL_WORKER
        rows[name].append(
            SocialCareRow(
                team=name,
                team_id=pep["child__social_worker__team"],
                team_manager=pep["child__social_worker__team__manager_name"] or "",
                team_manager_email=pep["child__social_worker__team__manager_email"] or "",
                social_worker=pep["child__social_worker__name"] or "Not recorded",
                la_reference=pep["child__la_reference"],
                meeting_date=pep["meeting_date"],
                sw_attended=pep["sw_attended"],
                sw_section_updated=pep["sw_section_updated"],
            )
        )
    return dict(rows)


# --- the start pages' counts -----------------------------------------------------


def term_counts(peps: QuerySet[Pep]) -> dict:
    """Counts of a set of PEPs by status and by judgement, in two grouped queries."""
    by_status = dict(peps.values_list("status").annotate(n=Count("pk")).order_by())
    by_judgement = dict(peps.values_list("judgement").annotate(n=Count("pk")).order_by())
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_judgement": by_judgement,
    }


def team_overview(manager, term) -> list[dict]:
    """Per line report: caseload and where their PEPs stand this term (two queries)."""
    officers = list(manager.line_reports.filter(is_active=True).annotate(caseload_size=Count("caseload")))
    rows = (
        Pep.objects.filter(term=term, officer__in=officers)
        .values("officer", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["officer"], {})[row["status"]] = row["n"]
    return [
        {
            "officer": officer,
            "caseload": officer.caseload_size,
            "peps": sum(counts.get(officer.pk, {}).values()),
            "awaiting_qa": counts.get(officer.pk, {}).get("submitted", 0),
            "returned": counts.get(officer.pk, {}).get("returned", 0),
            "finalised": counts.get(officer.pk, {}).get("finalised", 0),
        }
        for officer in officers
    ]


# --- actions arising (issue 11: peer review and supervision) ---------------------------
#
# The actions agreed to improve practice (practice.PracticeAction) at the supervisions and
# peer-review meetings held within a term's dates: how many, where they stand, where they
# come from, and their themes (the pro-forma area each is about). Counts only: the
# dashboard and the public board report both present these, and neither names an owner,
# an officer or a child, nor quotes an action.

GENERAL_THEME = "General"


@dataclass
class ActionTheme:
    title: str
    agreed: int
    shown_share: Fraction | None  # of all the actions agreed; the themes' shares add up to 100%


@dataclass
class ActionsArising:
    agreed: int = 0
    open: int = 0
    done: int = 0
    not_done: int = 0
    overdue: int = 0  # open and past their due date: part of ``open``
    from_supervision: int = 0
    from_peer_review: int = 0
    themes: list[ActionTheme] = field(default_factory=list)

    @property
    def status_shown(self) -> dict[str, Fraction | None]:
        """Open, done and not done as shown: parts of the actions agreed, adding up to 100%."""
        return dict(zip(("open", "done", "not_done"), split([self.open, self.done, self.not_done]), strict=True))

    @property
    def overdue_share(self) -> Fraction | None:
        """The exact share of the actions agreed that are overdue."""
        return share(self.overdue, self.agreed)

    @property
    def source_shown(self) -> dict[str, Fraction | None]:
        """Supervision and peer review as shown: adding up to 100%."""
        return dict(
            zip(("supervision", "peer_review"), split([self.from_supervision, self.from_peer_review]), strict=True)
        )


def actions_arising(term: Term, today: date | None = None) -> ActionsArising:
    """The actions agreed at the supervisions and peer-review meetings dated within the
    term (its start to its end date): two queries, whatever their number."""
    today = today or timezone.localdate()
    window = (term.start_date, term.end_date)
    actions = PracticeAction.objects.filter(
        Q(supervision__date__range=window) | Q(peer_review__date__range=window)
    ).order_by()
    row = actions.aggregate(
        agreed=Count("pk"),
        open=Count("pk", filter=Q(status=ActionStatus.OPEN)),
        done=Count("pk", filter=Q(status=ActionStatus.DONE)),
        not_done=Count("pk", filter=Q(status=ActionStatus.NOT_DONE)),
        overdue=Count("pk", filter=Q(status=ActionStatus.OPEN, due__lt=today)),
        from_supervision=Count("pk", filter=Q(supervision__isnull=False)),
        from_peer_review=Count("pk", filter=Q(peer_review__isnull=False)),
    )
    by_title: dict[str, int] = defaultdict(int)
    for title, n in actions.values_list("area__title").annotate(n=Count("pk")):
        by_title[title or GENERAL_THEME] += n
    # Most actions first; "General" after the areas it ties with, then by title.
    ordered = sorted(by_title.items(), key=lambda item: (-item[1], item[0] == GENERAL_THEME, item[0]))
    shown = split([n for _title, n in ordered])
    return ActionsArising(
        **row,
        themes=[
            ActionTheme(title=title, agreed=n, shown_share=s) for (title, n), s in zip(ordered, shown, strict=True)
        ],
    )


# --- learning from the ratings (issue 11) -----------------------------------------------
#
# Which pro-forma areas the line-management reviews of the terms asked for rate Amber or
# Red, by area, officer, team (the officer's line manager) and term; the development
# points of those reviews; and, for the officers supervised in those terms, the Amber/Red
# share before their first supervision and after it. Within what the user may see: a
# manager their own team, a lead or the VSH the whole school. Three queries (the ratings
# grouped, the Amber/Red ratings listed, the first supervisions), whatever the size of
# the archive: only the terms asked for are read.

WEAK = (Rating.AMBER, Rating.RED)
COUNTED = frozenset(RATINGS)


def area_key(title: str) -> str:
    """The same area across pro-forma versions and phases: its title, ignoring case and
    spacing (as reviews.selectors matches a previous round's area)."""
    return " ".join(title.split()).casefold()


@dataclass
class AreaCounts:
    """Rated areas by rating; the Amber/Red share among them."""

    counts: dict = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))

    @property
    def rated(self) -> int:
        return sum(self.counts.values())

    @property
    def amber_red(self) -> int:
        return self.counts[Rating.AMBER] + self.counts[Rating.RED]

    @property
    def amber_red_share(self) -> Fraction | None:
        return share(self.amber_red, self.rated)

    def add(self, rating: str, n: int) -> None:
        # The dict's keys (str enums) match a plain string: no Rating(...) a row, and
        # Rating.values is rebuilt on every read (a quarter of the learning page's time).
        if rating in self.counts:
            self.counts[rating] += n


# Per pro-forma area, the learning page lists this many of the latest Amber and Red ratings
# (with their comments and development points: what a supervision reads). At 25 the page ran
# to 600 rows and 170 KB for 24 area titles; the filters (a term, a phase, an officer) bring
# up others, and every comment is in each term's ratings download.
WEAK_SHOWN = 10


@dataclass
class WeakRating:
    """One Amber or Red rating of an area, with its review's development points."""

    pep_id: int
    la_reference: str
    term: str
    officer: str
    rating: str
    comment: str
    development_points: str


@dataclass
class LearningRow:
    """One row of a learning table: an area, an officer, a team or a term."""

    key: str | int | None
    label: str
    figures: AreaCounts = field(default_factory=AreaCounts)
    # Areas only: the phases the area was rated in, its position, the Amber/Red ratings.
    phases: set = field(default_factory=set)
    position: int = 0
    weak: list[WeakRating] = field(default_factory=list)  # the latest WEAK_SHOWN, most recent first
    weak_total: int = 0  # all of them

    @property
    def phase_labels(self) -> str:
        return ", ".join(Phase(p).label for p in Phase.values if p in self.phases)


@dataclass
class Improvement:
    """An officer supervised in the terms asked for: the Amber/Red share of the areas of
    their PEPs' reviews in the terms that ended before their first supervision there, and
    in the terms that began after it. The term the supervision fell in is in neither: its
    PEPs may have been rated before or after the meeting."""

    officer_id: int
    officer: str
    first_supervision: object  # a date
    during: str  # the term the supervision fell in, or ""
    before: AreaCounts = field(default_factory=AreaCounts)
    after: AreaCounts = field(default_factory=AreaCounts)

    @property
    def change(self) -> Fraction | None:
        """After minus before (negative: fewer Amber/Red areas after); None without both."""
        if self.before.amber_red_share is None or self.after.amber_red_share is None:
            return None
        return self.after.amber_red_share - self.before.amber_red_share

    @property
    def verdict(self) -> str:
        change = self.change
        if change is None:
            return "no data" if not (self.before.rated or self.after.rated) else "not enough data to compare"
        if change < 0:
            return "fewer Amber or Red areas after"
        if change > 0:
            return "more Amber or Red areas after"
        return "no change"


@dataclass
class LearningFigures:
    terms: list
    total: AreaCounts
    by_area: list[LearningRow]
    by_officer: list[LearningRow]
    by_team: list[LearningRow]
    by_term: list[LearningRow]
    improvement: list[Improvement]

    @property
    def weakest(self) -> LearningRow | None:
        rated = [row for row in self.by_area if row.figures.rated]
        return rated[0] if rated else None


def _weakest_first(rows) -> list[LearningRow]:
    """The highest Amber/Red share first (no share last), then the most rated, then the
    label: the order every learning table starts in."""
    return sorted(
        rows,
        key=lambda row: (
            row.figures.amber_red_share is None,
            -(row.figures.amber_red_share or 0),
            -row.figures.rated,
            row.position,
            row.label,
        ),
    )


def _person(first, last, username) -> str:
    # Through an outer join the names may be None.
    return User.name_of(first or "", last or "", username or "")


def learning_figures(user, terms: Sequence[Term], *, phase: str = "", team=None, officer=None) -> LearningFigures:
    """The learning figures of the submitted line-management reviews of the PEPs of
    ``terms`` that ``user`` may see (their outcome: not one they re-rate blind), and on a
    manager's own team only; narrowed by ``phase``, ``team`` (a line manager: their line
    reports' PEPs) and ``officer`` (the officer who held the PEP that term)."""
    terms = sorted(terms, key=lambda t: t.start_date)
    peps = peps_with_outcome_visible(user).filter(term__in=terms)
    in_view = officers_in_view(user)
    if in_view is not None:
        peps = peps.filter(officer__in=in_view)
    if phase:
        peps = peps.filter(phase=phase)
    if team is not None:
        peps = peps.filter(officer__line_manager=team)
    if officer is not None:
        peps = peps.filter(officer=officer)
    # The supervisions of the same officers (a lead practitioner sees none: they are line
    # management's).
    supervisions = visible_supervisions(user).filter(officer__role=Role.OFFICER)
    if in_view is not None:
        supervisions = supervisions.filter(officer__in=in_view)
    if team is not None:
        supervisions = supervisions.filter(officer__line_manager=team)
    if officer is not None:
        supervisions = supervisions.filter(officer=officer)
    ratings = AreaRating.objects.filter(
        review__kind=ReviewKind.LINE_MANAGEMENT,
        review__status=ReviewStatus.SUBMITTED,
        # The terms again, outside the subquery: PostgreSQL then starts from the terms'
        # PEPs (their index) instead of reading every rating of the archive.
        review__pep__term__in=terms,
        review__pep__in=peps.values("pk"),
    ).exclude(rating="")

    # Counted by ids alone (a narrow key: half the time of grouping by every name too);
    # the few areas and people are named from two small queries.
    counts = list(
        ratings.values_list("area", "review__pep__phase", "review__pep__term", "review__pep__officer", "rating")
        # A plain Field: the count arrives from psycopg as an int, and IntegerField's
        # converter would call int() on it again, a Python call a row (4,000 rows).
        .annotate(n=Count("pk", output_field=Field()))
        .order_by()
    )
    area_names = {
        pk: (title, position)
        for pk, title, position in ProFormaArea.objects.filter(pk__in={row[0] for row in counts})
        .order_by("pk")
        .values_list("pk", "title", "position")
    }
    people = {
        pk: (_person(first, last, username), manager, _person(m_first, m_last, m_username) if manager else "")
        for pk, first, last, username, manager, m_first, m_last, m_username in User.objects.filter(
            pk__in={row[3] for row in counts if row[3] is not None}
        ).values_list(
            "pk",
            "first_name",
            "last_name",
            "username",
            "line_manager",
            "line_manager__first_name",
            "line_manager__last_name",
            "line_manager__username",
        )
    }
    keys = {pk: area_key(title) for pk, (title, _position) in area_names.items()}
    # Summed by plain dictionaries in the loop (a few thousand groups: a method call per
    # table per group was a quarter of the figures' time); every other table is a sum of
    # the (officer, term) cells.
    by_area: dict[tuple[str, str], int] = defaultdict(int)
    cells: dict[tuple, int] = defaultdict(int)  # (officer, term, rating) -> n
    area_phases: dict[str, set] = defaultdict(set)
    # An area's Amber and Red ratings by term, and the phases of the PEPs they are on: the
    # terms (and phases) that can hold its latest WEAK_SHOWN, for the listing below.
    weak_in: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    weak_phases: dict[tuple[str, int], set] = defaultdict(set)
    for area_id, phase_of, term_id, officer_id, rating, n in counts:
        if rating not in COUNTED:
            continue
        key = keys[area_id]
        by_area[key, rating] += n
        cells[officer_id, term_id, rating] += n
        area_phases[key].add(phase_of)
        if rating in WEAK:
            weak_in[key][term_id] += n
            weak_phases[key, term_id].add(phase_of)

    areas: dict[str, LearningRow] = {}
    for pk, (title, position) in area_names.items():
        key = keys[pk]
        if key not in area_phases:
            continue
        if key in areas:
            areas[key].position = min(areas[key].position, position)
        else:
            areas[key] = LearningRow(key=key, label=title, position=position, phases=area_phases[key])
    for (key, rating), n in by_area.items():
        areas[key].figures.counts[rating] += n
    total = AreaCounts()
    officers: dict = {}
    teams: dict = {}
    by_term = {t.pk: LearningRow(key=t.pk, label=str(t)) for t in terms}
    # (officer, term) -> counts, for the improvement after supervision.
    officer_terms: dict[tuple, AreaCounts] = defaultdict(AreaCounts)
    for (officer_id, term_id, rating), n in cells.items():
        officer_name, team_id, team_name = people[officer_id] if officer_id else ("No officer", None, "")
        if officer_id not in officers:
            officers[officer_id] = LearningRow(key=officer_id, label=officer_name)
        if team_id not in teams:
            teams[team_id] = LearningRow(key=team_id, label=team_name if team_id else "No line manager")
        for counted in (total, officers[officer_id].figures, teams[team_id].figures, by_term[term_id].figures):
            counted.counts[rating] += n
        officer_terms[officer_id, term_id].counts[rating] += n

    term_labels = {t.pk: str(t) for t in terms}
    for area in areas.values():
        area.weak_total = area.figures.amber_red
    # Only the latest WEAK_SHOWN of each area title leave the database (the window below),
    # not every Amber and Red rating of the span with its comment and development points.
    # An area's titles differ only in case or spacing across versions, so the latest
    # WEAK_SHOWN of the area are among these, and the loop keeps them.
    latest = ("-review__pep__term__start_date", "review__pep__child__la_reference", "area__position", "pk")
    for weak in (
        ratings.filter(rating__in=WEAK)
        .filter(_terms_holding_latest(weak_in, weak_phases, terms))
        .annotate(
            nth=Window(
                RowNumber(),
                partition_by=[F("area__title")],
                order_by=[OrderBy(F(latest[0][1:]), descending=True), *map(F, latest[1:])],
            )
        )
        .filter(nth__lte=WEAK_SHOWN)
        .values_list(
            "area__title",
            "rating",
            "comment",
            "review__development_points",
            "review__pep",
            "review__pep__child__la_reference",
            "review__pep__term",
            "review__pep__officer__first_name",
            "review__pep__officer__last_name",
            "review__pep__officer__username",
        )
        .order_by(*latest)
    ):
        title, rating, comment, points, pep_id, reference, term_id, first, last, username = weak
        area = areas[area_key(title)]
        # The page lists the latest of each area (their words are what supervision reads);
        # the rest stay counted. All the comments are in each term's ratings download.
        if len(area.weak) >= WEAK_SHOWN:
            continue
        area.weak.append(
            WeakRating(
                pep_id=pep_id,
                la_reference=reference,
                term=term_labels[term_id],
                officer=_person(first, last, username),
                rating=rating,
                comment=comment,
                development_points=points,
            )
        )

    return LearningFigures(
        terms=terms,
        total=total,
        by_area=_weakest_first(areas.values()),
        by_officer=_weakest_first(officers.values()),
        by_team=_weakest_first(teams.values()),
        by_term=list(by_term.values()),
        improvement=_improvement(supervisions, terms, officer_terms),
    )


def _terms_holding_latest(weak_in: dict, weak_phases: dict, terms: list[Term]) -> Q:
    """The PEPs (a term, the phases) whose ratings can be among each area's latest
    WEAK_SHOWN Amber and Red: walking back from the newest term until the area has that
    many. Usually the newest term alone, so the listing reads a term's ratings, not the
    span's (half the learning page's database time at three terms). Ratings of older terms
    that come in with another area's are ranked after the newer ones and left by the window."""
    needed: dict[int, set] = defaultdict(set)
    for key, per_term in weak_in.items():
        seen = 0
        for term in reversed(terms):
            if term.pk in per_term:
                needed[term.pk] |= weak_phases[key, term.pk]
                seen += per_term[term.pk]
                if seen >= WEAK_SHOWN:
                    break
    # No Amber or Red at all: an empty IN, which Django answers without a query.
    condition = Q(pk__in=[])
    for term_id, phases in needed.items():
        condition |= Q(review__pep__term=term_id, review__pep__phase__in=sorted(phases))
    return condition


def _improvement(supervisions, terms: list[Term], officer_terms: dict) -> list[Improvement]:
    """Per officer with one of ``supervisions`` held within ``terms``: the Amber/Red
    share before their first such supervision and after it (one query)."""
    if not terms:
        return []
    first_dates = (
        supervisions.filter(date__gte=terms[0].start_date, date__lte=terms[-1].end_date)
        .values("officer", "officer__first_name", "officer__last_name", "officer__username")
        .annotate(first=Min("date"))
        .order_by("officer__first_name", "officer__last_name", "officer")
    )
    results = []
    for row in first_dates:
        officer_id, first = row["officer"], row["first"]
        label = _person(row["officer__first_name"], row["officer__last_name"], row["officer__username"])
        during = next((t for t in terms if t.start_date <= first <= t.end_date), None)
        item = Improvement(officer_id, label, first, str(during) if during else "")
        for term in terms:
            counts = officer_terms.get((officer_id, term.pk))
            if counts is None:
                continue
            if term.end_date < first:
                _merge(item.before, counts)
            elif term.start_date > first:
                _merge(item.after, counts)
        results.append(item)
    return results


def _merge(into: AreaCounts, counts: AreaCounts) -> None:
    for rating, n in counts.counts.items():
        into.counts[rating] += n


def learning_terms(term: Term, span: int) -> list[Term]:
    """The ``span`` terms up to and including ``term``, oldest first (one query)."""
    return list(Term.objects.filter(start_date__lte=term.start_date).order_by("-start_date")[:span])[::-1]
