from dataclasses import dataclass
from typing import cast

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size
from django import forms
from django.http import QueryDict

from core.parsing import parse_int
from core.vocabulary import Rating
from reviews.models import AreaRating, QaReview
from reviews.services import AreaInput

SUBMIT = "submit"
SAVE_DRAFT = "draft"


@dataclass(frozen=True)
class PepPart:
    """A part of the PEP, as the rating page shows it beside the areas (templates/reviews/
    _pep_part.html renders each by its key)."""

    key: str
    label: str


PEP_PARTS = [
    PepPart("meeting", "The PEP meeting"),
    PepPart("about", "About the child"),
    PepPart("education", "Education"),
    PepPart("attainment", "Attainment and progress"),
    PepPart("views", "The child's views"),
    PepPart("attendance", "Attendance"),
    PepPart("targets", "Targets and PP+"),
    PepPart("aspirations", "Aspirations"),
]
# What each area of the pro-forma rates, by its position (the same eight in every phase's
# pro-forma): 1 PEP meeting, 2 About the child, 3 Education, 4 Attainment and progress,
# 5 Views, 6 Attendance, 7 Targets, 8 Aspiration Pathway.
PEP_PART_BY_POSITION = dict(enumerate(PEP_PARTS, start=1))


@dataclass(frozen=True)
class PreviousReview:
    """The previous QA round's review (the one that returned the PEP), and its rating of
    each area of the review being rated, by that review's area rating id."""

    review: QaReview
    ratings: dict[int, AreaRating]


class RatingForm(forms.Form):
    """All areas of a review's pro-forma on one form: a rating and a comment each.

    A draft may be saved with anything missing. Submitting needs every area rated and
    commented on, as the pro-forma asks for a comment per area.
    """

    strengths = forms.CharField(
        label="Strengths of this PEP",
        required=False,
        widget=forms.Textarea,
        help_text="Good practice to share with the DT, SW and officer.",
    )
    development_points = forms.CharField(
        label="Development points",
        required=False,
        widget=forms.Textarea,
        help_text="What must improve in the next PEP.",
    )
    # The review's version the form was opened on (see reviews.services.save_review).
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        review: QaReview,
        submitting: bool = False,
        previous: PreviousReview | None = None,
        show_pep_parts: bool = True,
        **kwargs,
    ):
        self.review = review
        self.submitting = submitting
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("strengths", review.strengths)
        initial.setdefault("development_points", review.development_points)
        initial.setdefault("version", review.version)
        super().__init__(*args, **kwargs)
        self.area_ratings = list(review.area_ratings.all())
        area_fields: dict[str, forms.Field] = {}
        layout = []
        for area_rating in self.area_ratings:
            area = area_rating.area
            rating_name, comment_name = self.rating_field(area_rating), self.comment_field(area_rating)
            area_fields[rating_name] = forms.ChoiceField(
                label=f"{area.position}. {area.title}",
                help_text=area.description,
                required=False,
                widget=forms.RadioSelect,
                choices=[Choice(rating.value, rating.label, hint=area.criteria_for(rating)) for rating in Rating],
                initial=area_rating.rating,
            )
            area_fields[comment_name] = forms.CharField(
                label=f"Comment on {area.title}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=area_rating.comment,
            )
            layout.append(HTML(f'<div class="app-rating-area" id="area-{area.position}">'))
            radios = Field.radios(rating_name, legend_size=Size.MEDIUM, legend_tag="h2", small=True)
            # Above the radios: the area's part of the PEP (shown on a narrow screen; a wide
            # one has the whole PEP beside the form), and what the previous QA round's review
            # said of the area.
            pep_part = PEP_PART_BY_POSITION.get(area.position) if show_pep_parts else None
            previous_rating = previous.ratings.get(area_rating.pk) if previous else None
            if pep_part or previous_rating:
                radios.add_context(
                    before_radios="reviews/_area_before_radios.html",
                    pep_part=pep_part,
                    previous_rating=previous_rating,
                    previous_review=previous.review if previous else None,
                )
            layout.append(radios)
            layout.append(Field.textarea(comment_name, rows=3))
            layout.append(HTML("</div>"))
        # Areas first, then the summary fields, in pro-forma order.
        self.fields = {**area_fields, **self.fields}
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *layout,
            Fieldset(
                Field.textarea("strengths", rows=4),
                Field.textarea("development_points", rows=4),
                legend="Feedback",
                legend_size=Size.MEDIUM,
            ),
        )

    @staticmethod
    def rating_field(area_rating) -> str:
        return f"rating_{area_rating.pk}"

    @staticmethod
    def comment_field(area_rating) -> str:
        return f"comment_{area_rating.pk}"

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not self.submitting:
            return cleaned
        for area_rating in self.area_ratings:
            title = area_rating.area.title
            if not cleaned.get(self.rating_field(area_rating)):
                self.add_error(self.rating_field(area_rating), f"Select a rating for {title}")
            if not cleaned.get(self.comment_field(area_rating), "").strip():
                self.add_error(self.comment_field(area_rating), f"Enter a comment on {title}")
        return cleaned

    def opened_version(self) -> int | None:
        """The version the form was opened on; None from a form without it (not this
        page's), which is then not checked."""
        return parse_int(self.cleaned_data.get("version", ""), low=0)

    def rebase(self, version: int) -> None:
        """Carry ``version`` from now on: the user has been told that the review changed
        elsewhere, and saving what they entered again is then their choice."""
        data = cast(QueryDict, self.data).copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data

    def area_inputs(self):
        return {
            area_rating.pk: AreaInput(
                rating=self.cleaned_data.get(self.rating_field(area_rating)) or "",
                comment=self.cleaned_data.get(self.comment_field(area_rating), "").strip(),
            )
            for area_rating in self.area_ratings
        }

    def entered_ratings(self) -> list[str]:
        """The ratings chosen so far, read leniently for the live judgement preview."""
        valid = set(Rating.values)
        return [
            value
            for area_rating in self.area_ratings
            if (value := self.data.get(self.rating_field(area_rating))) in valid
        ]


class ConfirmSubmitForm(forms.Form):
    """The confirmation page's form: the review's version its outcome was shown for (see
    reviews.services.submit_review)."""

    version = forms.IntegerField(
        min_value=0,
        widget=forms.HiddenInput,
        error_messages={
            "required": "This page is out of date: go back to the review and submit it again.",
            "invalid": "This page is out of date: go back to the review and submit it again.",
            "min_value": "This page is out of date: go back to the review and submit it again.",
        },
    )


class CorrectionForm(RatingForm):
    """A submitted review's areas and feedback, to correct, with the reason (required):
    every area rated and commented on, as on submit."""

    reason = forms.CharField(
        label="Why are you correcting this review?",
        widget=forms.Textarea,
        help_text=(
            "This is kept with the review and shown in the PEP's history. If the outcome changes, "
            "the designated teacher and social worker are told."
        ),
        error_messages={"required": "Enter why you are correcting this review"},
    )

    def __init__(self, *args, review: QaReview, **kwargs):
        super().__init__(*args, review=review, submitting=True, show_pep_parts=False, **kwargs)
        # The reason last, after the feedback: what was changed, then why.
        self.helper.layout.append(Field.textarea("reason", label_size=Size.MEDIUM, label_tag="h2", rows=4))

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter why you are correcting this review")
        return reason
