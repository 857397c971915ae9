"""Small pieces of GOV.UK markup written in Python, for the template tags that print them
(``{% rating_tag %}``) and for the long tables written a row at a time
(web.templatetags.worklist_tables), so that both print the same HTML."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.vocabulary import Rating

NOT_RATED = mark_safe('<span class="govuk-body-s">Not rated</span>')
_RATING_LABELS = {rating.value: rating.label for rating in Rating}


def rating_tag(value, extra: str = "") -> SafeString:
    """A rating as its coloured tag (Gold, Green, Amber, Red), or "Not rated"."""
    label = _RATING_LABELS.get(value)
    if label is None:
        return NOT_RATED
    return format_html(
        '<strong class="govuk-tag app-rating-tag app-rating-tag--{} {}">{}</strong>', value, extra, label
    )
