"""The downloads: the figures as a tidy table, and the ratings behind them.

``figure_rows`` flattens the figures service's dataclasses (reporting.figures) into rows
of (section, breakdown, item, measure, value); it computes nothing of its own. Shares are
written as the pages and PDFs show them: whole percentages (numbers), by the reports' one
rounding (reporting.formatting), the parts of a split as shown (adding up to 100).
``rating_rows`` reads one row per area rating of a submitted QA review, streamed from the
database. ``csv_chunks`` and ``xlsx_file`` write either.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from access.policy import peps_with_outcome_visible
from core.queries import InSubquery
from core.vocabulary import Phase, Rating
from peps.models import Term
from reviews.models import AreaRating, ReviewKind, ReviewStatus

from .figures import RATINGS, ActionsArising, Quality, TermFigures, TrendPoint
from .formatting import whole_percent

FIGURE_HEADER = ("Section", "Breakdown", "Item", "Measure", "Value")
RATING_HEADER = (
    "LA reference",
    "Term",
    "Phase",
    "Officer",
    "Reviewer",
    "Review kind",
    "Submitted",
    "Area position",
    "Area title",
    "Rating",
    "Overall judgement",
    # Last, so the columns before it keep their places in spreadsheets built on the export.
    "Comment",
)


def term_slug(term: Term) -> str:
    """ "autumn-2026-27" for Autumn 2026/27."""
    return f"{term.season}-{term.academic_year}-{(term.academic_year + 1) % 100:02d}"


# --- the figures -----------------------------------------------------------------------


def _quality(section: str, breakdown: str, item: str, quality: Quality, peps: int | None = None):
    if peps is not None:
        yield section, breakdown, item, "PEPs", peps
    yield section, breakdown, item, "Judged", quality.judged
    for rating in RATINGS:
        yield section, breakdown, item, rating.label, quality.counts[rating]
    for rating in RATINGS:
        yield section, breakdown, item, f"% {rating.label}", whole_percent(quality.shown_share(rating))
    yield section, breakdown, item, "Good or better", quality.good_or_better
    yield section, breakdown, item, "% good or better", whole_percent(quality.good_or_better_shown)


def figure_rows(figures: TermFigures, trend: Iterable[TrendPoint]) -> Iterator[tuple]:
    """The term's figures and the trend, one number a row."""
    term = str(figures.term)
    completion = figures.completion
    section = "Completion"
    yield section, "Term", term, "PEPs due", completion.due
    yield section, "Term", term, "Completed", completion.completed
    yield section, "Term", term, "% completed", whole_percent(completion.completed_shown)
    yield section, "Term", term, "Completed by the deadline", completion.on_time
    yield section, "Term", term, "% completed by the deadline", whole_percent(completion.on_time_shown)

    yield from _quality("Quality", "Term", term, figures.quality)
    for breakdown, rows in (
        ("Phase", figures.by_phase),
        ("Key stage", figures.by_key_stage),
        ("School", figures.by_school),
        ("Officer", figures.by_officer),
    ):
        for row in rows:
            yield from _quality("Quality", breakdown, row.label, row.quality, row.peps)

    section = "Social worker"
    for team in [*figures.social_work, figures.social_work_total]:
        yield section, "Social care team", team.team, "PEPs", team.peps
        yield section, "Social care team", team.team, "Meetings held", team.meetings
        yield section, "Social care team", team.team, "SW attended", team.sw_attended
        yield section, "Social care team", team.team, "% SW attended", whole_percent(team.attended_share)
        yield section, "Social care team", team.team, "SW section updated", team.sw_section_updated
        yield section, "Social care team", team.team, "% SW section updated", whole_percent(team.section_share)

    amendments = figures.amendments
    yield "Amendments", "Term", term, "Returned for amendment", amendments.returned
    yield "Amendments", "Term", term, "Amended", amendments.amended
    yield "Amendments", "Term", term, "Still returned", amendments.still_returned

    coverage = figures.coverage
    section = "Sample coverage"
    yield section, "Term", term, "Officers", coverage.officers
    yield section, "Term", term, "Officers meeting the policy", coverage.officers_met
    yield section, "Term", term, "Policy minimum reviews", coverage.minimum_total
    yield section, "Term", term, "Reviewed", coverage.reviewed_total
    yield section, "Term", term, "Previous Amber or Red", coverage.previous_amber
    yield section, "Term", term, "Previous Amber or Red reviewed", coverage.previous_amber_reviewed

    moderation = figures.moderation
    section = "Moderation"
    yield section, "Term", term, "Pairs compared", moderation.pairs
    yield section, "Term", term, "Pairs agreed", moderation.agreed
    yield section, "Term", term, "% exact agreement", whole_percent(moderation.exact)
    yield section, "Term", term, "Cohen's kappa", None if moderation.kappa is None else round(moderation.kappa, 3)
    yield section, "Term", term, "Disagreements", moderation.disagreements
    yield section, "Term", term, "Disagreements settled", moderation.settled

    yield "Gold practice", "Term", term, "Gold PEPs", figures.gold
    for school, count in figures.gold_by_school:
        yield "Gold practice", "School", school, "Gold PEPs", count

    section = "Trend"
    for point in trend:
        label = str(point.term)
        yield section, "Term", label, "PEPs due", point.completion.due
        yield section, "Term", label, "Completed", point.completion.completed
        yield section, "Term", label, "Completed by the deadline", point.completion.on_time
        yield section, "Term", label, "% completed by the deadline", whole_percent(point.completion.on_time_shown)
        yield section, "Term", label, "Judged", point.quality.judged
        yield section, "Term", label, "Good or better", point.quality.good_or_better
        yield section, "Term", label, "% good or better", whole_percent(point.quality.good_or_better_shown)


def action_rows(term: Term, actions: ActionsArising) -> Iterator[tuple]:
    """The term's actions arising (reporting.figures.actions_arising): counts and themes."""
    label, section = str(term), "Actions arising"
    yield section, "Term", label, "Agreed", actions.agreed
    status = actions.status_shown
    for key, measure, count in (
        ("open", "Open", actions.open),
        ("done", "Done", actions.done),
        ("not_done", "Not done", actions.not_done),
    ):
        yield section, "Term", label, measure, count
        yield section, "Term", label, f"% {measure.lower()}", whole_percent(status[key])
    yield section, "Term", label, "Overdue", actions.overdue
    yield section, "Term", label, "% overdue", whole_percent(actions.overdue_share)
    source = actions.source_shown
    yield section, "Source", "Supervision", "Agreed", actions.from_supervision
    yield section, "Source", "Supervision", "% of agreed", whole_percent(source["supervision"])
    yield section, "Source", "Peer review", "Agreed", actions.from_peer_review
    yield section, "Source", "Peer review", "% of agreed", whole_percent(source["peer_review"])
    for theme in actions.themes:
        yield section, "Theme", theme.title, "Agreed", theme.agreed
        yield section, "Theme", theme.title, "% of agreed", whole_percent(theme.shown_share)


# --- the ratings -----------------------------------------------------------------------

PHASES = dict(Phase.choices)
KINDS = dict(ReviewKind.choices)
RATING_LABELS = dict(Rating.choices)


def rating_rows(user, term: Term, chunk_size: int = 2000) -> Iterator[tuple]:
    """One row per area rating of each submitted QA review of the term's PEPs the user may
    see, in a single streamed query (constant memory however many there are)."""
    term_label = str(term)
    submitted_dates: dict = {}
    rows = (
        AreaRating.objects.filter(
            # Not the PEPs the user is still re-rating for moderation: blind until they submit.
            # As an array (core.queries.InSubquery), so the term's PEPs lead the plan and
            # their reviews are found by index: a plain IN hashed every submitted review in
            # history (a sequential scan that grew with the archive).
            InSubquery("review__pep", peps_with_outcome_visible(user).filter(term=term).values("pk")),
            review__status=ReviewStatus.SUBMITTED,
            # The term on the outer query too, not only inside the visibility subquery.
            review__pep__term=term,
        )
        .order_by("review__pep__child__la_reference", "review__submitted_at", "review_id", "area__position")
        .values_list(
            "review__pep__child__la_reference",
            "review__pep__phase",
            "review__pep__officer__first_name",
            "review__pep__officer__last_name",
            "review__reviewer__first_name",
            "review__reviewer__last_name",
            "review__kind",
            "review__submitted_at",
            "area__position",
            "area__title",
            "rating",
            "review__overall_judgement",
            "comment",
        )
    )
    for (
        reference,
        phase,
        officer_first,
        officer_last,
        reviewer_first,
        reviewer_last,
        kind,
        submitted_at,
        position,
        title,
        rating,
        judgement,
        comment,
    ) in rows.iterator(chunk_size=chunk_size):
        # A review's eight ratings share its time: converted once, not a row.
        if submitted_at not in submitted_dates:
            submitted_dates[submitted_at] = timezone.localtime(submitted_at).date() if submitted_at else None
        yield (
            reference,
            term_label,
            PHASES.get(phase, phase),
            f"{officer_first or ''} {officer_last or ''}".strip(),
            f"{reviewer_first} {reviewer_last}".strip(),
            KINDS.get(kind, kind),
            submitted_dates[submitted_at],
            position,
            title,
            RATING_LABELS.get(rating, ""),
            RATING_LABELS.get(judgement, ""),
            comment,
        )


# --- the writers -----------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe
    (names and titles are typed by users); numbers, dates and None pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _xlsx_cell(value):
    """``safe_cell``, and control characters an xlsx cell cannot hold (a vertical tab or
    form feed pasted from a word processor into a comment) as spaces: openpyxl refuses
    them, which would end the whole download."""
    value = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub(" ", value) if isinstance(value, str) else value


class _Lines:
    """A file-like object that keeps what csv.writer writes to it, until taken."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def write(self, value: str) -> None:
        self.parts.append(value)
        self.size += len(value)

    def take(self) -> bytes:
        chunk, self.parts, self.size = "".join(self.parts).encode(), [], 0
        return chunk


CSV_CHUNK = 64 * 1024  # characters a chunk: one write to the socket, not one a row


def csv_chunks(header: Iterable, rows: Iterable[tuple], chunk_size: int = CSV_CHUNK) -> Iterator[bytes]:
    """UTF-8 CSV (with a byte-order mark, so Excel reads it as UTF-8), in chunks of about
    ``chunk_size`` characters: the header alone first, so the download starts at once."""
    lines = _Lines()
    writer = csv.writer(lines)
    lines.write("\ufeff")
    writer.writerow(header)
    yield lines.take()
    for row in rows:
        # safe_cell, inline: a call a cell was a fifth of the ratings export's time.
        writer.writerow(
            [
                ""
                if cell is None
                else "'" + cell
                if isinstance(cell, str) and cell.startswith(FORMULA_STARTS)
                else cell
                for cell in row
            ]
        )
        if lines.size >= chunk_size:
            yield lines.take()
    if lines.parts:
        yield lines.take()


def xlsx_file(title: str, header: Iterable, rows: Iterable[tuple]):
    """An xlsx workbook of one sheet, written in openpyxl's write-only mode (rows go to
    disk as they come) to a temporary file, returned open at its start."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_cell(cell) for cell in row])
    output = tempfile.TemporaryFile()
    workbook.save(output)
    output.seek(0)
    return output


# --- learning from the ratings (issue 11) -----------------------------------------------

LEARNING_HEADER = ("Table", "Item", "Phases", "Areas rated", "Gold", "Green", "Amber", "Red", "% Amber or Red")


def learning_rows(figures) -> Iterator[tuple]:
    """The learning page's tables (reporting.figures.learning_figures), one row each, in
    the page's order: by area (weakest first), by officer, by team, by term; shares as the
    page shows them (whole percentages, halves up)."""
    for table, rows in (
        ("Area", figures.by_area),
        ("Officer", figures.by_officer),
        ("Team", figures.by_team),
        ("Term", figures.by_term),
    ):
        for row in rows:
            counts = row.figures.counts
            yield (
                table,
                row.label,
                row.phase_labels if table == "Area" else "",
                row.figures.rated,
                counts[Rating.GOLD],
                counts[Rating.GREEN],
                counts[Rating.AMBER],
                counts[Rating.RED],
                whole_percent(row.figures.amber_red_share),
            )
