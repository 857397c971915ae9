"""Learning from the ratings: which pro-forma areas the line-management reviews rate Amber
or Red, by area, officer, team and term, and whether officers improve after supervision.

Thin: the figures come from reporting.figures.learning_figures; the CSV and Excel
downloads (reporting.exports.learning_rows) write the same tables, and are recorded in
the audit trail like the other exports.
"""

from dataclasses import dataclass

import django_filters
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render

from access.policy import require, sees_whole_school, visible_officers
from accounts.models import User
from audit.trail import record_download
from core.vocabulary import Phase, Role
from peps.models import Pep, Term
from reporting import exports
from reporting.figures import LearningFigures, learning_figures, learning_terms
from web.widgets import govuk_selects

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPANS = [("1", "This term only"), ("3", "This term and the 2 before it"), ("6", "This term and the 5 before it")]
DEFAULT_SPAN = 3


class LearningFilter(django_filters.FilterSet):
    """The learning page's filters (a GET form). Only its form is used: the figures are
    not a list of PEPs but come from reporting.figures, given what was chosen."""

    term = django_filters.ModelChoiceFilter(queryset=Term.objects.all(), empty_label=None, label="Up to the term")
    span = django_filters.ChoiceFilter(choices=SPANS, empty_label=None, label="Terms", method="ignore")
    phase = django_filters.ChoiceFilter(choices=Phase.choices, empty_label="All phases")
    team = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(role=Role.MANAGER), empty_label="All teams", label="Team", method="ignore"
    )
    officer = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(role=Role.OFFICER), empty_label="All officers"
    )

    class Meta:
        model = Pep
        fields = ["term", "span", "phase", "team", "officer"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the teams and officers whose work the user may see: a manager their own.
        self.filters["officer"].queryset = visible_officers(user).order_by("first_name", "last_name")
        managers = User.objects.filter(role=Role.MANAGER).order_by("first_name", "last_name")
        self.filters["team"].queryset = managers if sees_whole_school(user) else managers.filter(pk=user.pk)
        self.form.fields["team"].label_from_instance = lambda manager: f"{manager}'s team"
        govuk_selects(self.form.fields)

    def ignore(self, queryset, name, value):
        return queryset


@dataclass
class Choice:
    term: Term | None
    span: int
    phase: str
    team: User | None
    officer: User | None


def _chosen(request) -> tuple[LearningFilter, Choice]:
    """What the page was asked for; a value that is not one of the choices is refused on
    the form (its error shown) and the page shows its default instead."""
    learning_filter = LearningFilter(request.GET or None, user=request.user, queryset=Pep.objects.none())
    form = learning_filter.form
    current = None
    if not request.GET:  # the form shows what the page shows by default
        current = Term.objects.current()
        form.fields["term"].initial = current.pk if current else None
        form.fields["span"].initial = str(DEFAULT_SPAN)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    term = data.get("term") or current or Term.objects.current()
    span = int(data.get("span") or DEFAULT_SPAN)
    return learning_filter, Choice(term, span, data.get("phase") or "", data.get("team"), data.get("officer"))


def _figures(request, choice: Choice) -> LearningFigures | None:
    if choice.term is None:
        return None
    return learning_figures(
        request.user,
        learning_terms(choice.term, choice.span),
        phase=choice.phase,
        team=choice.team,
        officer=choice.officer,
    )


def learning(request):
    require(request.user, "hvs.view_learning")
    learning_filter, choice = _chosen(request)
    figures = _figures(request, choice)
    return render(
        request,
        "practice/learning.html",
        {
            "filter": learning_filter,
            "choice": choice,
            "figures": figures,
            "query_string": request.GET.urlencode(),
            "whole_school": sees_whole_school(request.user),
            "may_see_supervision": request.user.has_perm("hvs.view_supervisions"),
        },
    )


def _download(request, name: str) -> tuple[LearningFigures, str]:
    require(request.user, "hvs.view_learning")
    _learning_filter, choice = _chosen(request)
    figures = _figures(request, choice)
    if figures is None or choice.term is None:
        raise Http404("No terms have been set up")
    record_download(
        request,
        name,
        about=choice.term,
        filters={
            "term": choice.term,
            "span": choice.span,
            "phase": choice.phase,
            "team": choice.team or "",
            "officer": choice.officer or "",
        },
    )
    return figures, f"learning-from-the-ratings-{exports.term_slug(choice.term)}"


def learning_csv(request):
    figures, stem = _download(request, "learning from the ratings (CSV)")
    response = StreamingHttpResponse(
        exports.csv_chunks(exports.LEARNING_HEADER, exports.learning_rows(figures)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    return response


def learning_xlsx(request):
    figures, stem = _download(request, "learning from the ratings (Excel)")
    return FileResponse(
        exports.xlsx_file("Learning", exports.LEARNING_HEADER, exports.learning_rows(figures)),
        as_attachment=True,
        filename=f"{stem}.xlsx",
        content_type=XLSX,
    )
