"""Forms of the peer-review pages. Rendered with crispy-forms-gds.

Who may be recorded as attending, and which PEPs a member may bring, come from the access
policy: a manager meets with their own team, and picks PEPs from a list (never by typing
a reference, which would tell which references exist)."""

from collections.abc import Sequence
from datetime import timedelta
from typing import cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.db.models import F, QuerySet, Value

from access.policy import meeting_peps, peer_review_colleagues, visible_peps
from accounts.models import User
from peps.models import Pep, Term
from practice.models import ActionStatus, PeerReviewFocus, PeerReviewMeeting, PeerReviewPep, PracticeAction
from practice.services import PEPS_EACH
from reviews.models import ProFormaArea
from web.forms import GovukDateField, PeopleChoiceField
from web.widgets import Select


class ColleaguesField(PeopleChoiceField):
    """Who attended a meeting: each colleague shown with their role."""

    def label_from_instance(self, obj: User) -> str:
        return f"{obj} ({obj.get_role_display()})"


class PeerReviewForm(forms.ModelForm):
    date = GovukDateField(
        what="the date of the meeting", label="Date of the meeting", help_text="For example, 27 3 2026"
    )
    term = forms.ModelChoiceField(queryset=Term.objects.all(), empty_label=None, widget=Select)
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


# --- the PEPs each member brings ----------------------------------------------------

# How far back a member's PEPs are offered: the meeting's term and the year before it.
PICK_FROM = timedelta(days=366)


def eligible_peps(meeting: PeerReviewMeeting, members: Sequence[User], recorder: User) -> dict[int, list[Pep]]:
    """Per member, the PEPs they may bring (access.policy.meeting_peps) that the recorder
    may see, of the meeting's term and the year before it, most recent first. Two
    queries for all the members together (plus the policy's own look-up of a manager's
    team), whatever their number or caseloads."""
    if not members:
        return {}
    window = {
        "term__start_date__lte": meeting.term.start_date,
        "term__start_date__gt": meeting.term.start_date - PICK_FROM,
    }
    pairs: QuerySet | None = None
    for member in members:
        member_peps = (
            meeting_peps(member).filter(**window).annotate(member_pk=Value(member.pk)).values_list("member_pk", "pk")
        ).order_by()
        pairs = member_peps if pairs is None else pairs.union(member_peps, all=True)
    by_pep: dict[int, list[int]] = {}
    for member_pk, pep_pk in pairs or ():
        by_pep.setdefault(pep_pk, []).append(member_pk)
    peps = (
        Pep.objects.filter(pk__in=list(by_pep), **window)
        .filter(pk__in=visible_peps(recorder).values("pk"))
        .select_related("child", "term")
        .order_by("-term__start_date", F("meeting_date").desc(nulls_last=True), "-pk")
    )
    result: dict[int, list[Pep]] = {member.pk: [] for member in members}
    for pep in peps:
        for member_pk in by_pep[pep.pk]:
            result[member_pk].append(pep)
    return result


def pep_label(pep: Pep) -> str:
    """A PEP as a pick: its child's LA reference, term, phase and status (no name)."""
    return f"{pep.child.la_reference}, {pep.term}, {pep.get_phase_display()}, {pep.get_status_display()}"


class PeerReviewPepForm(forms.Form):
    """A PEP one member brought to the meeting, picked from their own caseload (their
    team's, for a manager): never by typing a reference. At most two a member."""

    member = forms.CharField(widget=forms.HiddenInput, required=False)
    brought = forms.ChoiceField(
        label="PEP brought to the meeting",
        widget=Select,
        error_messages={
            "required": "Choose the PEP the member brought",
            "invalid_choice": "Choose a PEP from the list",
        },
    )
    findings = forms.CharField(label="What the meeting found", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self,
        *args,
        meeting: PeerReviewMeeting,
        member: User,
        peps: Sequence[Pep],
        recorded: Sequence[int],
        taken: set[int],
        **kwargs,
    ):
        """``peps``: the member's eligible PEPs (``eligible_peps``); ``recorded``: the PEPs
        of the meeting already recorded as theirs; ``taken``: every PEP recorded at the
        meeting, offered to nobody again."""
        kwargs.setdefault("prefix", "pep")
        kwargs.setdefault("auto_id", f"id_pep{member.pk}_%s")
        kwargs.setdefault("initial", {"member": member.pk})
        super().__init__(*args, **kwargs)
        self.meeting, self.attendee = meeting, member
        self.recorded = {str(pk) for pk in recorded}
        self.count = len(recorded)
        self.peps = {str(pep.pk): pep for pep in peps if pep.pk not in taken}
        brought = cast(forms.ChoiceField, self.fields["brought"])
        brought.label = f"PEP {member} brought"
        brought.help_text = f"{member}'s PEPs, most recent first. Each member brings {PEPS_EACH}."
        brought.choices = [("", "Choose a PEP"), *((pk, pep_label(pep)) for pk, pep in self.peps.items())]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("member"),
            Field.select("brought"),
            Field.textarea("findings", rows=3),
            Button.secondary(f"add_pep_{member.pk}", f"Add the PEP {member} brought"),
        )

    @property
    def is_full(self) -> bool:
        return self.count >= PEPS_EACH

    @property
    def has_choices(self) -> bool:
        return bool(self.peps)

    @property
    def already_recorded(self) -> bool:
        """A second click (or a stale tab) that sends a PEP recorded already."""
        return self.data.get(self.add_prefix("brought"), "") in self.recorded

    def clean(self):
        cleaned = super().clean()
        if self.is_full:
            raise forms.ValidationError(
                f"{self.attendee} has brought {PEPS_EACH} PEPs already: each member brings {PEPS_EACH}"
            )
        return cleaned

    @property
    def pep(self) -> Pep:
        return self.peps[self.cleaned_data["brought"]]


def member_pick_forms(
    meeting: PeerReviewMeeting,
    attendees: Sequence[User],
    brought: Sequence[PeerReviewPep],
    recorder: User,
    data=None,
    posted_for: int | None = None,
) -> dict[int, PeerReviewPepForm]:
    """One pick form per attendee, by their id; ``data`` bound to ``posted_for``'s only."""
    eligible = eligible_peps(meeting, attendees, recorder)
    taken = {item.pep_id for item in brought}
    return {
        member.pk: PeerReviewPepForm(
            data if member.pk == posted_for else None,
            meeting=meeting,
            member=member,
            peps=eligible[member.pk],
            recorded=[item.pep_id for item in brought if item.member_id == member.pk],
            taken=taken,
        )
        for member in attendees
    }


class PeerReviewNotesForm(forms.ModelForm):
    class Meta:
        model = PeerReviewMeeting
        fields = ["findings"]
        labels = {"findings": "Findings of the meeting"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("findings", rows=4),
            Button.secondary("save_notes", "Save the findings"),
        )


# --- the actions agreed at the meeting -----------------------------------------------


def action_areas() -> list[ProFormaArea]:
    """The pro-forma areas an action may be about (its theme): those of the pro-formas in
    use, one for each title."""
    by_title: dict[str, ProFormaArea] = {}
    for area in ProFormaArea.objects.filter(pro_forma__is_active=True).order_by("position", "pro_forma__phase", "pk"):
        by_title.setdefault(area.title, area)
    return list(by_title.values())


class MeetingActionForm(forms.Form):
    """An action agreed at the meeting: what, who (an attendee), by when; optionally the
    area of the pro-forma it is about and the PEP brought that it comes from. Choices are
    matched against the lists shown, never looked up by what was typed."""

    description = forms.CharField(
        label="What", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "Enter what is to be done"}
    )
    owner = forms.ChoiceField(
        label="Who",
        widget=Select,
        error_messages={"required": "Choose who will do it", "invalid_choice": "Choose who will do it from the list"},
    )
    due = GovukDateField(what="the due date", label="Due date", help_text="For example, 27 3 2026")
    area = forms.ChoiceField(
        label="Area of the pro-forma (optional)",
        widget=Select,
        required=False,
        error_messages={"invalid_choice": "Choose an area from the list"},
    )
    pep = forms.ChoiceField(
        label="The PEP it comes from (optional)",
        widget=Select,
        required=False,
        error_messages={"invalid_choice": "Choose a PEP from the list"},
    )

    def __init__(
        self,
        *args,
        attendees: Sequence[User],
        areas: Sequence[ProFormaArea],
        brought: Sequence[PeerReviewPep],
        visible_pep_ids: set[int],
        **kwargs,
    ):
        kwargs.setdefault("prefix", "action")
        super().__init__(*args, **kwargs)
        self.people = {str(user.pk): user for user in attendees}
        self.areas = {str(area.pk): area for area in areas}
        # Only the PEPs the user may see are named (by LA reference).
        self.peps = {str(item.pep_id): item.pep for item in brought if item.pep_id in visible_pep_ids}
        fields = self.fields
        cast(forms.ChoiceField, fields["owner"]).choices = [
            ("", "Choose who"),
            *((pk, str(user)) for pk, user in self.people.items()),
        ]
        cast(forms.ChoiceField, fields["area"]).choices = [
            ("", "General (no one area)"),
            *((pk, str(area)) for pk, area in self.areas.items()),
        ]
        cast(forms.ChoiceField, fields["pep"]).choices = [
            ("", "None"),
            *((pk, pep_label(pep)) for pk, pep in self.peps.items()),
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("description", rows=3),
            Field.select("owner"),
            Field("due"),
            Field.select("area"),
            Field.select("pep"),
            Button.secondary("add_action", "Add the action"),
        )

    @property
    def chosen_owner(self) -> User:
        return self.people[self.cleaned_data["owner"]]

    @property
    def chosen_area(self) -> ProFormaArea | None:
        return self.areas.get(self.cleaned_data.get("area") or "")

    @property
    def chosen_pep(self) -> Pep | None:
        return self.peps.get(self.cleaned_data.get("pep") or "")


class ActionOutcomeForm(forms.Form):
    """What came of an action: done or not done, and how."""

    action = forms.CharField(widget=forms.HiddenInput, required=False)
    status = forms.ChoiceField(
        label="Was it done?",
        choices=[(ActionStatus.DONE, "Done"), (ActionStatus.NOT_DONE, "Not done")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether it was done", "invalid_choice": "Choose whether it was done"},
    )
    outcome = forms.CharField(
        label="Outcome",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Enter what came of the action"},
    )

    def __init__(self, *args, action: PracticeAction, **kwargs):
        kwargs.setdefault("prefix", "outcome")
        kwargs.setdefault("auto_id", f"id_outcome{action.pk}_%s")
        kwargs.setdefault("initial", {"action": action.pk})
        super().__init__(*args, **kwargs)
        self.practice_action = action
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field("action"),
            Field.radios("status", legend_size=Size.SMALL, inline=True),
            Field.textarea("outcome", rows=2),
            Button.secondary(f"record_outcome_{action.pk}", "Record the outcome"),
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
