"""The reports as PDFs (WeasyPrint): they only present reporting.figures.

- ``board_report_pdf(term)``: the termly report to the Corporate Parenting Board. Counts
  and shares only: it carries no child's name, date of birth or reference (its context
  is built from ``term_figures`` and ``trend``, which hold none).
- ``social_care_report_pdf(term)``: per social care team, the PEPs a social worker did
  not attend or whose SW section was not updated. Names children by LA reference only.
  For the VSH (every team) and managers (the PEPs they may see).
- ``social_care_team_report_pdf(term, team)``: one team's exceptions only, for its
  manager (sent by reporting.social_care). Names children by LA reference only.

The charts are the dashboard's (reporting.charts through the report_charts template tags,
inline SVG that WeasyPrint renders), in the screens' palette; every share is written by the
reports' one formatter (reporting.formatting), the parts of a split as the figures service
shows them. Fonts are the system's Arial / Liberation Sans, and nothing is fetched from the
network while rendering.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.vocabulary import Rating
from peps.models import Term

from .commentary import board_report_commentary
from .figures import (
    PRIMARY,
    RATINGS,
    Breakdown,
    PublicRow,
    SocialCareTeam,
    SocialWorkFigures,
    TermFigures,
    actions_arising,
    public_breakdowns,
    social_care_teams,
    term_figures,
    trend,
)
from .formatting import agreed_of, kappa_text, percent
from .pdf_tags import finish_tagged

NO_DATA = "No data for this term"
DASH = "–"  # a share with nothing to divide by, in a table
# A suppressed count in the public board report (the ONS's mark for "confidential"); the
# row's judged PEPs read "fewer than N" when it is the small row itself.
SUPPRESSED = "[c]"


def pct(share) -> str:
    """A share in a table of the PDF: "63%", or a dash when there is nothing to divide by."""
    return percent(share, none=DASH)


def css_string(text: str) -> SafeString:
    """``text`` as a CSS string literal (for @page margin boxes): quotes, backslashes and
    anything that could close the <style> element escaped as CSS hex escapes."""
    out = []
    for char in text:
        out.append(char if char.isalnum() or char in " .,:;/()-–·'" else f"\\{ord(char):x} ")
    return mark_safe('"' + "".join(out) + '"')  # noqa: S308 - every special character is escaped


def _running(title: str, classification: str) -> dict:
    return {
        "css_running_title": css_string(title),
        "css_running_authority": css_string(f"{settings.AUTHORITY_NAME} · {settings.VIRTUAL_SCHOOL_NAME}"),
        "css_classification": css_string(classification),
    }


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


# --- the board report ----------------------------------------------------------------


@dataclass
class QualityRow:
    label: str
    peps: int | str  # str: suppressed
    judged: int | str
    counts: list  # Gold, Green, Amber, Red
    good_or_better: str


def _quality_row(row: PublicRow[Breakdown], minimum: int) -> QualityRow:
    """A row of a quality table of the public report: its counts, or none when suppressed."""
    if row.suppressed:
        return QualityRow(
            label=row.label,
            peps=SUPPRESSED,
            judged=f"fewer than {minimum}" if row.suppressed == PRIMARY else SUPPRESSED,
            counts=[SUPPRESSED] * len(RATINGS),
            good_or_better=SUPPRESSED,
        )
    quality = row.figures.quality
    return QualityRow(
        label=row.label,
        peps=row.figures.peps,
        judged=quality.judged,
        counts=[quality.counts[r] for r in RATINGS],
        good_or_better=pct(quality.good_or_better_shown),
    )


def _social_work_row(row: PublicRow[SocialWorkFigures], minimum: int) -> dict:
    team = row.figures
    if row.suppressed:
        hidden = SUPPRESSED
        return {
            "team": row.label,
            "meetings": hidden,
            "attended": hidden,
            "peps": f"fewer than {minimum}" if row.suppressed == PRIMARY else hidden,
            "updated": hidden,
            "suppressed": True,
        }
    return {
        "team": row.label,
        "meetings": team.meetings,
        "attended": f"{team.sw_attended} ({pct(team.attended_share)})",
        "peps": team.peps,
        "updated": f"{team.sw_section_updated} ({pct(team.section_share)})",
        "suppressed": False,
    }


def headlines(figures: TermFigures) -> list[str]:
    """The headlines in words, each with its counts; "No data" where there is nothing to
    divide by. The board report's summary page, and a test, read these."""
    c, q, sw = figures.completion, figures.quality, figures.social_work_total
    lines = []
    if not c.due:
        return [f"{NO_DATA}: no PEPs are recorded for {figures.term}."]
    lines.append(f"{percent(c.on_time_shown)} of PEPs were completed by the deadline ({c.on_time} of {c.due}).")
    lines.append(f"{percent(c.completed_shown)} of PEPs due this term have been completed ({c.completed} of {c.due}).")
    if q.judged:
        lines.append(
            f"{percent(q.good_or_better_shown)} of quality-assured PEPs were rated good "
            f"or better, Gold or Green ({q.good_or_better} of {q.judged})."
        )
        lines.append(
            f"{_plural(figures.gold, 'PEP')} rated Gold: {percent(q.shown_share(Rating.GOLD))} of quality-assured PEPs."
        )
    else:
        lines.append(f"Quality: {NO_DATA.lower()} (no PEP has been quality assured yet).")
    if sw.meetings:
        lines.append(
            f"Social workers attended {percent(sw.attended_share)} of PEP meetings ({sw.sw_attended} of {sw.meetings})."
        )
    if sw.peps:
        lines.append(
            f"Social workers updated their section in {percent(sw.section_share)} "
            f"of PEPs ({sw.sw_section_updated} of {sw.peps})."
        )
    cov = figures.coverage
    if cov.officers:
        lines.append(
            f"{cov.officers_met} of {_plural(cov.officers, 'officer')} had the quality assurance "
            f"the policy requires ({cov.reviewed_total} PEPs reviewed against a minimum of "
            f"{cov.minimum_total})."
        )
    mod = figures.moderation
    if mod.pairs and mod.exact is not None:
        lines.append(
            f"Moderators agreed with the original judgement on {mod.agreed} of "
            f"{_plural(mod.pairs, 'moderated PEP')} ({percent(mod.exact)})."
        )
    return lines


def _trend_rows(points) -> list[dict]:
    return [
        {
            "term": str(p.term),
            "due": p.completion.due,
            "completed": pct(p.completion.completed_shown),
            "on_time": pct(p.completion.on_time_shown),
            "judged": p.quality.judged,
            "good_or_better": pct(p.quality.good_or_better_shown),
        }
        for p in points
    ]


def board_report_context(term: Term, today: date | None = None) -> dict:
    figures = term_figures(term)
    points = trend(term)
    q, c = figures.quality, figures.completion
    total = figures.social_work_total
    minimum = settings.BOARD_REPORT_MIN_JUDGED
    public = public_breakdowns(figures, minimum)
    return {
        **_running(f"Personal Education Plans: completion and quality – {term}", "PUBLIC – NO CHILD IDENTIFIED"),
        "term": term,
        "figures": figures,
        "authority_name": settings.AUTHORITY_NAME,
        "virtual_school_name": settings.VIRTUAL_SCHOOL_NAME,
        "report_date": today or timezone.localdate(),
        "headlines": headlines(figures),
        "no_data": NO_DATA,
        "has_peps": figures.has_peps,
        "completion": {
            "due": c.due,
            "completed": c.completed,
            "on_time": c.on_time,
            "late": c.late,
            "outstanding": c.outstanding,
            "completed_share": pct(c.completed_shown),
            "on_time_share": pct(c.on_time_shown),
            "late_share": pct(c.late_shown),
            "outstanding_share": pct(c.outstanding_shown),
        },
        "quality": {
            "judged": q.judged,
            "rows": [{"label": Rating(r).label, "count": q.counts[r], "share": pct(q.shown_share(r))} for r in RATINGS],
            "good_or_better": q.good_or_better,
            "good_or_better_share": pct(q.good_or_better_shown),
            "not_judged": figures.not_judged,
        },
        "by_phase": [_quality_row(row, minimum) for row in public.by_phase],
        "by_key_stage": [_quality_row(row, minimum) for row in public.by_key_stage],
        "by_school": [_quality_row(row, minimum) for row in public.by_school],
        "by_officer": [_quality_row(row, minimum) for row in public.by_officer],
        "minimum_judged": minimum,
        "schools_combined": public.schools_combined,
        "any_suppressed": public.any_suppressed,
        "suppressed_mark": SUPPRESSED,
        "rating_labels": [Rating(r).label for r in RATINGS],
        "trend": points,
        "trend_rows": _trend_rows(points),
        "has_trend": any(p.completion.due for p in points),
        "social_work": [_social_work_row(row, minimum) for row in public.social_work],
        "social_work_total": {
            "meetings": total.meetings,
            "attended": total.sw_attended,
            "attended_share": pct(total.attended_share),
            "peps": total.peps,
            "updated": total.sw_section_updated,
            "updated_share": pct(total.section_share),
        },
        "amendments": figures.amendments,
        "coverage": figures.coverage,
        "moderation": figures.moderation,
        "moderation_exact": agreed_of(figures.moderation.figure),
        "moderation_kappa": kappa_text(figures.moderation.figure),
        "gold": figures.gold,
        "gold_share": pct(q.shown_share(Rating.GOLD)),
        "gold_by_school": public.gold_by_school,
        **_actions_arising_context(term, today),
        # The VSH's commentary and next steps (the paragraphs; empty lists: not shown).
        **board_report_commentary(term),
    }


def _actions_arising_context(term: Term, today: date | None) -> dict:
    """The board report's "Actions arising": counts and themes, no names and no actions'
    words (reporting.figures.actions_arising)."""
    actions = actions_arising(term, today)
    status, source = actions.status_shown, actions.source_shown
    return {
        "actions": {
            "agreed": actions.agreed,
            "rows": [
                {"label": "Open", "count": actions.open, "share": pct(status["open"])},
                {"label": "Done", "count": actions.done, "share": pct(status["done"])},
                {"label": "Not done", "count": actions.not_done, "share": pct(status["not_done"])},
                {
                    "label": "Overdue (open, past the due date)",
                    "count": actions.overdue,
                    "share": pct(actions.overdue_share),
                },
                {
                    "label": "Agreed at a supervision",
                    "count": actions.from_supervision,
                    "share": pct(source["supervision"]),
                },
                {
                    "label": "Agreed at a peer review meeting",
                    "count": actions.from_peer_review,
                    "share": pct(source["peer_review"]),
                },
            ],
            "themes": [{"title": t.title, "count": t.agreed, "share": pct(t.shown_share)} for t in actions.themes],
        }
    }


def board_report_html(term: Term, today: date | None = None) -> str:
    return render_to_string("reporting/pdf/board_report.html", board_report_context(term, today))


def board_report_pdf(term: Term, today: date | None = None) -> bytes:
    return _pdf(board_report_html(term, today))


# --- the social care report ----------------------------------------------------------


def social_care_report_context(term: Term, today: date | None = None, user=None) -> dict:
    teams = social_care_teams(term, user)
    return {
        **_running(f"Social workers and PEPs: exceptions by team – {term}", "OFFICIAL-SENSITIVE"),
        "term": term,
        "authority_name": settings.AUTHORITY_NAME,
        "virtual_school_name": settings.VIRTUAL_SCHOOL_NAME,
        "report_date": today or timezone.localdate(),
        "teams": teams,
        "total_peps": sum(t.peps for t in teams),
        "total_not_attended": sum(t.not_attended for t in teams),
        "total_not_updated": sum(t.not_updated for t in teams),
    }


def social_care_report_html(term: Term, today: date | None = None, user=None) -> str:
    return render_to_string("reporting/pdf/social_care_report.html", social_care_report_context(term, today, user))


def social_care_report_pdf(term: Term, today: date | None = None, user=None) -> bytes:
    return _pdf(social_care_report_html(term, today, user))


def social_care_team_report_context(term: Term, team: SocialCareTeam, today: date | None = None) -> dict:
    """One team's report (``figures.social_care_team_exceptions``): nothing of any other team."""
    return {
        **_running(f"{team.name}: social workers and PEPs – {term}", "OFFICIAL-SENSITIVE"),
        "term": term,
        "team": team,
        "authority_name": settings.AUTHORITY_NAME,
        "virtual_school_name": settings.VIRTUAL_SCHOOL_NAME,
        "report_date": today or timezone.localdate(),
    }


def social_care_team_report_html(term: Term, team: SocialCareTeam, today: date | None = None) -> str:
    return render_to_string(
        "reporting/pdf/social_care_team_report.html", social_care_team_report_context(term, team, today)
    )


def social_care_team_report_pdf(term: Term, team: SocialCareTeam, today: date | None = None) -> bytes:
    return _pdf(social_care_team_report_html(term, team, today))


def _pdf(html: str) -> bytes:
    return write(document(html))


def write(laid_out) -> bytes:
    """A laid-out report as a tagged PDF/UA-1 file: its structure tree (headings, tables
    with header cells, figures with their alternative text, links), the document's language
    and title; the running header and footer marked as artifacts (reporting.pdf_tags)."""
    return laid_out.write_pdf(pdf_variant="pdf/ua-1", finisher=finish_tagged)


def document(html: str):
    """``html`` laid out by WeasyPrint: ``len(document.pages)``, then ``.write_pdf()``."""
    # Imported here: WeasyPrint loads Pango and fonts, which no other page needs.
    from weasyprint import HTML, URLFetcher

    # Nothing is fetched from the network: a local base URL, and only file: and data: URLs.
    return HTML(
        string=html,
        base_url=str(settings.BASE_DIR / "templates" / "reporting" / "pdf"),
        url_fetcher=URLFetcher(allowed_protocols={"file", "data"}),
    ).render()
