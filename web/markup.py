"""Small pieces of GOV.UK markup written in Python, for the template tags that print them
(``{% rating_tag %}``, ``{% pep_status_tag %}``) and for the long tables written a row at a time
(web.templatetags.worklist_tables), so that both print the same HTML."""

from functools import lru_cache

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.vocabulary import Rating
from peps.models import PepStatus

NOT_RATED = mark_safe('<span class="govuk-body-s">Not rated</span>')
_RATING_LABELS = {rating.value: rating.label for rating in Rating}


@lru_cache(maxsize=64)
def rating_tag(value, extra: str = "") -> SafeString:
    """A rating as its coloured tag (Gold, Green, Amber, Red), or "Not rated". Remembered:
    four ratings, written once each rather than by format_html for every row of a table."""
    label = _RATING_LABELS.get(value)
    if label is None:
        return NOT_RATED
    return format_html(
        '<strong class="govuk-tag app-rating-tag app-rating-tag--{} {}">{}</strong>', value, extra, label
    )


# The tag's colour by status: finalised green, returned orange, submitted blue, a draft grey.
_STATUS_COLOURS = {
    PepStatus.FINALISED.value: "govuk-tag--green",
    PepStatus.RETURNED.value: "govuk-tag--orange",
    PepStatus.SUBMITTED.value: "govuk-tag--blue",
}
_STATUS_LABELS = {status.value: status.label for status in PepStatus}


def pep_status_tag(status) -> SafeString:
    """A PEP's status as its coloured tag. A function, not an included template: the PEP
    list and an officer's caseload print one a row, and an include a row cost them more
    than the rest of the row."""
    return format_html(
        '<strong class="govuk-tag {}">{}</strong>',
        _STATUS_COLOURS.get(status, "govuk-tag--grey"),
        _STATUS_LABELS.get(status, status),
    )
