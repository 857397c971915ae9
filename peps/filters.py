import django_filters
from django import forms
from django.db.models import Q

from accounts.models import Role, User
from reviews.rules import Rating

from .models import Pep, PepStatus, Phase, School, Term


class PepFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Child's name or LA reference", method="search",
    )
    term = django_filters.ModelChoiceFilter(queryset=Term.objects.all(), empty_label="All terms")
    phase = django_filters.ChoiceFilter(choices=Phase.choices, empty_label="All phases")
    status = django_filters.ChoiceFilter(choices=PepStatus.choices, empty_label="All statuses")
    judgement = django_filters.ChoiceFilter(
        choices=[*Rating.choices, ("none", "Not yet judged")],
        empty_label="All judgements", method="filter_judgement",
    )
    officer = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(role=Role.OFFICER), empty_label="All officers",
    )
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.all(), empty_label="All schools",
        field_name="child__school", label="School or setting",
    )

    class Meta:
        model = Pep
        fields = ["q", "term", "phase", "status", "judgement", "officer", "school"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only the officers whose work the user may see.
        if user is not None and not user.sees_whole_school:
            self.filters["officer"].queryset = User.objects.filter(
                Q(pk=user.pk) | Q(line_manager=user), role=Role.OFFICER
            )
        for field in self.form.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "govuk-select")

    def search(self, queryset, name, value):
        # Every word must match a name or the reference: "amy smi" finds Amy Smith.
        for word in value.split():
            queryset = queryset.filter(
                Q(child__first_name__icontains=word)
                | Q(child__last_name__icontains=word)
                | Q(child__la_reference__icontains=word)
            )
        return queryset

    def filter_judgement(self, queryset, name, value):
        if value == "none":
            return queryset.filter(judgement="")
        return queryset.filter(judgement=value)


# Column key -> ORDER BY fields, for the sortable PEP table.
PEP_SORTS = {
    "child": ("child__last_name", "child__first_name"),
    "reference": ("child__la_reference",),
    "term": ("term__start_date",),
    "phase": ("phase",),
    "officer": ("officer__first_name", "officer__last_name"),
    "meeting": ("meeting_date",),
    "status": ("status",),
    "judgement": ("judgement",),
}
