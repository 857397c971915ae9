"""The one-to-one supervision form: the meeting, the reviews discussed, the outcome of each
action carried forward, and new actions and training, all on one page, so one error
summary lists every problem and nothing typed is lost.

Every choice comes from a scope: the reviews are the officer's recent reviews that the
recorder may see; "Who" is the officer or the recorder; an area is one of the pro-forma
areas of the reviews offered (or of the current pro-formas)."""

import uuid
from typing import cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict

from access.policy import visible_reviews
from accounts.models import User
from core.parsing import parse_int
from practice.models import ActionStatus, PracticeAction, Supervision, TrainingKind
from practice.selectors import as_qa_template, recent_reviews_of
from practice.supervision import ActionInput, FollowUpInput, TrainingInput
from reviews.models import ProFormaArea, QaReview, ReviewStatus
from web.forms import GovukDateField, PeopleChoiceField
from web.widgets import Select

ACTION_ROWS = 3
TRAINING_ROWS = 2
ACTION_FIELDS = ("description", "owner", "due", "review", "area")
TRAINING_FIELDS = ("kind", "with_whom", "date")


class ReviewChoiceField(PeopleChoiceField):
    """Reviews ticked by id (an id beyond any database integer refused, as for people)."""

    def label_from_instance(self, obj: QaReview) -> str:
        return f"{obj.pep.child.full_name} ({obj.pep.child.la_reference}), {obj.pep.term}"


class PickField(forms.ChoiceField):
    """One of a list of objects read once for the whole form (each action row offers the
    same people, reviews and areas): cleans to the object, or None for the empty choice."""

    widget = Select  # rows of selects of every person, review and area: written in Python

    def __init__(self, *, objects, label_of, empty_label: str | None, **kwargs):
        self.objects = {str(obj.pk): obj for obj in objects}
        choices = [(key, label_of(obj)) for key, obj in self.objects.items()]
        super().__init__(choices=[("", empty_label), *choices] if empty_label else choices, **kwargs)

    def clean(self, value):
        key = super().clean(value)
        return self.objects.get(key) if key else None


def _review_label(review: QaReview) -> str:
    judgement = review.get_overall_judgement_display() or "no judgement"
    return f"{review.pep.child.la_reference}, {review.pep.term} ({judgement})"


def _area_label(area: ProFormaArea) -> str:
    return f"{area.title} ({area.pro_forma.get_phase_display()})"


def offered_reviews(officer: User, viewer: User, also=()) -> QuerySet[QaReview]:
    """The reviews a supervision of ``officer`` may discuss, as ``viewer`` may see them: the
    officer's recent reviews, and ``also`` (ids: the reviews a supervision discussed, or the
    one it was opened from) if they are submitted reviews of the officer's PEPs."""
    recent = recent_reviews_of(officer).filter(pk__in=visible_reviews(viewer).values("pk"))
    if not also:
        return recent
    extra = visible_reviews(viewer).filter(pk__in=also, status=ReviewStatus.SUBMITTED, pep__officer=officer)
    return as_qa_template(
        QaReview.objects.filter(Q(pk__in=recent.values("pk")) | Q(pk__in=extra.values("pk")))
    ).order_by("-submitted_at", "-pk")


class SupervisionForm(forms.Form):
    date = GovukDateField(
        what="the date of the supervision", label="Date of the supervision", help_text="For example, 27 3 2026"
    )
    reviews = ReviewChoiceField(
        label="QA reviews discussed",
        queryset=QaReview.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose the reviews discussed from the list",
            "invalid_pk_value": "Choose the reviews discussed from the list",
        },
    )
    notes = forms.CharField(label="Notes of the discussion", required=False, widget=forms.Textarea(attrs={"rows": 5}))
    # A new supervision's token (a double submit records it once); an edit's version.
    # (Text, checked in clean: a hidden field's own error would show nowhere.)
    form_token = forms.CharField(required=False, widget=forms.HiddenInput)
    version = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        officer: User,
        recorder: User,
        carried: list[PracticeAction],
        supervision: Supervision | None = None,
        **kwargs,
    ):
        self.officer, self.recorder, self.supervision = officer, recorder, supervision
        self.carried = carried
        initial = kwargs.setdefault("initial", {})
        discussed: list[QaReview] = []
        if supervision is None:
            initial.setdefault("form_token", uuid.uuid4())
        else:
            discussed = list(supervision.reviews.all())
            initial.setdefault("version", supervision.version)
            initial.setdefault("date", supervision.date)
            initial.setdefault("notes", supervision.notes)
            initial.setdefault("reviews", [r.pk for r in discussed])
        super().__init__(*args, **kwargs)
        # What was discussed (or the review the page was opened from) stays offered, however old.
        also = list(initial.get("reviews", []))
        self.review_options = list(offered_reviews(officer, recorder, also=also))
        # The reviews discussed that the editor may not see now (the officer has moved to
        # another team, or the editor re-rates the PEP blind): neither shown nor dropped.
        offered = {r.pk for r in self.review_options}
        self.kept_reviews = [r for r in discussed if r.pk not in offered]
        cast(ReviewChoiceField, self.fields["reviews"]).queryset = QaReview.objects.filter(
            pk__in=[r.pk for r in self.review_options]
        )
        self._add_follow_ups()
        self._add_rows()
        self.helper = FormHelper()
        self.helper.form_tag = False

    # --- the fields of each row ------------------------------------------------------

    def _add_follow_ups(self) -> None:
        for action in self.carried:
            self.fields[f"followup_{action.pk}_status"] = forms.ChoiceField(
                label=action.description,
                required=False,
                widget=forms.RadioSelect,
                choices=[
                    ("", "Not discussed: keep it open"),
                    (ActionStatus.DONE, "Done"),
                    (ActionStatus.NOT_DONE, "Not done"),
                ],
                help_text=f"Due {action.due:%-d %B %Y}, agreed on {action.supervision.date:%-d %B %Y}"
                if action.supervision
                else "",
            )
            self.fields[f"followup_{action.pk}_outcome"] = forms.CharField(
                label="What came of it", required=False, widget=forms.Textarea(attrs={"rows": 2})
            )

    def _add_rows(self) -> None:
        owners = sorted({self.officer, self.recorder}, key=lambda u: (u.first_name, u.last_name, u.pk))
        pro_formas = {r.pro_forma_id for r in self.review_options}
        areas = list(
            ProFormaArea.objects.filter(Q(pro_forma__in=pro_formas) | Q(pro_forma__is_active=True))
            .select_related("pro_forma")
            .order_by("pro_forma__phase", "-pro_forma__version", "position")
        )
        for row in range(1, ACTION_ROWS + 1):
            name = f"action_{row}_"
            self.fields[name + "description"] = forms.CharField(
                label="What", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
            )
            self.fields[name + "owner"] = PickField(
                label="Who",
                objects=owners,
                label_of=str,
                required=False,
                initial=self.officer.pk,
                empty_label=None,
                error_messages={"invalid_choice": "Choose who will do it from the list"},
            )
            self.fields[name + "due"] = GovukDateField(what="the due date", label="Due date", required=False)
            self.fields[name + "review"] = PickField(
                label="From the review (optional)",
                objects=self.review_options,
                label_of=_review_label,
                required=False,
                empty_label="None",
                error_messages={"invalid_choice": "Choose a review from the list"},
            )
            self.fields[name + "area"] = PickField(
                label="Area of the pro-forma (optional)",
                objects=areas,
                label_of=_area_label,
                required=False,
                empty_label="None",
                error_messages={"invalid_choice": "Choose an area from the list"},
            )
        for row in range(1, TRAINING_ROWS + 1):
            name = f"training_{row}_"
            self.fields[name + "kind"] = forms.ChoiceField(
                label="Training or shadowing",
                required=False,
                widget=Select,
                choices=[("", "None"), *TrainingKind.choices],
                error_messages={"invalid_choice": "Choose training or shadowing from the list"},
            )
            self.fields[name + "with_whom"] = forms.CharField(label="With whom", required=False, max_length=200)
            self.fields[name + "date"] = GovukDateField(what="the date of the training", label="Date", required=False)

    # --- what the template lays out ---------------------------------------------------

    @staticmethod
    def _helper(*parts) -> FormHelper:
        """One part of the page (the form is one, laid out in several places)."""
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(*parts)
        return helper

    @property
    def date_helper(self) -> FormHelper:
        return self._helper(Field("date"))

    @property
    def notes_helper(self) -> FormHelper:
        return self._helper(Field.textarea("notes", rows=5))

    @property
    def follow_up_helper(self) -> FormHelper:
        return self._helper(
            *(
                part
                for action in self.carried
                for part in (
                    Field.radios(f"followup_{action.pk}_status", legend_size=Size.SMALL, small=True, inline=False),
                    Field.textarea(f"followup_{action.pk}_outcome", rows=2),
                )
            )
        )

    @property
    def actions_helper(self) -> FormHelper:
        return self._helper(
            *(
                Fieldset(
                    Field.textarea(f"action_{row}_description", rows=2),
                    Field.select(f"action_{row}_owner"),
                    Field(f"action_{row}_due"),
                    Field.select(f"action_{row}_review"),
                    Field.select(f"action_{row}_area"),
                    legend=f"Action {row}",
                    legend_size=Size.SMALL,
                )
                for row in range(1, ACTION_ROWS + 1)
            )
        )

    @property
    def training_helper(self) -> FormHelper:
        return self._helper(
            *(
                Fieldset(
                    Field.select(f"training_{row}_kind"),
                    Field.text(f"training_{row}_with_whom"),
                    Field(f"training_{row}_date"),
                    legend=f"Training {row}",
                    legend_size=Size.SMALL,
                )
                for row in range(1, TRAINING_ROWS + 1)
            )
        )

    # --- checks -----------------------------------------------------------------------

    def clean(self):
        cleaned = super().clean() or {}
        self.actions: list[ActionInput] = []
        self.training: list[TrainingInput] = []
        self.follow_ups: list[FollowUpInput] = []
        for row in range(1, ACTION_ROWS + 1):
            self._clean_action(row, cleaned)
        for row in range(1, TRAINING_ROWS + 1):
            self._clean_training(row, cleaned)
        for action in self.carried:
            status = cleaned.get(f"followup_{action.pk}_status")
            outcome = (cleaned.get(f"followup_{action.pk}_outcome") or "").strip()
            if status:
                self.follow_ups.append(FollowUpInput(action=action, status=status, outcome=outcome))
            elif outcome:
                self.add_error(f"followup_{action.pk}_status", "Say whether the action was done or not done")
        if self.supervision is None:
            self.token = _uuid(cleaned.get("form_token") or "")
            if self.token is None:
                self.add_error(None, "The form had expired: check what you typed and save again")
                # A fresh token for the next attempt (the form is shown again with it).
                data = cast(QueryDict, self.data).copy()
                data[self.add_prefix("form_token")] = str(uuid.uuid4())
                self.data = data
        else:
            # Unreadable is as good as stale: the service refuses it and nothing is lost.
            self.opened_version = parse_int(cleaned.get("version") or "", low=0) or 0
        return cleaned

    def _typed(self, name: str) -> bool:
        field = self.fields[name]
        if isinstance(field, GovukDateField):
            return any(str(self.data.get(f"{self.add_prefix(name)}_{n}", "")).strip() for n in range(3))
        return bool(str(self.data.get(self.add_prefix(name), "")).strip())

    def _clean_action(self, row: int, cleaned: dict) -> None:
        name = f"action_{row}_"
        # "Who" has a default, so a row is in use when anything else is typed or chosen.
        if not any(self._typed(name + part) for part in ACTION_FIELDS if part != "owner"):
            return
        description = (cleaned.get(name + "description") or "").strip()
        owner, due = cleaned.get(name + "owner"), cleaned.get(name + "due")
        review, area = cleaned.get(name + "review"), cleaned.get(name + "area")
        if not description and name + "description" not in self.errors:
            self.add_error(name + "description", f"Enter what action {row} is")
        if owner is None and name + "owner" not in self.errors:
            self.add_error(name + "owner", f"Choose who will do action {row}")
        if due is None and name + "due" not in self.errors:
            self.add_error(name + "due", f"Enter the due date of action {row}")
        if review is not None and area is not None and area.pro_forma_id != review.pro_forma_id:
            self.add_error(name + "area", f"Choose an area of the review's pro-forma for action {row}")
        if (
            description
            and owner is not None
            and due is not None
            and not any((name + part) in self.errors for part in ACTION_FIELDS)
        ):
            self.actions.append(ActionInput(description=description, owner=owner, due=due, review=review, area=area))

    def _clean_training(self, row: int, cleaned: dict) -> None:
        name = f"training_{row}_"
        if not any(self._typed(name + part) for part in TRAINING_FIELDS):
            return
        kind, with_whom = cleaned.get(name + "kind"), (cleaned.get(name + "with_whom") or "").strip()
        when = cleaned.get(name + "date")
        if not kind and name + "kind" not in self.errors:
            self.add_error(name + "kind", f"Choose training or shadowing for training {row}")
        if not with_whom and name + "with_whom" not in self.errors:
            self.add_error(name + "with_whom", f"Enter who training {row} is with")
        if when is None and name + "date" not in self.errors:
            self.add_error(name + "date", f"Enter the date of training {row}")
        if kind and with_whom and when is not None:
            self.training.append(TrainingInput(kind=kind, with_whom=with_whom, date=when))

    def rebase(self, version: int) -> None:
        """Show the form again carrying ``version``: saving again is a choice made knowing."""
        data = cast(QueryDict, self.data).copy()
        data[self.add_prefix("version")] = str(version)
        self.data = data

    @property
    def reviews_discussed(self) -> list[QaReview]:
        """What to record as discussed: the reviews ticked, and those kept unseen."""
        return [*self.cleaned_data["reviews"], *self.kept_reviews]

    @property
    def chosen_review_ids(self) -> set[int]:
        """The reviews ticked, as typed (kept when the form is shown again with errors)."""
        if self.is_bound:
            values = self.data.getlist(self.add_prefix("reviews")) if hasattr(self.data, "getlist") else []
            return {pk for v in values if (pk := parse_int(str(v))) is not None}
        return {int(v) for v in self.initial.get("reviews", [])}


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
