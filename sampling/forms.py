"""Forms of the sampling pages: the term picker, settling a moderation disagreement and
recording a peer-review meeting. Rendered with crispy-forms-gds."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Role, User
from hvs_qa.parsing import parse_int
from peps.models import Pep, Term
from reviews.rules import Rating

from .models import PeerReviewFocus, PeerReviewMeeting, PeerReviewPep


class TermPickerForm(forms.Form):
    """A GET form: which term a page shows."""

    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None, label="Term")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        # A GET form: a CSRF token would only end up in the address bar.
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.select("term"), Button.secondary("show", "Show term"))


class SettleForm(forms.Form):
    """The judgement the first reviewer and the moderator agreed after discussing it."""

    agreed_judgement = forms.ChoiceField(
        label="Agreed judgement", choices=Rating.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the judgement you agreed"},
    )
    notes = forms.CharField(
        label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="How you reached the agreement, and anything to share with the team.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("agreed_judgement", legend_size=Size.SMALL, inline=True, small=True),
            Field.textarea("notes", rows=2),
            Button.secondary("settle", "Record the agreed judgement"),
        )

    @staticmethod
    def prefix_for(entry) -> str:
        return f"settle-{entry.pk}"


def _staff():
    return User.objects.filter(is_active=True).exclude(role=Role.ADMINISTRATOR).order_by("first_name", "last_name")


class GovDateField(DateInputField):
    """A GOV.UK date input that says what is wrong with a date that is none (32 1 2026,
    29 2 2025, a year of 99999, a day of 9999999999) rather than failing on it."""

    def compress(self, data_list):
        if not all(data_list):
            return None
        # Each part is digits by now (the parts' own validators), but maybe thousands of them.
        day, month, year = (parse_int(part, low=1, high=9999) for part in data_list)
        if year is None or year < 1000:
            raise ValidationError("Year must include 4 numbers", code="year")
        if day is None or month is None or day > 31 or month > 12:
            raise ValidationError(f"{self.label} must be a real date", code="invalid_date")
        try:
            return date(year, month, day)
        except ValueError as error:  # 31 April, 29 February of a common year
            raise ValidationError(f"{self.label} must be a real date", code="invalid_date") from error


class StaffChoiceField(forms.ModelMultipleChoiceField):
    """People ticked by id. An id beyond any database integer is refused here: Django looks
    the ids up with __in, which SQLite's driver fails on (OverflowError) for such a number."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            if parse_int(str(pk)) is None:
                raise ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                      params={"pk": pk})
        return super().clean(value)


class PeerReviewForm(forms.ModelForm):
    date = GovDateField(label="Date of the meeting", help_text="For example, 27 3 2026")
    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None)
    focus = forms.ChoiceField(
        label="Focus of the meeting", choices=PeerReviewFocus.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose the focus of the meeting"},
    )
    attendees = StaffChoiceField(
        queryset=_staff(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who attended"},
    )

    class Meta:
        model = PeerReviewMeeting
        fields = ["date", "term", "focus", "focus_notes", "attendees"]
        labels = {"focus_notes": "Notes on the focus"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = _staff()
        self.fields["attendees"].label_from_instance = (
            lambda user: f"{user} ({user.get_role_display()})"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("date"),
            Field.select("term"),
            Field.radios("focus", legend_size=Size.SMALL),
            Field.textarea("focus_notes", rows=3),
            Field.checkboxes("attendees", legend_size=Size.SMALL, small=True),
            Button.primary("save", "Record the meeting"),
        )


class PeerReviewPepForm(forms.ModelForm):
    """A PEP a member brought to the meeting, found by its child's LA reference among
    the member's PEPs of the meeting's term."""

    la_reference = forms.CharField(
        label="LA reference of the child", max_length=20,
        help_text="The PEP of the meeting's term, held by the member. For example, HVS-012345.",
        error_messages={"required": "Enter the child's LA reference"},
    )

    class Meta:
        model = PeerReviewPep
        fields = ["member", "la_reference", "findings"]
        labels = {"member": "Member who brought the PEP", "findings": "What the meeting found"}

    def __init__(self, *args, meeting: PeerReviewMeeting, **kwargs):
        self.meeting = meeting
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = meeting.attendees.order_by("first_name", "last_name")
        self.fields["member"].empty_label = None
        self.fields["findings"].widget = forms.Textarea(attrs={"rows": 3})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.select("member"),
            Field.text("la_reference", field_width=10),
            Field.textarea("findings", rows=3),
            Button.secondary("add", "Add the PEP"),
        )

    def clean(self):
        cleaned = super().clean()
        member, reference = cleaned.get("member"), (cleaned.get("la_reference") or "").strip()
        if member and reference:
            pep = (
                Pep.objects.filter(term=self.meeting.term, child__la_reference__iexact=reference)
                .filter(Q(officer=member) | Q(child__allocated_officer=member))
                .first()
            )
            if pep is None:
                self.add_error("la_reference", f"{member} has no PEP for {reference} in {self.meeting.term}")
            elif self.meeting.peps.filter(pep=pep).exists():
                self.add_error("la_reference", "This PEP is already recorded for this meeting")
            else:
                self.instance.pep = pep
        self.instance.meeting = self.meeting
        return cleaned


class PeerReviewNotesForm(forms.ModelForm):
    class Meta:
        model = PeerReviewMeeting
        fields = ["findings", "actions"]
        labels = {"findings": "Findings of the meeting", "actions": "Actions agreed"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("findings", rows=4),
            Field.textarea("actions", rows=4),
            Button.secondary("save_notes", "Save findings and actions"),
        )
