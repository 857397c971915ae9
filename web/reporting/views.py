"""The reports: a dashboard of the term's figures, and downloads of the figures and of the
ratings behind them.

Thin: every figure comes from reporting.figures (term_figures, trend); the pages and
downloads only present them. Charts are drawn by reporting.charts, the downloads written
by reporting.exports.
"""

from itertools import chain
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from access.policy import sees_whole_school
from audit.trail import record_download
from peps.models import Term
from peps.selectors import requested_term
from reporting import exports
from reporting.figures import actions_arising, school_breakdown, term_figures, trend
from web.forms import TermPickerForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_access(user) -> None:
    if not user.has_perm("hvs.view_reports"):
        raise PermissionDenied


def _term_asked_for(request) -> Term:
    """The term a report's part or download is of (?term=, else the current one), for
    someone who may see the reports; 404 when there is none."""
    _require_access(request.user)
    term = requested_term(request.GET.get("term", ""))
    if term is None:
        raise Http404("No terms have been set up")
    return term


def _download_term(request, name: str) -> Term:
    """The term a download is of; the download is recorded in the audit trail."""
    term = _term_asked_for(request)
    record_download(request, name, about=term, filters={"term": term})
    return term


def dashboard(request):
    _require_access(request.user)
    term = requested_term(request.GET.get("term", ""))
    context: dict[str, Any] = {"term": term, "term_form": TermPickerForm(initial={"term": term.pk if term else None})}
    if term is not None:
        figures = term_figures(term)
        context.update(
            {
                "figures": figures,
                "trend": trend(term),
                "social_work": [(row, row.team_id) for row in figures.social_work],
                "whole_school": sees_whole_school(request.user),
                "actions": actions_arising(term),
            }
        )
    return render(request, "reporting/dashboard.html", context)


def school_table(request):
    """The dashboard's table of schools and settings (a row each: 166 at the largest
    authority, three quarters of the dashboard's markup), which sits closed under its
    heading: htmx fetches the table when it is opened; without JavaScript its link opens it
    as a page of its own."""
    term = _term_asked_for(request)
    partial = request.headers.get("HX-Request") == "true"
    response = render(
        request,
        "reporting/_school_table.html" if partial else "reporting/school_table.html",
        {"term": term, "schools": school_breakdown(term)},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def figures_csv(request):
    term = _download_term(request, "figures (CSV)")
    rows = _figure_rows(term)
    return _csv(exports.FIGURE_HEADER, rows, f"pep-qa-figures-{exports.term_slug(term)}.csv")


def figures_xlsx(request):
    term = _download_term(request, "figures (Excel)")
    rows = _figure_rows(term)
    return _xlsx("Figures", exports.FIGURE_HEADER, rows, f"pep-qa-figures-{exports.term_slug(term)}.xlsx")


def _figure_rows(term: Term):
    return chain(exports.figure_rows(term_figures(term), trend(term)), exports.action_rows(term, actions_arising(term)))


def ratings_csv(request):
    term = _download_term(request, "ratings (CSV)")
    rows = exports.rating_rows(request.user, term)
    return _csv(exports.RATING_HEADER, rows, f"pep-qa-ratings-{exports.term_slug(term)}.csv")


def ratings_xlsx(request):
    term = _download_term(request, "ratings (Excel)")
    rows = exports.rating_rows(request.user, term)
    return _xlsx("Ratings", exports.RATING_HEADER, rows, f"pep-qa-ratings-{exports.term_slug(term)}.xlsx")


def _csv(header, rows, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_chunks(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _xlsx(title: str, header, rows, filename: str) -> FileResponse:
    return FileResponse(
        exports.xlsx_file(title, header, rows), as_attachment=True, filename=filename, content_type=XLSX
    )
