"""Template tags of the reports (the dashboard and the board PDF alike): links to the PEP
list, and the charts of the figures.

They only hand the figures service's numbers (counts, and shares as shown) to
reporting.charts; nothing is computed here.
"""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from reporting import charts
from reporting.figures import RATINGS

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
def quality_chart(quality, chart_id, title, description=""):
    return charts.stacked_bar(
        chart_id, title, description or "The table that follows gives the numbers.", _counts(quality), _shares(quality)
    )


@register.simple_tag
def breakdown_chart(rows, chart_id, title, description=""):
    return charts.stacked_bars(
        chart_id,
        title,
        description or "The table that follows gives the numbers.",
        [(row.label, _counts(row.quality), _shares(row.quality)) for row in rows],
    )


@register.simple_tag
def trend_chart(points, chart_id, title, description=""):
    return charts.line_chart(
        chart_id,
        title,
        description or "The table that follows gives the numbers.",
        [str(point.term) for point in points],
        [
            (charts.BLUE, [point.completion.on_time_shown for point in points]),
            (charts.GREEN, [point.quality.good_or_better_shown for point in points]),
        ],
    )
