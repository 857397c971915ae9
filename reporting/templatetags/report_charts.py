"""Template tags of the reports (the dashboard and the board PDF alike): links to the PEP
list, and the charts of the figures.

They only hand the figures service's numbers (counts, and shares as shown) to
reporting.charts; nothing is computed here.
"""

import html
from urllib.parse import quote_plus

from django import template
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe

from core.vocabulary import Rating
from reporting import charts, formatting
from reporting.figures import RATINGS, Breakdown

register = template.Library()


@register.simple_tag
def pep_list_url(term, **filters) -> str:
    """/peps/?term=<pk>&<filter>=<value>...: the PEPs behind a figure. A filter whose
    value is None (no school recorded, say) makes no link: "" is returned."""
    if term is None or any(value is None for value in filters.values()):
        return ""
    return f"{reverse('peps:list')}?{urlencode({'term': term.pk, **filters})}"


@register.simple_tag
def breakdown_url(term, param, key) -> str:
    """The PEP list filtered by one row of a breakdown: ``param`` is the filter's name."""
    return pep_list_url(term, **{param: key})


_CELL = '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'
_LINK = '<a class="govuk-link" href="{}">{}<span class="govuk-visually-hidden"> {}, {}</span></a>'


@register.simple_tag
def breakdown_rows(term, param: str, rows: list[Breakdown]) -> SafeString:
    """The rows of a breakdown table (reporting/_breakdown_table.html), each count linked to
    the PEPs behind it. Written here rather than in the template: the school and officer
    tables run to 200 rows of eight cells, and the template's lookups, ``{% url %}`` and
    escaping per cell were most of the dashboard's time. Every value is escaped: with the
    standard library's html.escape, which Django's escape calls behind its lazy-string
    wrapper (a sixth of this tag's time at 200 rows), and each row's link is the table's
    query string plus the row's quoted key, as urlencode writes it."""
    prefix = f"{reverse('peps:list')}?{urlencode({'term': term.pk})}&{quote_plus(param)}=" if term is not None else ""
    rating_cells = [(rating, f"&amp;judgement={rating}", html.escape(str(Rating(rating).label))) for rating in RATINGS]
    out = []
    for row in rows:
        # As pep_list_url: no link for a row whose key is None (no school recorded).
        url = "" if term is None or row.key is None else html.escape(prefix + quote_plus(str(row.key)))
        quality, label = row.quality, html.escape(str(row.label))
        counts = quality.counts
        judged = quality.judged

        def cell(count, suffix: str, words: str, url=url, label=label) -> str:
            if url and count:
                return _CELL.format(_LINK.format(f"{url}{suffix}", count, words, label))
            return _CELL.format(count)

        if not judged:
            good = _CELL.format("No data")
        else:
            shown = html.escape(formatting.percent(quality.good_or_better_shown, none="not enough data"))
            good = cell(shown, "&amp;judgement=good", "good or better")
        out.append(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
            + label
            + "</th>"
            + cell(row.peps, "", "PEPs")
            + cell(judged, "&amp;judgement=judged", "judged")
            + "".join(cell(counts[rating], suffix, words) for rating, suffix, words in rating_cells)
            + good
            + "</tr>"
        )
    return mark_safe("".join(out))  # every value above is escaped


@register.filter
def shown_share_of(quality, rating):
    """``quality.shown_share(rating)``, which a template cannot call."""
    return quality.shown_share(rating)


@register.filter
def minus(whole: int, part: int) -> int:
    """The rest of a count the figures give as a whole and a part: meetings held less those
    the social worker attended."""
    return whole - part


def _counts(quality) -> list[int]:
    return [quality.counts[rating] for rating in RATINGS]


def _shares(quality) -> list:
    return [quality.shown_shares[rating] for rating in RATINGS]


@register.simple_tag
def quality_chart(quality, chart_id, title, description="", numbers_in_title=False):
    return charts.stacked_bar(
        chart_id,
        title,
        description or "The table that follows gives the numbers.",
        _counts(quality),
        _shares(quality),
        numbers_in_title=numbers_in_title,
    )


@register.simple_tag
def breakdown_chart(rows, chart_id, title, description="", numbers_in_title=False):
    return charts.stacked_bars(
        chart_id,
        title,
        description or "The table that follows gives the numbers.",
        [(row.label, _counts(row.quality), _shares(row.quality)) for row in rows],
        numbers_in_title=numbers_in_title,
    )


@register.simple_tag
def trend_chart(points, chart_id, title, description="", numbers_in_title=False):
    return charts.line_chart(
        chart_id,
        title,
        description or "The table that follows gives the numbers.",
        [str(point.term) for point in points],
        [
            (charts.BLUE, [point.completion.on_time_shown for point in points]),
            (charts.GREEN, [point.quality.good_or_better_shown for point in points]),
        ],
        numbers_in_title=numbers_in_title,
    )
