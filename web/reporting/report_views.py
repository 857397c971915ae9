"""The report PDFs: ask for one, watch it being prepared, download it.

- Both reports, the board report and the social care report, go through a
  ``ReportRequest`` built in the background (the Celery worker; on the embedded default
  without Redis, a thread of this process: ``reporting.background``): POST
  ``reports:request`` -> ``reports:status`` (polled with htmx) -> ``reports:download``.
  No report is built inside a request, so gunicorn's timeout never ends one.
- GET ``reports:social_care`` (the old direct download, in bookmarks) starts nothing: it
  sends the reader to the reports page of the term, to ask for it there.

Who may: the board report, managers, leads, the VSH and administrators; the social care
report (it names children by reference), the VSH and managers only. A request's status
and file, only whoever asked for it (while they may still ask for that kind) and the
VSH (anyone else gets a 404).
"""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from access.policy import report_requests_scope
from audit.trail import record_download
from peps.selectors import requested_term
from reporting import services
from reporting.commentary import PERMISSION as COMMENTARY_PERMISSION
from reporting.commentary import commentary_for
from reporting.models import ReportKind, ReportRequest
from web.forms import TermPickerForm

REQUEST_PERMISSIONS = {
    ReportKind.BOARD: "hvs.request_board_report",
    ReportKind.SOCIAL_CARE: "hvs.request_social_care_report",
}
RECENT_REQUESTS = 10
POLL_SECONDS = 2


def may_request(user, kind: str) -> bool:
    return user.has_perm(REQUEST_PERMISSIONS[ReportKind(kind)])


def _require(user, kind: str) -> None:
    if not may_request(user, kind):
        raise PermissionDenied


def _visible_requests(user):
    """The requests whose status and file ``user`` may see: their own; the VSH all."""
    return ReportRequest.objects.select_related("term", "requested_by").filter(report_requests_scope(user))


def _visible_request(user, pk) -> ReportRequest:
    """A request ``user`` may see, of a kind they may still ask for: a manager since made
    an officer or a lead keeps no social care PDF (it names children) asked for before."""
    report = get_object_or_404(_visible_requests(user), pk=pk)
    if not may_request(user, report.kind):
        raise Http404("No such report")
    return report


@require_GET
def index(request):
    """The reports: a term picker, a button per report, and the reports I asked for."""
    user = request.user
    if not (may_request(user, ReportKind.BOARD) or may_request(user, ReportKind.SOCIAL_CARE)):
        raise PermissionDenied
    term = requested_term(request.GET.get("term", ""))
    return render(
        request,
        "reporting/reports_index.html",
        {
            "term": term,
            "term_form": TermPickerForm(initial={"term": term.pk if term else None}),
            "may_board": may_request(user, ReportKind.BOARD),
            "may_social_care": may_request(user, ReportKind.SOCIAL_CARE),
            "may_send_social_care": user.has_perm("hvs.send_social_care_reports"),
            "recent": ReportRequest.objects.filter(requested_by=user).select_related("term")[:RECENT_REQUESTS],
            # The VSH's commentary for the board report (web.reporting.board_views).
            "may_edit_commentary": user.has_perm(COMMENTARY_PERMISSION),
            "board_commentary": commentary_for(term) if term else None,
        },
    )


@require_POST
def request_report(request):
    """Queue a report for a term; then its status page."""
    kind = request.POST.get("kind", "")
    if kind not in ReportKind.values:
        raise Http404("No such report")
    _require(request.user, kind)
    term = requested_term(request.POST.get("term", ""))
    if term is None:
        raise Http404("No term")
    report = services.request_report(kind, term, request.user)
    return redirect("reports:status", pk=report.pk)


@never_cache
@require_GET
def status(request, pk):
    """ "Being prepared" / "ready" / "failed". htmx polls it (the panel alone) every
    2 seconds while the report is being prepared; without JavaScript, a Refresh link."""
    report = _visible_request(request.user, pk)
    context = {"report": report, "poll_seconds": POLL_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "reporting/report_status_panel.html", context)
    return render(request, "reporting/report_status.html", context)


@never_cache
@require_GET
def download(request, pk):
    report = _visible_request(request.user, pk)
    if report.is_expired:
        # The retention job deleted the file: say so (410 Gone), with the way to ask again.
        return render(request, "reporting/report_status.html", {"report": report}, status=410)
    if not report.is_ready:
        raise Http404("This report is not ready")
    try:
        handle = report.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The report file is missing; ask for the report again") from exc
    record_download(request, report.download_name, about=report, filters={"kind": report.kind, "term": report.term})
    return FileResponse(handle, as_attachment=True, filename=report.download_name, content_type="application/pdf")


@never_cache
@require_GET
def social_care(request):
    """The old address of the social care PDF: it is prepared in the background now, so a
    GET (a bookmark, a link) only leads to the reports page of ?term=, where the button
    asks for it; a GET starts no work."""
    _require(request.user, ReportKind.SOCIAL_CARE)
    term = requested_term(request.GET.get("term", ""))
    if term is None:
        raise Http404("No term")
    return redirect(f"{reverse('reports:index')}?term={term.pk}#social-care")
