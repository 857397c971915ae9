"""Template tags of the reports (the dashboard and the board PDF alike): links to the PEP
list, and the charts of the figures.

They only hand the figures service's numbers (counts, and shares as shown) to
reporting.charts; nothing is computed here.
"""

from django import template
from django.urls import reverse
from django.utils.html import escape
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
    escaping per cell were most of the dashboard's time. Every value is escaped."""
    peps_list = reverse("peps:list") if term is not None else ""
    rating_labels = {rating: escape(Rating(rating).label) for rating in RATINGS}
    html = []
    for row in rows:
        # As pep_list_url: no link for a row whose key is None (no school recorded).
        url = (
            ""
            if term is None or row.key is None
            else escape(f"{peps_list}?{urlencode({'term': term.pk, param: row.key})}")
        )
        quality, label = row.quality, escape(row.label)
        judged = quality.judged

        def cell(count, suffix: str, words: str, url=url, label=label) -> str:
            if url and count:
                return _CELL.format(_LINK.format(f"{url}{suffix}", count, words, label))
            return _CELL.format(count)

        if not judged:
            good = _CELL.format("No data")
        else:
            shown = escape(formatting.percent(quality.good_or_better_shown, none="not enough data"))
            good = cell(shown, "&amp;judgement=good", "good or better")
        html.append(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
            + label
            + "</th>"
            + cell(row.peps, "", "PEPs")
            + cell(judged, "&amp;judgement=judged", "judged")
            + "".join(
                cell(count, f"&amp;judgement={rating}", rating_labels[rating])
                for rating, count in quality.counts.items()
            )
            + good
            + "</tr>"
        )
    return mark_safe("".join(html))  # every value above is escaped


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
