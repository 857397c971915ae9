"""The import pages: upload a file, see its preview (and map its columns), confirm it; the
past imports; the templates and the errors to download.

Thin: reading, checking and applying are imports.services'; the pages only ask the access
policy, present a run, and turn what the services refuse into messages on the page. Every
page and download is for those who may import (``hvs.import_data``); runs are
school-wide for them, still looked up through a queryset (a missing id is a 404)."""

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from audit.trail import record_download
from imports import columns, reading, services
from imports.models import ImportKind, ImportRun, ImportStatus, RowAction

from .forms import SORTS, MappingForm, RunFilterForm, UploadForm

ROWS_SHOWN = 50  # errors and changes listed on the preview; all errors are in the CSV
RUNS_PER_PAGE = 20
KIND_ORDER = (ImportKind.STAFF, ImportKind.CHILDREN, ImportKind.PEPS)
KIND_NOUNS = {ImportKind.STAFF: "staff", ImportKind.CHILDREN: "children", ImportKind.PEPS: "PEPs"}
KIND_WHY = {
    ImportKind.STAFF: "First: the officers, managers and lead practitioners the children are allocated to.",
    ImportKind.CHILDREN: "Then the children, from the case-management system: each needs their officer's account.",
    ImportKind.PEPS: "Last, the PEPs from the ePEP system: each needs its child.",
}


def _require(user) -> None:
    if not user.has_perm(services.PERMISSION):
        raise PermissionDenied


def _runs(user):
    """The runs the user may see: all of them, for those who import."""
    _require(user)
    return ImportRun.objects.select_related("source", "uploaded_by", "applied_by")


def _no_store(response):
    # Templates aside, downloads name children: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


# --- the import page ----------------------------------------------------------------------


def index(request):
    _require(request.user)
    max_size = reading.human_size(reading.max_bytes())
    form = UploadForm(max_size=max_size)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, max_size=max_size)
        if form.is_valid():
            run = _preview(request, form)
            if run is not None:
                return redirect("imports:run", pk=run.pk)
    return _index_page(request, form)


def _preview(request, form: UploadForm) -> ImportRun | None:
    """The preview of the uploaded file, or None with the reason on the form (a file
    that is not a spreadsheet is refused there, and still listed with the past imports)."""
    data = form.cleaned_data
    try:
        run = services.preview_import(data["kind"], data["file"], source=data["source_choice"], user=request.user)
    except ValueError as exc:
        form.add_error("source", str(exc))
        return None
    if run.status == ImportStatus.REFUSED:
        form.add_error("file", f"{run.message} Choose another file.")
        return None
    return run


def _index_page(request, form: UploadForm):
    filter_form = RunFilterForm(request.GET or None)
    sort = request.GET.get("sort", "-date")
    if sort not in SORTS:
        sort = "-date"
    runs = filter_form.filter(_runs(request.user)).order_by(*SORTS[sort])
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    sort_params = params.copy()
    sort_params.pop("sort", None)
    return render(
        request,
        "imports/index.html",
        {
            "form": form,
            "kinds": [
                {
                    "kind": kind,
                    "label": kind.label,
                    "noun": KIND_NOUNS[kind],
                    "why": KIND_WHY[kind],
                    "columns": columns.describe(kind),
                }
                for kind in KIND_ORDER
            ],
            "filter_form": filter_form,
            "filtered": any(request.GET.get(name) for name in ("kind", "status")),
            "page_obj": page,
            "sort": sort,
            "query_string": params.urlencode(),
            "sort_query_string": sort_params.urlencode(),
        },
    )


def template_csv(request, kind):
    _require(request.user)
    if kind not in ImportKind.values:
        raise Http404("No such import template")
    response = HttpResponse(columns.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="hvs-{kind}-template.csv"'
    return _no_store(response)


# --- one import -----------------------------------------------------------------------------


def run_detail(request, pk):
    run = get_object_or_404(_runs(request.user), pk=pk)
    return _run_page(request, run)


def _run_page(request, run: ImportRun, mapping_form: MappingForm | None = None, status: int = 200):
    context: dict[str, Any] = {
        "run": run,
        "size": reading.human_size(run.size),
        "shown": ROWS_SHOWN,
        "records": run.new + run.changed,
    }
    if run.status in (ImportStatus.PREVIEWED, ImportStatus.APPLIED, ImportStatus.SUPERSEDED):
        errors = list(run.row_errors.all()[:ROWS_SHOWN])
        changes = list(run.row_changes.all()[:ROWS_SHOWN])
        context.update(
            {
                "errors": errors,
                "error_total": run.row_errors.count() if len(errors) == ROWS_SHOWN else len(errors),
                "changes": [
                    {
                        "row": change.row,
                        "key": change.key,
                        "new": change.action == RowAction.NEW,
                        "lines": services.change_lines(run.kind, change),
                    }
                    for change in changes
                ],
                "change_total": run.new + run.changed,
            }
        )
    if mapping_form is None and _may_map(run):
        mapping_form = MappingForm(request=services.mapping_request(run))
    if mapping_form is not None:
        unknown = mapping_form.unknown
        columns_ = [
            {"field": mapping_form[name], "heading": heading, "letter": services.column_letter(index)}
            for name, heading, index in mapping_form.columns
        ]
        context.update(
            {
                "mapping_form": mapping_form,
                "mapping": mapping_form.request,
                "unmatched": [column for column in columns_ if column["heading"] in unknown],
                "matched": [column for column in columns_ if column["heading"] not in unknown],
            }
        )
    return render(request, "imports/run.html", context, status=status)


def _may_map(run: ImportRun) -> bool:
    """The mapping step: asked when needed, offered when columns were left out."""
    if run.status == ImportStatus.NEEDS_MAPPING:
        return True
    return run.status == ImportStatus.PREVIEWED and bool(run.ignored_headings)


@require_POST
def run_mapping(request, pk):
    run = get_object_or_404(_runs(request.user), pk=pk)
    if not _may_map(run):
        messages.info(request, f"This import is {run.get_status_display().lower()}: its columns cannot be changed.")
        return redirect("imports:run", pk=run.pk)
    form = MappingForm(request.POST, request=services.mapping_request(run))
    if not form.is_valid():
        return _run_page(request, run, mapping_form=form)
    try:
        run = services.preview_again(run, user=request.user, mapping=form.mapping())
    except (ValueError, services.ImportNotApplicable) as exc:
        # A field of another kind, or a run applied meanwhile (another tab).
        messages.info(request, _message_of(exc))
        return redirect("imports:run", pk=run.pk)
    if run.status == ImportStatus.PREVIEWED:
        messages.success(request, "Columns mapped: the mapping is kept for the next file from this system.")
    return redirect("imports:run", pk=run.pk)


@require_POST
def run_refresh(request, pk):
    """Preview a superseded (or failed) run again, against the database as it is now."""
    run = get_object_or_404(_runs(request.user), pk=pk)
    try:
        services.preview_again(run, user=request.user)
    except services.ImportNotApplicable as exc:
        messages.info(request, _message_of(exc))
    return redirect("imports:run", pk=run.pk)


@require_POST
def run_apply(request, pk):
    run = get_object_or_404(_runs(request.user), pk=pk)
    if run.status == ImportStatus.APPLIED:
        messages.info(request, _already_applied(run))
        return redirect("imports:run", pk=run.pk)
    started = timezone.now()
    try:
        run = services.apply_import(run, request.user)
    except services.ImportNotApplicable as exc:
        messages.info(request, _message_of(exc))
        return redirect("imports:run", pk=run.pk)
    if run.status == ImportStatus.APPLIED:
        if run.applied_at and run.applied_at < started:  # the other tab, or the first click
            messages.info(request, _already_applied(run))
        else:
            messages.success(request, f"Import applied: {_what_changed(run)}.")
    else:
        messages.info(request, f"The import failed and nothing was imported. {run.message}")
    return redirect("imports:run", pk=run.pk)


def _already_applied(run: ImportRun) -> str:
    when = date_format(timezone.localtime(run.applied_at), "j F Y, H:i") if run.applied_at else ""
    return f"This import was already applied by {run.applied_by or 'the system'}{f' on {when}' if when else ''}."


def _what_changed(run: ImportRun) -> str:
    if not (run.new or run.changed):
        return f"nothing had changed ({run.unchanged} unchanged)"
    return f"{run.new} new, {run.changed} changed, {run.unchanged} unchanged"


def _message_of(exc: Exception) -> str:
    messages_ = getattr(exc, "messages", None)
    return " ".join(messages_) if messages_ else str(exc)


class _Echo:
    def write(self, value):
        return value


def errors_csv(request, pk):
    run = get_object_or_404(_runs(request.user), pk=pk)
    record_download(request, services.error_file_name(run), about=run)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in services.error_rows(run)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_header_safe(services.error_file_name(run))}"'
    return _no_store(response)


def _header_safe(name: str) -> str:
    """A file name the Content-Disposition header can carry as it is."""
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
