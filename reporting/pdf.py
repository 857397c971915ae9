"""The reports as PDFs (WeasyPrint): they only present reporting.figures.

- ``board_report_pdf(term)``: the termly report to the Corporate Parenting Board. Counts
  and shares only: it carries no child's name, date of birth or reference (its context
  is built from ``term_figures`` and ``trend``, which hold none).
- ``social_care_report_pdf(term)``: per social care team, the PEPs a social worker did
  not attend or whose SW section was not updated. Names children by LA reference only.

Charts are inline SVG drawn here (WeasyPrint renders it); fonts are the system's Arial /
Liberation Sans, and nothing is fetched from the network while rendering.
"""

from dataclasses import dataclass
from datetime import date
from html import escape

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from peps.models import Term
from reviews.rules import Rating

from .figures import RATINGS, Quality, TermFigures, social_care_exceptions, term_figures, trend

NO_DATA = "No data for this term"
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
RATING_COLOURS = {
    Rating.GOLD: "#b58a00",
    Rating.GREEN: "#00703c",
    Rating.AMBER: "#e07b00",
    Rating.RED: "#c0281b",
}
INK = "#0b0c0c"
MUTED = "#505a5f"
RULE = "#b1b4b6"
BRAND = "#1d4e89"
SECOND = "#6f777b"


def percent(part: int, whole: int) -> int | None:
    """``part`` of ``whole`` as a whole percentage, halves rounded up; None if ``whole`` is 0."""
    if not whole:
        return None
    return (200 * part + whole) // (2 * whole)


def pct(part: int, whole: int) -> str:
    value = percent(part, whole)
    return "–" if value is None else f"{value}%"


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
    peps: int
    judged: int
    counts: list  # Gold, Green, Amber, Red
    good_or_better: str


def _quality_row(label: str, quality: Quality, peps: int) -> QualityRow:
    return QualityRow(
        label=label, peps=peps, judged=quality.judged,
        counts=[quality.counts[r] for r in RATINGS],
        good_or_better=pct(quality.good_or_better, quality.judged),
    )


def _public_school_rows(figures: TermFigures, minimum: int) -> tuple[list[QualityRow], list[tuple[str, int]]]:
    """The board report is public: a school with only a few looked-after children could
    identify a child from its row. Schools with fewer than `minimum` PEPs are combined
    into one row, in the quality table and in the Gold table alike."""
    shown = [b for b in figures.by_school if b.peps >= minimum]
    small = [b for b in figures.by_school if b.peps < minimum]
    rows = [_quality_row(b.label, b.quality, b.peps) for b in shown]
    gold = [(b.label, b.quality.counts[Rating.GOLD]) for b in shown if b.quality.counts[Rating.GOLD]]
    gold.sort(key=lambda item: (-item[1], item[0]))
    if small:
        combined = Quality()
        for b in small:
            for rating, n in b.quality.counts.items():
                combined.add(rating, n)
        label = f"{len(small)} schools and settings with fewer than {minimum} PEPs each"
        rows.append(_quality_row(label, combined, sum(b.peps for b in small)))
        if combined.counts[Rating.GOLD]:
            gold.append((label, combined.counts[Rating.GOLD]))
    return rows, gold


def headlines(figures: TermFigures) -> list[str]:
    """The headlines in words, each with its counts; "No data" where there is nothing to
    divide by. The board report's summary page, and a test, read these."""
    c, q, sw = figures.completion, figures.quality, figures.social_work_total
    lines = []
    if not c.due:
        return [f"{NO_DATA}: no PEPs are recorded for {figures.term}."]
    lines.append(f"{percent(c.on_time, c.due)}% of PEPs were completed by the deadline "
                 f"({c.on_time} of {c.due}).")
    lines.append(f"{percent(c.completed, c.due)}% of PEPs due this term have been completed "
                 f"({c.completed} of {c.due}).")
    if q.judged:
        lines.append(f"{percent(q.good_or_better, q.judged)}% of quality-assured PEPs were rated good "
                     f"or better, Gold or Green ({q.good_or_better} of {q.judged}).")
        lines.append(f"{_plural(figures.gold, 'PEP')} rated Gold: {percent(figures.gold, q.judged)}% of "
                     f"quality-assured PEPs.")
    else:
        lines.append(f"Quality: {NO_DATA.lower()} (no PEP has been quality assured yet).")
    if sw.meetings:
        lines.append(f"Social workers attended {percent(sw.sw_attended, sw.meetings)}% of PEP meetings "
                     f"({sw.sw_attended} of {sw.meetings}).")
    if sw.peps:
        lines.append(f"Social workers updated their section in {percent(sw.sw_section_updated, sw.peps)}% "
                     f"of PEPs ({sw.sw_section_updated} of {sw.peps}).")
    cov = figures.coverage
    if cov.officers:
        lines.append(f"{cov.officers_met} of {_plural(cov.officers, 'officer')} had the quality assurance "
                     f"the policy requires ({cov.reviewed_total} PEPs reviewed against a minimum of "
                     f"{cov.minimum_total}).")
    mod = figures.moderation
    if mod.pairs and mod.exact is not None:
        lines.append(f"Moderators agreed with the original judgement in {round(mod.exact * 100)}% of "
                     f"{_plural(mod.pairs, 'moderated PEP')}.")
    return lines


def _trend_rows(points) -> list[dict]:
    return [{
        "term": str(p.term),
        "short": _short_term(p.term),
        "due": p.completion.due,
        "completed": pct(p.completion.completed, p.completion.due),
        "on_time": pct(p.completion.on_time, p.completion.due),
        "judged": p.quality.judged,
        "good_or_better": pct(p.quality.good_or_better, p.quality.judged),
        "on_time_value": percent(p.completion.on_time, p.completion.due),
        "good_value": percent(p.quality.good_or_better, p.quality.judged),
    } for p in points]


def _short_term(term: Term) -> str:
    return f"{term.get_season_display()[:3]} {term.academic_year_label}"


def board_report_context(term: Term, today: date | None = None) -> dict:
    figures = term_figures(term)
    points = trend(term)
    trend_rows = _trend_rows(points)
    q = figures.quality
    sw_rows = [{
        "team": row.team, "manager": row.manager, "meetings": row.meetings, "attended": row.sw_attended,
        "attended_share": pct(row.sw_attended, row.meetings), "peps": row.peps,
        "updated": row.sw_section_updated, "updated_share": pct(row.sw_section_updated, row.peps),
    } for row in figures.social_work]
    total = figures.social_work_total
    school_rows, gold_by_school = _public_school_rows(figures, settings.BOARD_REPORT_MIN_PEPS_PER_SCHOOL)
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
            "due": figures.completion.due, "completed": figures.completion.completed,
            "on_time": figures.completion.on_time,
            "completed_share": pct(figures.completion.completed, figures.completion.due),
            "on_time_share": pct(figures.completion.on_time, figures.completion.due),
            "late": figures.completion.completed - figures.completion.on_time,
            "outstanding": figures.completion.due - figures.completion.completed,
            "late_share": pct(figures.completion.completed - figures.completion.on_time, figures.completion.due),
            "outstanding_share": pct(figures.completion.due - figures.completion.completed, figures.completion.due),
        },
        "quality": {
            "judged": q.judged,
            "rows": [{"label": Rating(r).label, "count": q.counts[r], "share": pct(q.counts[r], q.judged)}
                     for r in RATINGS],
            "good_or_better": q.good_or_better,
            "good_or_better_share": pct(q.good_or_better, q.judged),
            "not_judged": figures.completion.due - q.judged,
        },
        "quality_chart": quality_chart(q) if q.judged else None,
        "by_phase": [_quality_row(b.label, b.quality, b.peps) for b in figures.by_phase if b.peps],
        "by_key_stage": [_quality_row(b.label, b.quality, b.peps) for b in figures.by_key_stage],
        "by_school": school_rows,
        "min_peps_per_school": settings.BOARD_REPORT_MIN_PEPS_PER_SCHOOL,
        "by_officer": [_quality_row(b.label, b.quality, b.peps) for b in figures.by_officer],
        "rating_labels": [Rating(r).label for r in RATINGS],
        "trend_rows": trend_rows,
        "trend_chart": trend_chart(trend_rows) if any(
            r["on_time_value"] is not None or r["good_value"] is not None for r in trend_rows) else None,
        "social_work": sw_rows,
        "social_work_total": {
            "meetings": total.meetings, "attended": total.sw_attended,
            "attended_share": pct(total.sw_attended, total.meetings), "peps": total.peps,
            "updated": total.sw_section_updated, "updated_share": pct(total.sw_section_updated, total.peps),
        },
        "amendments": figures.amendments,
        "coverage": figures.coverage,
        "coverage_share": pct(figures.coverage.reviewed_total, figures.coverage.minimum_total),
        "moderation": figures.moderation,
        "moderation_exact": (None if figures.moderation.exact is None
                             else f"{round(figures.moderation.exact * 100)}%"),
        "moderation_kappa": (None if figures.moderation.kappa is None else f"{figures.moderation.kappa:.2f}"),
        "gold": figures.gold,
        "gold_share": pct(figures.gold, q.judged),
        "gold_by_school": gold_by_school,
    }


def board_report_html(term: Term, today: date | None = None) -> str:
    return render_to_string("reporting/pdf/board_report.html", board_report_context(term, today))


def board_report_pdf(term: Term, today: date | None = None) -> bytes:
    return _pdf(board_report_html(term, today))


# --- the social care report ----------------------------------------------------------


def social_care_report_context(term: Term, today: date | None = None, user=None) -> dict:
    exceptions = social_care_exceptions(term, user)
    teams = []
    for team, rows in exceptions.items():
        first = rows[0]
        teams.append({
            "name": team,
            "manager": first.team_manager,
            "manager_email": first.team_manager_email,
            "rows": rows,
            "peps": len(rows),
            "not_attended": sum(1 for r in rows if r.meeting_date and not r.sw_attended),
            "not_updated": sum(1 for r in rows if not r.sw_section_updated),
        })
    return {
        **_running(f"Social workers and PEPs: exceptions by team – {term}", "OFFICIAL-SENSITIVE"),
        "term": term,
        "authority_name": settings.AUTHORITY_NAME,
        "virtual_school_name": settings.VIRTUAL_SCHOOL_NAME,
        "report_date": today or timezone.localdate(),
        "teams": teams,
        "total_peps": sum(t["peps"] for t in teams),
        "total_not_attended": sum(t["not_attended"] for t in teams),
        "total_not_updated": sum(t["not_updated"] for t in teams),
    }


def social_care_report_html(term: Term, today: date | None = None, user=None) -> str:
    return render_to_string("reporting/pdf/social_care_report.html",
                            social_care_report_context(term, today, user))


def social_care_report_pdf(term: Term, today: date | None = None, user=None) -> bytes:
    return _pdf(social_care_report_html(term, today, user))


def _pdf(html: str) -> bytes:
    return document(html).write_pdf()


def document(html: str):
    """``html`` laid out by WeasyPrint: ``len(document.pages)``, then ``.write_pdf()``."""
    # Imported here: WeasyPrint loads Pango and fonts, which no other page needs.
    from weasyprint import HTML, URLFetcher

    # Nothing is fetched from the network: a local base URL, and only file: and data: URLs.
    return HTML(
        string=html, base_url=str(settings.BASE_DIR / "templates" / "reporting" / "pdf"),
        url_fetcher=URLFetcher(allowed_protocols={"file", "data"}),
    ).render()


# --- charts (inline SVG) ---------------------------------------------------------------


def _svg(width: int, height: int, body: list[str], label: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated text below goes through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'font-family="{FONT}" font-size="11" fill="{INK}">' + "".join(body) + "</svg>"
    )


def quality_chart(quality: Quality, width: int = 460) -> SafeString:
    """Horizontal bars: the share of judged PEPs at each rating, with counts."""
    label_w, bar_h, gap, top = 60, 22, 10, 6
    value_w = 110
    bar_max = width - label_w - value_w
    body = []
    for i, rating in enumerate(RATINGS):
        y = top + i * (bar_h + gap)
        count = quality.counts[rating]
        share = quality.share(rating) or 0
        body.append(f'<text x="0" y="{y + bar_h * 0.68:.1f}" font-weight="bold">'
                    f'{escape(Rating(rating).label)}</text>')
        body.append(f'<rect x="{label_w}" y="{y}" width="{bar_max}" height="{bar_h}" fill="#f3f2f1"/>')
        if count:
            body.append(f'<rect x="{label_w}" y="{y}" width="{max(bar_max * share, 2):.1f}" height="{bar_h}" '
                        f'fill="{RATING_COLOURS[rating]}"/>')
        body.append(f'<text x="{label_w + bar_max + 8}" y="{y + bar_h * 0.68:.1f}">'
                    f'{pct(count, quality.judged)} ({count} of {quality.judged})</text>')
    height = top + len(RATINGS) * (bar_h + gap)
    return _svg(width, height, body, "Quality of judged PEPs by rating")


def trend_chart(rows: list[dict], width: int = 640, height: int = 240) -> SafeString:
    """Two lines over the terms: completed by the deadline, and good or better (0-100%)."""
    left, right, top, bottom = 42, 16, 14, 58
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(rows)
    step = plot_w / max(n, 1)

    def x(i):
        return left + step * (i + 0.5)

    def y(value):
        return top + plot_h * (1 - value / 100)

    body = []
    for tick in range(0, 101, 25):
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                    f'stroke="{RULE if tick else MUTED}" stroke-width="{0.6 if tick else 1}"/>')
        body.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick}%</text>')
    for i, row in enumerate(rows):
        body.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{MUTED}">'
                    f'{escape(row["short"])}</text>')
    series = [("on_time_value", BRAND, "Completed by the deadline", ""),
              ("good_value", RATING_COLOURS[Rating.GREEN], "Rated good or better", "5 3")]
    for key, colour, _label, dash in series:
        points = [(x(i), y(row[key]), row[key]) for i, row in enumerate(rows) if row[key] is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.2"{dash_attr}/>')
        for px, py, value in points:
            body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>')
            offset = -8 if key == "on_time_value" else 15
            body.append(f'<text x="{px:.1f}" y="{py + offset:.1f}" text-anchor="middle" font-size="10" '
                        f'fill="{colour}">{value}%</text>')
    # The key, below the axis.
    key_y = height - 14
    kx = left
    for _key, colour, label, dash in series:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(f'<line x1="{kx}" x2="{kx + 26}" y1="{key_y - 4}" y2="{key_y - 4}" stroke="{colour}" '
                    f'stroke-width="2.2"{dash_attr}/>')
        body.append(f'<text x="{kx + 32}" y="{key_y}">{escape(label)}</text>')
        kx += 230
    return _svg(width, height, body, "Trend over the last terms: completed by the deadline and rated good or better")
