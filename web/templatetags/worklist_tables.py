"""The QA worklist's table rows (templates/sampling/worklist.html), written in Python: a
manager's worklist runs to 200 sampled PEPs and 200 outside the sample, and the template's
lookups, ``{% if %}`` and escaping per cell were most of the page's time. The rows are the
dicts web.sampling.views builds; every value is escaped here."""

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from web.markup import rating_tag

register = template.Library()

_DUE_TAGS = {
    "overdue": '<br><strong class="govuk-tag govuk-tag--red">Overdue</strong>',
    "soon": '<br><strong class="govuk-tag govuk-tag--orange">Due soon</strong>',
}
_BUTTON = (
    '<button type="submit" formaction="{url}" class="govuk-button govuk-button--secondary '
    'govuk-!-margin-bottom-0" data-module="govuk-button"{prevent}>{label}'
    '<span class="govuk-visually-hidden">{hidden}</span></button>'
)
_PREVENT = ' data-prevent-double-click="true"'


@register.simple_tag
def sampled_rows(rows) -> SafeString:
    """The rows of a sample kind's table: child, LA reference, officer, why chosen, due,
    status and the action (View, Rate or Continue). On a phone the child, the due date and
    the action, which says the state (the view links above the table filter by it)."""
    html = []
    for row in rows:
        child = escape(row["child"])
        if row["review_url"]:
            action = (
                f'<a class="govuk-link" href="{escape(row["review_url"])}">View<span class="govuk-visually-hidden">'
                f" your review of {child}</span></a>"
            )
        elif row["start_url"]:
            action = _BUTTON.format(
                url=escape(row["start_url"]),
                prevent=_PREVENT,
                label="Continue" if row["continues"] else "Rate",
                hidden=f" the PEP of {child}",
            )
        else:
            action = ""
        judgement = f" {rating_tag(row['judgement'])}" if row["judgement"] else ""
        html.append(
            '<tr class="govuk-table__row">'
            f'<td class="govuk-table__cell"><a class="govuk-link" href="{escape(row["pep_url"])}">{child}</a></td>'
            f'<td class="govuk-table__cell app-nowrap app-wide-only">{escape(row["la_reference"])}</td>'
            f'<td class="govuk-table__cell app-wide-only">{escape(row["officer"])}</td>'
            f'<td class="govuk-table__cell app-wide-only">{escape(row["reason"])}</td>'
            f'<td class="govuk-table__cell app-nowrap">{escape(row["due_date"])}{_DUE_TAGS.get(row["due"], "")}</td>'
            f'<td class="govuk-table__cell app-wide-only">'
            f'<strong class="govuk-tag govuk-tag--{escape(row["status_colour"])}">'
            f"{escape(row['status'])}</strong>{judgement}</td>"
            f'<td class="govuk-table__cell">{action}</td>'
            "</tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


@register.simple_tag
def not_sampled_rows(peps) -> SafeString:
    """The rows of the team's PEPs outside the sample: a box to select it, child, term,
    officer, deadline, and Rate (not on one's own PEP) and Finalise without QA. On a phone
    only the box, the child and the buttons (the others: app-wide-only)."""
    html = []
    for pep in peps:
        child, pk = escape(pep["child"]), int(pep["pk"])
        rate = (
            _BUTTON.format(url=escape(pep["start_url"]), prevent="", label="Rate", hidden=f" the PEP of {child}")
            if pep["start_url"]
            else ""
        )
        finalise = _BUTTON.format(
            url=escape(pep["finalise_url"]),
            prevent=_PREVENT,
            label="Finalise without QA",
            hidden=f": the PEP of {child}",
        )
        html.append(
            '<tr class="govuk-table__row"><td class="govuk-table__cell">'
            '<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">'
            '<div class="govuk-checkboxes__item">'
            f'<input class="govuk-checkboxes__input" id="finalise-{pk}" name="pep" type="checkbox" value="{pk}">'
            f'<label class="govuk-label govuk-checkboxes__label" for="finalise-{pk}">'
            f'<span class="govuk-visually-hidden">Select the PEP of {child}</span></label>'
            "</div></div></td>"
            f'<td class="govuk-table__cell"><a class="govuk-link" href="{escape(pep["pep_url"])}">{child}</a>'
            f'<span class="app-wide-only"> ({escape(pep["la_reference"])})</span></td>'
            f'<td class="govuk-table__cell app-wide-only">{escape(pep["term"])}</td>'
            f'<td class="govuk-table__cell app-wide-only">{escape(pep["officer"])}</td>'
            f'<td class="govuk-table__cell app-wide-only">{escape(pep["deadline"])}</td>'
            '<td class="govuk-table__cell"><div class="govuk-button-group govuk-!-margin-bottom-0">'
            f"{rate}{finalise}</div></td>"
            "</tr>"
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped
