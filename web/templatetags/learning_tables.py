"""The learning page's Amber and Red ratings (templates/practice/learning.html), written in
Python: up to ten an area across a dozen areas, each with two free-text cells, and the
template's lookups, ``{% url %}``, ``linebreaksbr`` and ``default`` per cell were two
thirds of the page's rendering. The rows are reporting.figures.WeakRating; every value is
escaped here."""

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import normalize_newlines

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
    for rating in weak:
        url = reverse("peps:detail", args=[rating.pep_id])
        html.append(
            '<tr class="govuk-table__row">'
            f'<td class="govuk-table__cell"><a class="govuk-link" href="{escape(url)}">'
            f"{escape(rating.la_reference)}</a></td>"
            f'<td class="govuk-table__cell">{escape(rating.term)}</td>'
            f'<td class="govuk-table__cell">{escape(rating.officer or "No officer")}</td>'
            f'<td class="govuk-table__cell">{rating_tag(rating.rating)}</td>'
            f'<td class="govuk-table__cell">{_text(rating.comment)}</td>'
            f'<td class="govuk-table__cell">{_text(rating.development_points)}</td>'
            "</tr>"
        )
    return mark_safe("".join(html))  # every value above is escaped
