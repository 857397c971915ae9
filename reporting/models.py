"""A request for a generated report (a PDF), built in the background by a Celery task.

The board report always goes through a request (it is the large one); the social care
report is streamed straight to the browser. The file lives under MEDIA_ROOT/reports/ and
is only ever served by ``reporting.report_views.download``, which checks who asks.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from peps.models import Term

# A request still pending or running after this long has most likely lost its task
# (a worker died, Redis was flushed): the status page then offers "Try again".
STALE_AFTER = timedelta(minutes=15)


class ReportKind(models.TextChoices):
    BOARD = "board", "Board report"
    SOCIAL_CARE = "social_care", "Social care report"


class ReportStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# Waiting to start or being prepared.
OPEN_STATUSES = [ReportStatus.PENDING, ReportStatus.RUNNING]


class ReportRequest(models.Model):
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="report_requests")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_requests",
    )
    status = models.CharField(max_length=8, choices=ReportStatus.choices, default=ReportStatus.PENDING)
    file = models.FileField(upload_to="reports/", blank=True)
    error = models.TextField(blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveIntegerField("size (bytes)", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the retention job deleted the file (REPORT_RETENTION_DAYS after it was ready):
    # the request stays, its page says "expired" and offers to ask again.
    file_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requested_by", "kind", "term", "status"])]
        constraints = [
            # One request of a kind and term per person being prepared at a time: a double
            # click finds the first (reporting.services.request_report).
            models.UniqueConstraint(
                fields=["kind", "term", "requested_by"],
                condition=Q(status__in=OPEN_STATUSES),
                name="one_open_report_request",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.term} ({self.get_status_display().lower()})"

    @property
    def in_progress(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.READY and bool(self.file)

    @property
    def is_expired(self) -> bool:
        return self.file_deleted_at is not None

    @property
    def is_stale(self) -> bool:
        return self.in_progress and timezone.now() - self.created_at > STALE_AFTER

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def download_name(self) -> str:
        season = self.term.get_season_display().lower()
        return f"{self.kind.replace('_', '-')}-report-{season}-{self.term.academic_year_label.replace('/', '-')}.pdf"
