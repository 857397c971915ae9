"""Requesting and building report PDFs.

``request_report`` records the request and queues ``reporting.tasks.build_report`` once
the transaction commits; ``build_report`` renders the PDF, stores it under
MEDIA_ROOT/reports/ and marks the request ready (or failed, with the error). Building is
idempotent: a ready (or failed) request is not built again, so a task delivered twice (late
acknowledgement) or retried after a lost database connection does no harm.

Policy: both reports, the board report and the social care report, go through a request
and the task; no report is built inside a web request. With Redis the Celery worker builds
it; on the embedded default (no REDIS_URL) a thread of this process does
(``reporting.background``), after the commit, so the request returns at once either way.

With Redis down the build cannot be queued: ``enqueue`` gives up within a couple of seconds
(the fail-fast Celery settings in hvs_qa/settings.py) and the request is marked failed with
``BACKGROUND_UNAVAILABLE``, so the page says so and the next click asks afresh.
"""

import logging
import time
from functools import partial

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import KombuError

from peps.models import Term

from . import background, pdf
from .models import BACKGROUND_UNAVAILABLE, OPEN_STATUSES, ReportKind, ReportRequest, ReportStatus

logger = logging.getLogger(__name__)

# What queueing a task raises when the broker cannot be reached: kombu's OperationalError
# (Celery re-raises the transport's connection errors as kombu's), or a socket error.
QUEUE_ERRORS = (KombuError, OSError)


def enqueue(task, *args) -> bool:
    """Queue ``task(*args)`` for a worker; False (logged) when the broker cannot be reached.

    In-process (no REDIS_URL) it cannot fail to queue: it goes to ``reporting.background``
    (a thread; with REPORTS_IN_PROCESS "inline", run here, its errors propagating).
    Queued with ``ignore_result``: nothing in a page waits for a task's result, so the
    result store is not touched on the way (one connection fewer to fail)."""
    if task.app.conf.task_always_eager:
        background.submit(task, args)
        return True
    try:
        task.apply_async(args=args, ignore_result=True)
    except QUEUE_ERRORS:
        logger.exception("Could not queue %s%r: the broker is not available", task.name, args)
        return False
    return True


def _social_care_html(report: ReportRequest) -> str:
    # Without a user the report would hold every team's PEPs: a request whose requester
    # was removed is not built for nobody.
    if report.requested_by is None:
        raise PermissionDenied("The person who asked for this report is no longer a user")
    # Asked as a manager, built after a change of role (a lead sees every team): not built.
    if not report.requested_by.has_perm("hvs.request_social_care_report"):
        raise PermissionDenied("The person who asked for this report may no longer have it")
    return pdf.social_care_report_html(report.term, user=report.requested_by)


# The board report carries counts only; the social care report names children (by
# reference), so it is limited to what the requester may see. Each gives the report's HTML.
RENDERERS = {
    ReportKind.BOARD: lambda report: pdf.board_report_html(report.term),
    ReportKind.SOCIAL_CARE: _social_care_html,
}


def request_report(kind: str, term: Term, user) -> ReportRequest:
    """A new request for ``kind`` of ``term`` by ``user``, its build queued on commit.

    A request of the same kind and term by the same user that is still waiting or being
    prepared is returned instead of queueing a second build (a double click; clicks at
    the same moment meet the database's one-open-request constraint). One that has been
    waiting too long is given up (failed) and asked for again."""
    kind = ReportKind(kind)
    with transaction.atomic():
        in_flight = _open_request(kind, term, user)
        if in_flight and not in_flight.is_stale:
            return in_flight
        if in_flight:
            ReportRequest.objects.filter(pk=in_flight.pk, status__in=OPEN_STATUSES).update(
                status=ReportStatus.FAILED,
                finished_at=timezone.now(),
                error="Not prepared in time (its task was probably lost); asked for again.",
            )
        try:
            with transaction.atomic():
                report = ReportRequest.objects.create(kind=kind, term=term, requested_by=user)
        except IntegrityError:
            # Another click got there first: that request is the one being prepared.
            in_flight = _open_request(kind, term, user)
            if in_flight is None:
                raise
            return in_flight
        transaction.on_commit(partial(_queue_build, report))
    return report


def _queue_build(report: ReportRequest) -> None:
    """Queue the build of ``report`` (after the commit); with the broker down, mark it
    failed (here and on the object the caller holds), so a new click asks afresh."""
    from .tasks import build_report as build_report_task

    if enqueue(build_report_task, report.pk):
        return
    report.status, report.error, report.finished_at = ReportStatus.FAILED, BACKGROUND_UNAVAILABLE, timezone.now()
    ReportRequest.objects.filter(pk=report.pk, status__in=OPEN_STATUSES).update(
        status=report.status, error=report.error, finished_at=report.finished_at
    )


def _open_request(kind: str, term: Term, user) -> ReportRequest | None:
    return (
        ReportRequest.objects.filter(kind=kind, term=term, requested_by=user, status__in=OPEN_STATUSES)
        .order_by("-created_at")
        .first()
    )


def build_report(request_id: int) -> ReportRequest:
    """Render, store and count the pages of request ``request_id``'s PDF.

    A rendering error marks the request failed, with the error, and is not raised; a lost
    database connection (OperationalError) is raised, for the task to retry."""
    report = ReportRequest.objects.select_related("term", "requested_by").get(pk=request_id)
    # A failed request stays failed (asking again makes a new one): its task delivered
    # late must not take it up again beside the request that replaced it.
    if report.is_ready or report.status == ReportStatus.FAILED:
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
        content = pdf.write(document)
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
