from collections.abc import Iterator

from django import forms, template
from django.core.paginator import Page

from core.vocabulary import Rating
from reporting import formatting
from web import markup

register = template.Library()


@register.inclusion_tag("includes/sort_header.html", takes_context=True)
def sort_header(context, key, label, numeric=False, extra_class=""):
    """A sortable column header: a link that sorts by the column, then reverses it
    (``extra_class``: e.g. app-wide-only, a column a phone leaves out)."""
    current = context.get("sort", "")
    ascending, descending = current == key, current == f"-{key}"
    base = context.get("sort_query_string", "")
    next_sort = f"-{key}" if ascending else key
    return {
        "label": label,
        "href": f"?{base}&sort={next_sort}" if base else f"?sort={next_sort}",
        "aria_sort": "ascending" if ascending else "descending" if descending else "none",
        "numeric": numeric,
        "extra_class": extra_class,
    }


@register.simple_tag
def elided_page_range(page_obj: Page, on_each_side: int = 1, on_ends: int = 1) -> Iterator[str | int]:
    """The page numbers to link, with Paginator.ELLIPSIS for the gaps: 1 … 6 [7] 8 … 42.

    Bounded however many pages there are; looping over every page number in the
    template cost 51 ms on the VSH's PEP list at 60,000 PEPs.
    """
    return page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=on_each_side, on_ends=on_ends)


@register.filter
def error_anchor(bound_field) -> str:
    """Where an error summary link should land: the first radio of a radio group."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"id_{bound_field.html_name}_1"
    if isinstance(widget, forms.MultiWidget):  # a GOV.UK date input: the day
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


@register.filter
def rating_label(value) -> str:
    return Rating(value).label if value in Rating.values else ""


@register.filter
def quality_label(value) -> str:
    return Rating(value).quality_label if value in Rating.values else ""


@register.simple_tag
def rating_tag(value, extra=""):
    return markup.rating_tag(value, extra)


@register.simple_tag
def pep_status_tag(status):
    return markup.pep_status_tag(status)


@register.filter
def yes_no(value) -> str:
    return "Yes" if value else "No"


@register.filter
def percent(value) -> str:
    """A share (0 to 1) as a whole percentage, by the reports' one formatter (halves
    rounded up on the exact share); "not enough data" when there is none."""
    return formatting.percent(value, none="not enough data")


@register.filter
def agreed_of(figure) -> str:
    """An AgreementFigure as "3 of 4 agreed (75%)"."""
    return formatting.agreed_of(figure)


@register.filter
def kappa_text(figure) -> str:
    """An AgreementFigure's kappa, or why it is not computed."""
    return formatting.kappa_text(figure)


@register.filter
def two_decimals(value) -> str:
    """A statistic such as kappa to two decimals; "not enough data" when undefined."""
    if value is None:
        return "not enough data"
    return f"{value:.2f}"
