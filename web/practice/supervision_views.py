"""The one-to-one supervision pages: the list, recording one, its page, editing it, and
an officer's own page of their supervisions, actions and training.

Who sees what is the access policy's: a manager their line reports' supervisions (and
those they held), the VSH all, an officer their own; lead practitioners and
administrators none. Every id typed goes through a scope, so "not yours" is a 404."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from access.policy import require, supervisees, visible_reviews, visible_supervisions
from accounts.models import User
from audit.trail import record_view
from core.parsing import parse_int
from peps.models import Term
from practice.models import ActionStatus, PracticeAction, Supervision, TrainingStatus
from practice.selectors import (
    actions_of,
    as_qa_template,
    carried_forward,
    followed_up_at,
    is_due_soon,
    supervisions_of,
    training_of,
)
from practice.supervision import SupervisionChangedElsewhere, mark_training, record_supervision, update_supervision
from web.widgets import Select

from .supervision_forms import SupervisionForm, offered_reviews

PER_PAGE = 25
SORTS = {
    "date": ("date", "pk"),
    "-date": ("-date", "-pk"),
    "officer": ("officer__first_name", "officer__last_name", "-date"),
    "-officer": ("-officer__first_name", "-officer__last_name", "-date"),
    "manager": ("manager__first_name", "manager__last_name", "-date"),
    "-manager": ("-manager__first_name", "-manager__last_name", "-date"),
}


class SupervisionFilterForm(forms.Form):
    officer = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Everyone",
        widget=Select(attrs={"class": "govuk-select"}),
    )
    term = forms.ModelChoiceField(
        queryset=Term.objects.all(),
        required=False,
        empty_label="Any date",
        label="Held in the term",
        widget=Select(attrs={"class": "govuk-select"}),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = people  # type: ignore[attr-defined]
        self.fields["officer"].label = "Person supervised"


def supervisions(request):
    require(request.user, "hvs.view_supervisions")
    if not request.user.has_perm("hvs.hold_supervisions"):
        # An officer's supervisions are their own: on their page, with their actions.
        return redirect("practice:my_development")
    scope = visible_supervisions(request.user)
    people = User.objects.filter(pk__in=scope.values("officer")).order_by("first_name", "last_name")
    form = SupervisionFilterForm(request.GET or None, people=people)
    if form.is_bound and form.is_valid():
        if officer := form.cleaned_data["officer"]:
            scope = scope.filter(officer=officer)
        if term := form.cleaned_data["term"]:
            scope = scope.filter(date__gte=term.start_date, date__lte=term.end_date)
    sort = request.GET.get("sort", "-date")
    sort = sort if sort in SORTS else "-date"
    rows = (
        scope.select_related("officer", "manager")
        .annotate(
            review_count=Count("reviews", distinct=True),
            open_count=Count("actions", filter=Q(actions__status=ActionStatus.OPEN), distinct=True),
            action_count=Count("actions", distinct=True),
        )
        .order_by(*SORTS[sort])
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("sort", None)
    query.pop("page", None)
    return render(
        request,
        "practice/supervision_list.html",
        {
            "page": page,
            "form": form,
            "sort": sort,
            "query": query.urlencode(),
            "may_record": request.user.has_perm("hvs.hold_supervisions"),
        },
    )


def _officer_from(request) -> User | None:
    """The officer named by ?officer=, through the scope of people the user supervises."""
    asked = request.GET.get("officer", "")
    if not asked:
        return None
    return get_object_or_404(supervisees(request.user), pk=parse_int(asked) or 0)


def supervision_new(request):
    require(request.user, "hvs.hold_supervisions")
    officer = _officer_from(request)
    if officer is None:
        people = supervisees(request.user).order_by("first_name", "last_name")
        return render(request, "practice/supervision_choose.html", {"people": people})
    require(request.user, "hvs.supervise", officer)
    initial: dict = {"date": timezone.localdate()}
    # ?review= once or more: the review the page was opened from, or the reviews "who needs
    # supervision" lists; each through the scopes, so one not the viewer's is a 404.
    if asked := request.GET.getlist("review"):
        review_ids = {parse_int(value) or 0 for value in asked}
        found = set(offered_reviews(officer, request.user, also=list(review_ids)).values_list("pk", flat=True))
        if not review_ids <= found:
            raise Http404("No such review")
        initial["reviews"] = sorted(review_ids)
    carried = _may_follow_up(request.user, carried_forward(officer))
    form = SupervisionForm(
        request.POST or None, officer=officer, recorder=request.user, carried=carried, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        saved = record_supervision(
            officer=officer,
            by=request.user,
            date=form.cleaned_data["date"],
            notes=form.cleaned_data["notes"],
            reviews=form.cleaned_data["reviews"],
            actions=form.actions,
            training=form.training,
            follow_ups=form.follow_ups,
            form_token=form.token,
        )
        if saved.created:
            messages.success(request, f"Supervision of {officer} recorded")
        else:
            messages.info(request, "This supervision was already recorded")
        _say_already_recorded(request, saved.already_recorded)
        return redirect("practice:supervision_detail", pk=saved.supervision.pk)
    return _form_page(request, form, officer, None)


def supervision_edit(request, pk):
    require(request.user, "hvs.view_supervisions")
    supervision = get_object_or_404(visible_supervisions(request.user).select_related("officer", "manager"), pk=pk)
    require(request.user, "hvs.edit_supervision", supervision)
    carried = _may_follow_up(request.user, carried_forward(supervision.officer, into=supervision))
    form = SupervisionForm(
        request.POST or None,
        officer=supervision.officer,
        recorder=request.user,
        carried=carried,
        supervision=supervision,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = update_supervision(
                supervision,
                by=request.user,
                version=form.opened_version,
                date=form.cleaned_data["date"],
                notes=form.cleaned_data["notes"],
                reviews=form.reviews_discussed,
                actions=form.actions,
                training=form.training,
                follow_ups=form.follow_ups,
            )
        except SupervisionChangedElsewhere as error:
            form.add_error(None, str(error))
            form.rebase(error.current_version)
        else:
            messages.success(request, "Supervision saved")
            _say_already_recorded(request, saved.already_recorded)
            return redirect("practice:supervision_detail", pk=supervision.pk)
    return _form_page(request, form, supervision.officer, supervision)


def _may_follow_up(user, actions) -> list[PracticeAction]:
    """The actions carried forward that ``user`` may record the outcome of: not, for a
    former manager correcting their supervision, those of another manager's supervision."""
    return [action for action in actions if user.has_perm("hvs.follow_up_action", action)]


def _say_already_recorded(request, actions) -> None:
    for action in actions:
        messages.info(request, f"The outcome of “{action.description[:80]}” was already recorded")


def _form_page(request, form: SupervisionForm, officer: User, supervision: Supervision | None):
    chosen = form.chosen_review_ids
    return render(
        request,
        "practice/supervision_form.html",
        {
            "form": form,
            "officer": officer,
            "supervision": supervision,
            "review_options": [(review, review.pk in chosen) for review in form.review_options],
            "agreed": list(supervision.actions.select_related("owner", "area")) if supervision else [],
            "followed": list(followed_up_at(supervision)) if supervision else [],
        },
    )


def supervision_detail(request, pk):
    require(request.user, "hvs.view_supervisions")
    supervision = get_object_or_404(
        visible_supervisions(request.user).select_related("officer", "manager", "recorded_by"), pk=pk
    )
    may_edit = request.user.has_perm("hvs.edit_supervision", supervision)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied
        offer = get_object_or_404(supervision.training.all(), pk=parse_int(request.POST.get("training", "")) or 0)
        status = request.POST.get("status", "")
        if status in (TrainingStatus.DONE, TrainingStatus.NOT_DONE):
            _offer, changed = mark_training(offer, by=request.user, status=status)
            label = TrainingStatus(status).label.lower()
            messages.success(request, f"Training marked as {label}" if changed else f"Training was already {label}")
        else:
            messages.error(request, "Choose whether the training was done or not done")
        return redirect("practice:supervision_detail", pk=supervision.pk)
    reviews = list(
        as_qa_template(supervision.reviews.filter(pk__in=visible_reviews(request.user).values("pk"))).order_by(
            "-submitted_at", "-pk"
        )
    )
    # A supervision discussing reviews shows children's QA: each child's trail says so.
    for review in reviews:
        record_view(request, review, "supervision")
    return render(
        request,
        "practice/supervision_detail.html",
        {
            "supervision": supervision,
            "reviews": reviews,
            "actions": list(supervision.actions.select_related("owner", "area", "followed_up_at")),
            "followed": list(followed_up_at(supervision)),
            "training": list(supervision.training.all()),
            "may_edit": may_edit,
            "today": timezone.localdate(),
        },
    )


def my_development(request):
    # An officer's own page (a manager's own supervisions, held by the VSH, are on the list).
    require(request.user, "hvs.view_my_development")
    today = timezone.localdate()
    actions = list(actions_of(request.user))
    return render(
        request,
        "practice/my_development.html",
        {
            "supervisions": list(supervisions_of(request.user).annotate(action_count=Count("actions", distinct=True))),
            "actions": actions,
            "due_soon": [action for action in actions if is_due_soon(action, today)],
            "training": list(training_of(request.user)),
            "today": today,
        },
    )
