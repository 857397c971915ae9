"""Requesting and building report PDFs.

``request_report`` records the request and queues ``reporting.tasks.build_report`` once
the transaction commits; ``build_report`` renders the PDF, stores it under
MEDIA_ROOT/reports/ and marks the request ready (or failed, with the error). Building is
idempotent: a ready request is not built again, so a task delivered twice (late
acknowledgement) or retried after a lost database connection does no harm.

Policy: the board report (the large one) always goes through a request and the task; the
social care report is small and streams straight to the browser (``reporting.report_views``).
"""

import logging
import time

from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.utils import timezone

from peps.models import Term

from . import pdf
from .models import ReportKind, ReportRequest, ReportStatus

logger = logging.getLogger(__name__)

# The board report carries counts only; the social care report names children (by
# reference), so it is limited to what the requester may see. Each gives the report's HTML.
RENDERERS = {
    ReportKind.BOARD: lambda report: pdf.board_report_html(report.term),
    ReportKind.SOCIAL_CARE: lambda report: pdf.social_care_report_html(report.term, user=report.requested_by),
}


def request_report(kind: str, term: Term, user) -> ReportRequest:
    """A new request for ``kind`` of ``term`` by ``user``, its build queued on commit.

    A request of the same kind and term by the same user that is still waiting or being
    prepared is returned instead of queueing a second build (a double click)."""
    kind = ReportKind(kind)
    in_flight = (
        ReportRequest.objects.filter(
            kind=kind, term=term, requested_by=user, status__in=[ReportStatus.PENDING, ReportStatus.RUNNING]
        )
        .order_by("-created_at")
        .first()
    )
    if in_flight and not in_flight.is_stale:
        return in_flight
    report = ReportRequest.objects.create(kind=kind, term=term, requested_by=user)
    from .tasks import build_report as build_report_task

    transaction.on_commit(lambda: build_report_task.delay(report.pk))
    return report


def build_report(request_id: int) -> ReportRequest:
    """Render, store and count the pages of request ``request_id``'s PDF.

    A rendering error marks the request failed, with the error, and is not raised; a lost
    database connection (OperationalError) is raised, for the task to retry."""
    report = ReportRequest.objects.select_related("term", "requested_by").get(pk=request_id)
    if report.is_ready:
        return report
    report.status = ReportStatus.RUNNING
    report.started_at = timezone.now()
    report.error = ""
    report.save(update_fields=["status", "started_at", "error"])
    started = time.monotonic()
    try:
        # Pages counted from WeasyPrint's own layout: no PDF reader in production.
        document = pdf.document(RENDERERS[ReportKind(report.kind)](report))
        pages = len(document.pages)
        content = document.write_pdf()
    except OperationalError:
        raise
    except Exception as exc:
        logger.exception("Report %s (%s, %s) failed", report.pk, report.kind, report.term)
        report.status = ReportStatus.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:2000]
        report.finished_at = timezone.now()
        report.save(update_fields=["status", "error", "finished_at"])
        return report
    old_file = report.file.name if report.file else ""
    report.file.save(report.download_name, ContentFile(content), save=False)
    report.status = ReportStatus.READY
    report.pages = pages
    report.size = len(content)
    report.finished_at = timezone.now()
    report.save(update_fields=["file", "status", "pages", "size", "finished_at"])
    if old_file and old_file != report.file.name:
        report.file.storage.delete(old_file)
    logger.info(
        "Report %s (%s, %s): %s pages, %s bytes in %.1f s",
        report.pk,
        report.kind,
        report.term,
        pages,
        len(content),
        time.monotonic() - started,
    )
    return report
