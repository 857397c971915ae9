"""Forms of the peer-review pages. Rendered with crispy-forms-gds.

Who may be recorded as attending, and which PEPs a member may bring, come from the access
policy: a manager meets with their own team, and picks PEPs from a list (never by typing
a reference, which would tell which references exist)."""

from typing import cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms

from access.policy import meeting_peps, peer_review_colleagues, visible_peps
from accounts.models import User
from peps.models import Term
from practice.models import PeerReviewFocus, PeerReviewMeeting, PeerReviewPep
from web.forms import GovukDateField, PeopleChoiceField


class ColleaguesField(PeopleChoiceField):
    """Who attended a meeting: each colleague shown with their role."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.get_role_display()})"


class PeerReviewForm(forms.ModelForm):
    date = GovukDateField(
        what="the date of the meeting", label="Date of the meeting", help_text="For example, 27 3 2026"
    )
    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None)
    focus = forms.ChoiceField(
        label="Focus of the meeting",
        choices=PeerReviewFocus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the focus of the meeting"},
    )
    attendees = ColleaguesField(
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who attended", "invalid_choice": "Choose who attended from the list"},
    )

    class Meta:
        model = PeerReviewMeeting
        fields = ["date", "term", "focus", "focus_notes", "attendees"]
        labels = {"focus_notes": "Notes on the focus"}

    def __init__(self, *args, recorder: User, **kwargs):
        super().__init__(*args, **kwargs)
        attendees = cast(ColleaguesField, self.fields["attendees"])
        attendees.queryset = peer_review_colleagues(recorder).order_by("first_name", "last_name")
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
    """A PEP a member brought to the meeting, picked from the PEPs of the meeting's term
    that the member holds and the recorder may see, grouped by member."""

    brought = forms.ChoiceField(
        label="PEP brought to the meeting",
        help_text="The PEPs of the meeting's term held by each member.",
        error_messages={
            "required": "Choose the PEP the member brought",
            "invalid_choice": "Choose a PEP from the list",
        },
    )

    class Meta:
        model = PeerReviewPep
        fields = ["findings"]
        labels = {"findings": "What the meeting found"}

    def __init__(self, *args, meeting: PeerReviewMeeting, recorder: User, **kwargs):
        self.meeting = meeting
        super().__init__(*args, **kwargs)
        already = set(meeting.peps.values_list("pep_id", flat=True))
        # What is recorded already is no choice, but a second click (or a stale tab) that
        # sends it again is told so, not refused as a forgery.
        self.recorded = {
            f"{member_id}:{pep_id}" for member_id, pep_id in meeting.peps.values_list("member_id", "pep_id")
        }
        self.options: dict[str, tuple[User, int]] = {}
        groups = []
        for member in meeting.attendees.order_by("first_name", "last_name"):
            peps = (
                meeting_peps(member)
                .filter(term=meeting.term, pk__in=visible_peps(recorder).values("pk"))
                .exclude(pk__in=already)
                .select_related("child")
                .order_by("child__last_name", "child__first_name", "pk")
            )
            choices = []
            for pep in peps:
                key = f"{member.pk}:{pep.pk}"
                self.options[key] = (member, pep.pk)
                choices.append((key, f"{pep.child.full_name} ({pep.child.la_reference})"))
            if choices:
                groups.append((str(member), choices))
        cast(forms.ChoiceField, self.fields["brought"]).choices = [("", "Choose a PEP"), *groups]
        self.fields["findings"].widget = forms.Textarea(attrs={"rows": 3})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.select("brought"),
            Field.textarea("findings", rows=3),
            Button.secondary("add", "Add the PEP"),
        )

    @property
    def has_choices(self) -> bool:
        return bool(self.options)

    @property
    def already_recorded(self) -> bool:
        return self.data.get(self.add_prefix("brought"), "") in self.recorded

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        picked = self.options.get(cleaned.get("brought") or "")
        if picked:
            self.instance.member, self.instance.pep_id = picked
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


# --- the capability process (confidential: web/practice/capability.py) -----------------

NOTES_MAX = 20000


class CapabilityOpenForm(forms.Form):
    opened_on = GovukDateField(what="the date the process was opened", label="Date opened")
    notes = forms.CharField(
        label="Notes",
        help_text="Seen only by the officer's line manager and the Virtual School Head.",
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": "Enter the notes",
            "max_length": f"The notes must be {NOTES_MAX:,} characters or fewer",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("opened_on"),
            Field.textarea("notes", rows=6),
            Button.primary("open", "Open the capability process"),
        )


class CapabilityNotesForm(forms.Form):
    notes = forms.CharField(
        label="Notes",
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={
            "required": "Enter the notes",
            "max_length": f"The notes must be {NOTES_MAX:,} characters or fewer",
        },
    )
    # The notes' stamp when the page was opened: a stale tab does not overwrite them.
    seen = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("notes", rows=8),
            Field("seen"),
            Button.secondary("save", "Save the notes"),
        )


class CapabilityCloseForm(forms.Form):
    closed_on = GovukDateField(what="the date the process was closed", label="Date closed")

    def __init__(self, *args, opened_on, **kwargs):
        self.opened_on = opened_on
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field("closed_on"), Button.warning("close", "Close the capability process"))

    def clean_closed_on(self):
        closed_on = self.cleaned_data["closed_on"]
        if closed_on is not None and closed_on < self.opened_on:
            raise forms.ValidationError(
                f"The date closed must be on or after the date opened, {self.opened_on.day} {self.opened_on:%B %Y}"
            )
        return closed_on
