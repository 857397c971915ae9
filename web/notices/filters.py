"""The messages page's filters (django-filter, as the PEP list's). A PEP is picked by the
child's LA reference typed, or by its id from the PEP page's link: both are looked up in
the PEPs the user may see (access.policy.visible_peps), so a reference or an id of a PEP
out of view matches no message, exactly like one that does not exist."""

import django_filters
from django import forms
from django.db.models import F

from access.policy import visible_peps
from notices.models import DeliveryState, Notice, NoticeKind
from notices.selectors import recipients_matching, state_rank
from web.widgets import govuk_selects

# The largest id a database integer holds: above it a lookup would fail, not match nothing.
MAX_ID = 2**63 - 1


class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField


class DateInput(forms.DateInput):
    input_type = "date"


class NoticeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=DeliveryState.choices, empty_label="Any state", label="State", method="filter_state"
    )
    kind = django_filters.ChoiceFilter(choices=NoticeKind.choices, empty_label="All kinds", label="Kind of message")
    reference = django_filters.CharFilter(label="Child's LA reference", method="filter_reference")
    person = django_filters.CharFilter(label="Person", method="filter_person")
    date_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Written on or after", widget=DateInput()
    )
    date_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Written on or before", widget=DateInput()
    )
    # The PEP page's link ("Messages about this PEP"): not a field people fill in.
    pep = IdFilter(label="PEP", method="filter_pep", min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    class Meta:
        model = Notice
        fields = ["state", "kind", "reference", "person", "date_from", "date_to", "pep"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        govuk_selects(self.form.fields)
        for field in self.form.fields.values():
            widget = field.widget
            if isinstance(widget, DateInput):
                widget.attrs.setdefault("class", "govuk-input govuk-input--width-10")
            elif isinstance(widget, forms.TextInput):
                widget.attrs.setdefault("class", "govuk-input")
                widget.attrs.setdefault("autocomplete", "off")
                widget.attrs.setdefault("spellcheck", "false")
        self.form.fields["person"].widget.attrs["aria-describedby"] = "id_person-hint"

    def filter_state(self, queryset, name, value):
        return queryset.in_state(value)

    def filter_reference(self, queryset, name, value):
        return queryset.filter(pep__in=visible_peps(self.user).filter(child__la_reference__iexact=value.strip()))

    def filter_pep(self, queryset, name, value):
        return queryset.filter(pep__in=visible_peps(self.user).filter(pk=value))

    def filter_person(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(pk__in=recipients_matching(value).values("notice"))


# Column key -> what it sorts on, for the sortable table (newest first unless asked).
SORTS = {
    "date": (F("created_at"),),
    "kind": (F("kind"),),
    "subject": (F("email__subject"),),
    "reference": (F("pep__child__la_reference"),),
    "state": (state_rank(),),
}
DEFAULT_SORT = "-date"


def ordering(sort: str) -> list:
    """The ORDER BY of a sort key ("date", "-state"...), then the newest first, so that
    rows of the same value keep one order from page to page."""
    key, descending = sort.lstrip("-"), sort.startswith("-")
    return [*(field.desc() if descending else field.asc() for field in SORTS[key]), "-created_at", "-pk"]
