"""The report PDFs: ask for one, watch it being prepared, download it.

- The board report goes through a ``ReportRequest`` built by a Celery task (in-process,
  so ready at once, on the embedded default without Redis): POST ``reports:request`` ->
  ``reports:status`` (polled with htmx) -> ``reports:download``.
- The social care report is small and streams straight back: GET ``reports:social_care``.

Who may: the board report, managers, leads, the VSH and administrators; the social care
report (it names children by reference), the VSH and managers only. A request's status
and file, only whoever asked for it and the VSH (anyone else gets a 404).
"""

import logging

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
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
from reporting.pdf import social_care_report_pdf
from web.forms import TermPickerForm

logger = logging.getLogger(__name__)

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


@require_GET
def index(request):
    """The reports: a term picker, a button per report, and my recent board reports."""
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
    """Queue a report for a term; then its status page. The social care report is not
    queued: it streams straight back."""
    kind = request.POST.get("kind", "")
    if kind not in ReportKind.values:
        raise Http404("No such report")
    _require(request.user, kind)
    term = requested_term(request.POST.get("term", ""))
    if term is None:
        raise Http404("No term")
    if kind == ReportKind.SOCIAL_CARE:
        return redirect(f"{reverse('reports:social_care')}?term={term.pk}")
    report = services.request_report(kind, term, request.user)
    return redirect("reports:status", pk=report.pk)


@never_cache
@require_GET
def status(request, pk):
    """ "Being prepared" / "ready" / "failed". htmx polls it (the panel alone) every
    2 seconds while the report is being prepared; without JavaScript, a Refresh link."""
    report = get_object_or_404(_visible_requests(request.user), pk=pk)
    context = {"report": report, "poll_seconds": POLL_SECONDS}
    if request.headers.get("HX-Request"):
        return render(request, "reporting/report_status_panel.html", context)
    return render(request, "reporting/report_status.html", context)


@never_cache
@require_GET
def download(request, pk):
    report = get_object_or_404(_visible_requests(request.user), pk=pk)
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
    """The social care report of ?term= (else the current term), straight back as a PDF."""
    _require(request.user, ReportKind.SOCIAL_CARE)
    term = requested_term(request.GET.get("term", ""))
    if term is None:
        raise Http404("No term")
    content = social_care_report_pdf(term, user=request.user)
    record_download(request, "social care report (PDF)", about=term, filters={"term": term})
    logger.info("Social care report for %s downloaded by %s", term, request.user.get_username())
    season = term.get_season_display().lower()
    filename = f"social-care-report-{season}-{term.academic_year_label.replace('/', '-')}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
