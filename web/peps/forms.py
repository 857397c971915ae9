"""Forms of the PEP pages: recording a PEP meeting, and submitting the PEP for QA.
Rendered with crispy-forms-gds (GOV.UK date inputs, checkboxes, radios)."""

from decimal import Decimal

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from peps.models import Pep
from peps.services import SECTION_FIELDS, meeting_errors
from web.forms import GovukDateField

SAVE = "save"
CONTINUE = "continue"

# The attendees' checkboxes, and the PEP's field for each.
ATTENDEES = {
    "sw": ("Social worker", "sw_attended"),
    "dt": ("Designated teacher", "dt_attended"),
    "child": ("The child or young person", "child_attended"),
    "carer": ("Carer", "carer_attended"),
}
YES_NO = [("yes", "Yes"), ("no", "No")]
# The sections' labels, as the PEP page names them.
SECTION_LABELS = {
    "child_views": "Child's views, wishes and feelings",
    "education_summary": "Education",
    "attainment_summary": "Attainment and progress",
    "targets": "Targets",
    "aspirations_summary": "Aspirations",
}


class _Amount(forms.DecimalField):
    """A number as people type it: "£1,250.50" or "94.5%" reads as the number."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "spellcheck": "false"})

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().removeprefix("£").removesuffix("%").replace(",", "").strip()
        return super().to_python(value)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


class PepMeetingForm(forms.Form):
    """What the PEP meeting settled, for a draft PEP (``pep`` is None for a PEP not yet
    opened). Saving a draft may leave anything blank; continuing to submit
    (``completing``) needs the meeting date and the yes-or-no questions answered."""

    meeting_date = GovukDateField(
        label="Date of the PEP meeting",
        help_text="For example, 27 3 2026",
        required=False,
        what="the date of the PEP meeting",
    )
    attendees = forms.MultipleChoiceField(
        label="Who attended the meeting?",
        help_text="Select all that apply.",
        required=False,
        choices=[(key, label) for key, (label, _field) in ATTENDEES.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select who attended from the list"},
    )
    sw_section_updated = forms.ChoiceField(
        label="Has the social worker updated their section of the PEP?",
        required=False,
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select yes if the social worker has updated their section"},
    )
    attendance_percent = _Amount(
        label="Attendance this term, as a percentage",
        help_text="For example, 94.5",
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=1,
        # "%%": Django fills these messages in with %-formatting (the limit's value).
        error_messages={
            "invalid": "Enter attendance as a number, like 94.5",
            "min_value": "Attendance must be 0%% or more",
            "max_value": "Attendance must be 100%% or less",
            "max_decimal_places": "Enter attendance to no more than 1 decimal place, like 94.5",
        },
    )
    pp_plus_requested = forms.ChoiceField(
        label="Was Pupil Premium Plus (PP+) requested?",
        required=False,
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select yes if PP+ was requested"},
    )
    pp_plus_amount = _Amount(
        label="Amount of PP+ requested, in pounds",
        help_text="If PP+ was requested. For example, 450 or 450.50",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("999999.99"),
        decimal_places=2,
        error_messages={
            "invalid": "Enter the amount of PP+ requested as a number, like 450 or 450.50",
            "min_value": "The amount of PP+ requested must be more than £0",
            "max_value": "The amount of PP+ requested must be less than £1,000,000",
            "max_decimal_places": "Enter the amount of PP+ requested in pounds and pence, like 450.50",
        },
    )
    next_meeting_date = GovukDateField(
        label="Date of the next PEP meeting",
        help_text="For example, 12 6 2026",
        required=False,
        what="the date of the next PEP meeting",
    )
    child_views = forms.CharField(label=SECTION_LABELS["child_views"], required=False, widget=forms.Textarea)
    education_summary = forms.CharField(
        label=SECTION_LABELS["education_summary"], required=False, widget=forms.Textarea
    )
    attainment_summary = forms.CharField(
        label=SECTION_LABELS["attainment_summary"], required=False, widget=forms.Textarea
    )
    targets = forms.CharField(label=SECTION_LABELS["targets"], required=False, widget=forms.Textarea)
    aspirations_summary = forms.CharField(
        label=SECTION_LABELS["aspirations_summary"], required=False, widget=forms.Textarea
    )

    def __init__(self, *args, pep: Pep | None, completing: bool = False, **kwargs):
        self.completing = completing
        if pep is not None:
            kwargs.setdefault("initial", self._initial(pep))
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                Field("meeting_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
                Field.checkboxes("attendees", legend_size=Size.SMALL),
                Field.radios("sw_section_updated", legend_size=Size.SMALL, inline=True),
                Field.text("attendance_percent", label_size=Size.SMALL, field_width=5),
                Field.radios("pp_plus_requested", legend_size=Size.SMALL, inline=True),
                Field.text("pp_plus_amount", label_size=Size.SMALL, field_width=10),
                Field("next_meeting_date", context={"legend_size": Size.for_legend(Size.SMALL)}),
                legend="The meeting",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                HTML(
                    '<p class="govuk-body">Copy in what the PEP says, so the QA reviewer sees it '
                    "beside the pro-forma. You can leave these blank.</p>"
                ),
                *[Field.textarea(name, label_size=Size.SMALL, rows=4) for name in SECTION_FIELDS],
                legend="What the PEP says",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
        )

    @staticmethod
    def _initial(pep: Pep) -> dict:
        recorded = pep.meeting_date is not None and pep.meeting_date <= timezone.localdate()
        initial = {
            "meeting_date": pep.meeting_date,
            "next_meeting_date": pep.next_meeting_date,
            "attendees": [key for key, (_label, field) in ATTENDEES.items() if getattr(pep, field)],
            "attendance_percent": pep.attendance_percent,
            "pp_plus_amount": pep.pp_plus_amount,
            **{name: getattr(pep, name) for name in SECTION_FIELDS},
        }
        # A "no" is only an answer once a meeting that was held is recorded: a PEP just
        # opened (or with its meeting booked) has its booleans false by default, and nobody
        # has said no yet.
        for name in ("sw_section_updated", "pp_plus_requested"):
            if getattr(pep, name) or recorded:
                initial[name] = _yes_no(getattr(pep, name))
        return initial

    def clean_meeting_date(self):
        # A draft may hold the date the meeting is booked for; one to submit, a held meeting.
        meeting = self.cleaned_data.get("meeting_date")
        if self.completing and meeting and meeting > timezone.localdate():
            raise ValidationError("The date of the PEP meeting must be today or in the past")
        return meeting

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("pp_plus_requested") != "yes" and cleaned.get("pp_plus_amount") is not None:
            if cleaned.get("pp_plus_requested") == "no":
                self.add_error("pp_plus_amount", "Remove the amount, or select yes if PP+ was requested")
            else:
                self.add_error("pp_plus_requested", "Select yes if PP+ was requested")
        for name, message in meeting_errors(
            meeting_date=cleaned.get("meeting_date"),
            next_meeting_date=cleaned.get("next_meeting_date"),
            attendance_percent=cleaned.get("attendance_percent"),
            pp_plus_amount=cleaned.get("pp_plus_amount"),
        ).items():
            if name not in self.errors:
                self.add_error(name, message)
        if self.completing:
            self._require_answers(cleaned)
        return cleaned

    def _require_answers(self, cleaned) -> None:
        required = {
            "meeting_date": "Enter the date of the PEP meeting",
            "sw_section_updated": "Select yes if the social worker has updated their section of the PEP",
            "pp_plus_requested": "Select yes if PP+ was requested",
        }
        if cleaned.get("pp_plus_requested") == "yes":
            required["pp_plus_amount"] = "Enter the amount of PP+ requested"
        for name, message in required.items():
            if name not in self.errors and cleaned.get(name) in (None, ""):
                self.add_error(name, message)

    def pep_fields(self) -> dict:
        """The cleaned answers as peps.services.record_pep_meeting takes them."""
        cleaned = self.cleaned_data
        attendees = set(cleaned["attendees"])
        return {
            "meeting_date": cleaned["meeting_date"],
            "next_meeting_date": cleaned["next_meeting_date"],
            **{field: key in attendees for key, (_label, field) in ATTENDEES.items()},
            "sw_section_updated": cleaned["sw_section_updated"] == "yes",
            "attendance_percent": cleaned["attendance_percent"],
            "pp_plus_requested": cleaned["pp_plus_requested"] == "yes",
            "pp_plus_amount": cleaned["pp_plus_amount"],
            **{name: cleaned[name] for name in SECTION_FIELDS},
        }

    def add_service_error(self, error: ValidationError) -> None:
        """A refusal of the service: by field where it names one of ours, else for the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


class SubmitPepForm(forms.Form):
    """The confirmation at the end of "Check your answers": submit the PEP for QA."""

    note = forms.CharField(
        label="Anything the QA reviewer should know (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"max_length": "The note must be 2,000 characters or fewer"},
    )

    def __init__(self, *args, pep: Pep, **kwargs):
        self.pep = pep
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field.textarea("note", rows=3))

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        for message in missing_answers(self.pep):
            self.add_error(None, message)
        return cleaned


def missing_answers(pep: Pep) -> list[str]:
    """What must be recorded before the PEP can be submitted for QA from its page."""
    missing = []
    if pep.meeting_date is None:
        missing.append("Enter the date of the PEP meeting before submitting the PEP for QA")
    elif pep.meeting_date > timezone.localdate():
        missing.append(
            f"The PEP meeting is booked for {pep.meeting_date.day} {pep.meeting_date:%B %Y}: "
            "record it once it has been held"
        )
    if pep.pp_plus_requested and pep.pp_plus_amount is None:
        missing.append("Enter the amount of PP+ requested before submitting the PEP for QA")
    return missing


class FinaliseWithoutQaForm(forms.Form):
    """The confirmation before a PEP outside the QA sample is finalised without a review:
    the button on the PEP page or the worklist asks first, this posts ``confirmed``."""

    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
