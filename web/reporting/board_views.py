"""The board report's commentary page, and its Word version.

- ``reports:commentary`` (GET/POST ?term=): the VSH writes the term's commentary and
  actions arising (``hvs.edit_board_commentary``; anyone else gets a 403), with a version
  check so two tabs never overwrite each other; then prepares the board report from it.
- ``reports:board_docx`` (GET ?term=): the board report as a Word document, built in the
  request (well under a second; see the README), for whoever may ask for the board report.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from access.policy import require
from audit.trail import record_download
from peps.models import Term
from peps.selectors import requested_term
from reporting import commentary as board_commentary
from reporting import docx
from reporting.models import ReportKind
from web.forms import TermPickerForm

from .forms import BoardCommentaryForm
from .report_views import may_request


def _term(data) -> Term:
    term = requested_term(data.get("term", ""))
    if term is None:
        raise Http404("No term")
    return term


@never_cache
@require_http_methods(["GET", "POST"])
def commentary(request):
    require(request.user, board_commentary.PERMISSION)
    term = _term(request.POST if request.method == "POST" else request.GET)
    saved = board_commentary.commentary_for(term)
    form = BoardCommentaryForm(request.POST or None, saved=saved)
    if request.method == "POST" and form.is_valid():
        try:
            board_commentary.save_commentary(
                term,
                by=request.user,
                version=form.opened_version,
                commentary=form.cleaned_data["commentary"],
                next_steps=form.cleaned_data["next_steps"],
            )
        except board_commentary.CommentaryChangedElsewhere as error:
            form.add_error(None, str(error))
            form.rebase(error.current_version)
        else:
            messages.success(
                request,
                f"Commentary saved for {term}. It will be in the board report you prepare next.",
            )
            return redirect(f"{reverse('reports:commentary')}?term={term.pk}")
    return render(
        request,
        "reporting/board_commentary.html",
        {
            "term": term,
            "term_form": TermPickerForm(initial={"term": term.pk}),
            "form": form,
            "saved": saved,
            # What the report will say: as saved (the form may hold unsaved words).
            "preview": board_commentary.board_report_commentary(term),
            "may_board": may_request(request.user, ReportKind.BOARD),
        },
    )


@never_cache
@require_GET
def board_docx(request):
    if not may_request(request.user, ReportKind.BOARD):
        raise PermissionDenied
    term = _term(request.GET)
    content = docx.board_report_docx(term, timezone.localdate())
    name = docx.download_name(term)
    record_download(request, "board report (Word)", about=term, filters={"term": term})
    response = HttpResponse(content, content_type=docx.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
