"""The learning page's Amber and Red ratings (templates/practice/learning.html), written in
Python: up to ten an area across a dozen areas, each with two free-text cells, and the
template's lookups, ``{% url %}``, ``linebreaksbr`` and ``default`` per cell were two
thirds of the page's rendering. The rows are reporting.figures.WeakRating; every value is
escaped here, with the standard library's html.escape (what Django's escape calls,
without its lazy-string wrapper)."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

from reporting.formatting import percent
from web.links import pk_url
from web.markup import rating_tag

register = template.Library()


def _text(value: str) -> str:
    """As ``{{ value|linebreaksbr|default:"—" }}``: escaped, a line break a <br>."""
    if not value:
        return "—"
    return escape(normalize_newlines(value)).replace("\n", "<br>")


@register.simple_tag
def weak_rows(weak) -> SafeString:
    """The rows of an area's table: LA reference (linked to the PEP), term, officer,
    rating, the comment on the area and the review's development points."""
    html = []
    pep_url = pk_url("peps:detail")
    for rating in weak:
        html.append(
            '<tr class="govuk-table__row">'
            f'<td class="govuk-table__cell"><a class="govuk-link" href="{pep_url(rating.pep_id)}">'
            f"{escape(str(rating.la_reference))}</a></td>"
            f'<td class="govuk-table__cell">{escape(str(rating.term))}</td>'
            f'<td class="govuk-table__cell">{escape(str(rating.officer or "No officer"))}</td>'
            f'<td class="govuk-table__cell">{rating_tag(rating.rating)}</td>'
            f'<td class="govuk-table__cell">{_text(rating.comment)}</td>'
            f'<td class="govuk-table__cell">{_text(rating.development_points)}</td>'
            "</tr>"
        )
    return mark_safe("".join(html))  # every value above is escaped


_NUMBER = '<td class="govuk-table__cell govuk-table__cell--numeric">{}</td>'


@register.simple_tag
def learning_rows(rows, with_phases=False) -> SafeString:
    """The rows of a learning table (practice/_learning_table.html): an area, officer, team
    or term, its ratings by level and its Amber or Red share, with the values the table's
    sorting reads. An area with Amber or Red ratings links to their list (``with_phases``:
    the areas' table)."""
    html = []
    for n, row in enumerate(rows, 1):
        figures = row.figures
        label = escape(str(row.label))
        name = f'<a class="govuk-link" href="#weak-{n}">{label}</a>' if with_phases and row.weak else label
        html.append(
            f'<tr class="govuk-table__row"><th scope="row" class="govuk-table__header" data-sort-value="{label}">'
            f"{name}</th>"
        )
        if with_phases:
            html.append(f'<td class="govuk-table__cell">{escape(row.phase_labels)}</td>')
        html.append(_NUMBER.format(figures.rated))
        html.extend(_NUMBER.format(count) for count in figures.counts.values())
        share = figures.amber_red_share
        if share is None:
            sort, shown = "-1", "no data"
        else:
            shown = escape(percent(share, none="not enough data"))
            sort = shown.replace("%", "")
        html.append(
            f'<td class="govuk-table__cell govuk-table__cell--numeric" data-sort-value="{sort}">{shown}</td></tr>'
        )
    return mark_safe("".join(html))  # every value above is escaped
