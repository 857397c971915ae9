"""Forms of Gold practice: marking what made a review Gold, curating a mark into the
library, and the library's filters. Rendered with crispy-forms-gds."""

from typing import cast

import django_filters
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.db.models import Q

from core.vocabulary import Phase, Rating
from practice.exemplars import gold_areas
from practice.models import GoldExemplar
from reviews.models import ProFormaArea, QaReview
from web.widgets import govuk_selects

WHOLE_PEP = "pep"


class GoldMarkForm(forms.Form):
    """What made this Gold: for the PEP as a whole (a Gold judgement) or one Gold area."""

    about = forms.ChoiceField(
        label="What was Gold?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the PEP as a whole or one of its Gold areas",
            "invalid_choice": "Choose the PEP as a whole or one of its Gold areas",
        },
    )
    what_made_it_gold = forms.CharField(
        label="What made it Gold",
        help_text="What others could learn from: say what was done, not who did it.",
        max_length=5000,
        widget=forms.Textarea,
        error_messages={"required": "Enter what made it Gold"},
    )

    def __init__(self, *args, review: QaReview, **kwargs):
        super().__init__(*args, **kwargs)
        self.review = review
        self.areas = {str(area.pk): area for area in gold_areas(review)}
        choices = [(WHOLE_PEP, "The PEP as a whole")] if review.overall_judgement == Rating.GOLD else []
        choices += [(pk, f"{area.position}. {area.title}") for pk, area in self.areas.items()]
        about = cast(forms.ChoiceField, self.fields["about"])
        about.choices = choices
        if len(choices) == 1:
            self.fields["about"].initial = choices[0][0]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("about", legend_size=Size.SMALL, small=True),
            Field.textarea("what_made_it_gold", rows=5),
            Button.primary("mark", "Save what made it Gold"),
        )

    @property
    def area(self) -> ProFormaArea | None:
        return self.areas.get(self.cleaned_data["about"])


class CurateForm(forms.Form):
    title = forms.CharField(
        label="Title in the library",
        max_length=200,
        help_text="For example, “SMART targets that follow the child's voice”.",
        error_messages={"required": "Enter a title"},
    )
    anonymised_text = forms.CharField(
        label="Anonymised text",
        help_text="What made it Gold, without the child's name, LA reference or UPN, the school, "
        "or the names of the designated teacher, social worker or officer.",
        max_length=10000,
        widget=forms.Textarea,
        error_messages={"required": "Enter the anonymised text"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("title"),
            Field.textarea("anonymised_text", rows=8),
            Button.primary("accept", "Add to the library"),
        )


def _area_choices() -> list[tuple[str, str]]:
    """The areas of the library's exemplars, by title (the same area across versions and
    phases): one query."""
    titles = (
        ProFormaArea.objects.filter(gold_exemplars__status="in_library")
        .values_list("title", flat=True)
        .distinct()
        .order_by("title")
    )
    return [(WHOLE_PEP, "The PEP as a whole"), *((title, title) for title in titles)]


class LibraryFilter(django_filters.FilterSet):
    area = django_filters.ChoiceFilter(
        choices=_area_choices, empty_label="All areas", method="filter_area", label="Area"
    )
    phase = django_filters.ChoiceFilter(
        choices=Phase.choices, empty_label="All phases", field_name="review__pep__phase", label="Phase"
    )

    class Meta:
        model = GoldExemplar
        fields = ["area", "phase"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        govuk_selects(self.form.fields)

    def filter_area(self, queryset, name, value):
        if value == WHOLE_PEP:
            return queryset.filter(area__isnull=True)
        return queryset.filter(Q(area__title__iexact=value))
