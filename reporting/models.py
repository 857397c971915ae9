"""A request for a generated report (a PDF), built in the background by a Celery task
(without Redis, by a thread of the web process: reporting.background).

Both reports, the board report and the social care report, go through a request (no
report is built inside a web request). The file lives under MEDIA_ROOT/reports/ and
is only ever served by ``reporting.report_views.download``, which checks who asks.

Also the record of the social care reports sent to each team's manager: a
``SocialCareSend`` for each time the VSH sends them, a ``SocialCareDispatch`` per team and
term for each that went (or had nothing to report).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notices.models import Notice
from peps.models import SocialCareTeam, Term

# A request still pending or running after this long has most likely lost its task
# (a worker died, Redis was flushed): the status page then offers "Try again".
STALE_AFTER = timedelta(minutes=15)
# A request whose build could not be queued (Redis down) fails at once with this error,
# which its page shows as it is (reporting.services.enqueue).
BACKGROUND_UNAVAILABLE = (
    "The background service is not available, so the report could not be prepared. Try again in a few minutes."
)
SEND_UNAVAILABLE = (
    "The background service is not available, so the reports could not be sent. Try again in a few minutes."
)


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
    def not_queued(self) -> bool:
        """Failed because its build could not be queued (the background service was down)."""
        return self.status == ReportStatus.FAILED and self.error == BACKGROUND_UNAVAILABLE

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def download_name(self) -> str:
        season = self.term.get_season_display().lower()
        return f"{self.kind.replace('_', '-')}-report-{season}-{self.term.academic_year_label.replace('/', '-')}.pdf"


# --- the social care reports, per team, to their managers ---------------------------


class SocialCareSendStatus(models.TextChoices):
    PENDING = "pending", "Being sent"
    DONE = "done", "Sent"
    FAILED = "failed", "Failed"


class SocialCareSend(models.Model):
    """The VSH's "Send to social care managers" for a term: who asked and when, and what
    came of it (``reporting.social_care``). Each team's e-mail is a ``SocialCareDispatch``.

    ``token`` comes from the confirmation page: a double click posts the same token again
    and meets the unique constraint ("already asked"); asking again deliberately (opening
    the page again) gets a new token, so a new send."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="social_care_sends")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="social_care_sends",
    )
    token = models.UUIDField(unique=True, editable=False)
    status = models.CharField(max_length=8, choices=SocialCareSendStatus.choices, default=SocialCareSendStatus.PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "send to social care managers"
        verbose_name_plural = "sends to social care managers"

    def __str__(self):
        return f"Social care reports, {self.term}, asked for by {self.requested_by or 'someone since removed'}"

    @property
    def not_queued(self) -> bool:
        """Failed because it could not be queued (the background service was down)."""
        return self.status == SocialCareSendStatus.FAILED and self.error == SEND_UNAVAILABLE


class SocialCareTrigger(models.TextChoices):
    SCHEDULED = "scheduled", "Termly schedule"
    ON_DEMAND = "on_demand", "Sent by the VSH"


class SocialCareOutcome(models.TextChoices):
    SENT = "sent", "Sent to the team manager"
    NIL = "nil", "Nothing to report: not sent"


class SocialCareDispatch(models.Model):
    """One social care team's report for one term: its exceptions e-mailed, with the team's
    PDF, to its manager (the outbox's ``notice``), or recorded as nothing to report.

    The termly schedule dispatches a team once per term (``one_scheduled_dispatch``);
    each of the VSH's sends once per team (``one_dispatch_per_team_per_send``). A second
    attempt meets the constraint and is "already done"."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="social_care_dispatches")
    team = models.ForeignKey(SocialCareTeam, on_delete=models.PROTECT, related_name="dispatches")
    trigger = models.CharField(max_length=10, choices=SocialCareTrigger.choices)
    send = models.ForeignKey(SocialCareSend, null=True, blank=True, on_delete=models.CASCADE, related_name="dispatches")
    outcome = models.CharField(max_length=4, choices=SocialCareOutcome.choices)
    # The manager and the counts as sent (the team's record may change later).
    manager_name = models.CharField(max_length=150, blank=True)
    manager_email = models.EmailField(blank=True)
    peps = models.PositiveIntegerField("PEPs listed", default=0)
    not_attended = models.PositiveIntegerField("meetings not attended", default=0)
    not_updated = models.PositiveIntegerField("sections not updated", default=0)
    notice = models.OneToOneField(
        Notice, null=True, blank=True, on_delete=models.SET_NULL, related_name="social_care_dispatch"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "team__name"]
        verbose_name_plural = "social care dispatches"
        constraints = [
            models.UniqueConstraint(
                fields=["team", "term"],
                condition=Q(trigger="scheduled"),
                name="one_scheduled_dispatch",
            ),
            models.UniqueConstraint(
                fields=["team", "send"],
                condition=Q(send__isnull=False),
                name="one_dispatch_per_team_per_send",
            ),
            # The schedule's have no send; the VSH's belong to one.
            models.CheckConstraint(
                condition=Q(trigger="scheduled", send__isnull=True) | Q(trigger="on_demand", send__isnull=False),
                name="dispatch_trigger_matches_send",
            ),
        ]

    def __str__(self):
        return f"{self.team} – {self.term} ({self.get_trigger_display().lower()}: {self.get_outcome_display()})"


# --- the board report's commentary --------------------------------------------------

COMMENTARY_MAX = 6000
NEXT_STEPS_MAX = 4000


class BoardCommentary(models.Model):
    """The VSH's words for a term's board report: their commentary on the figures, and
    the actions arising (what the Virtual School will do next; not the practice actions
    the report counts). Plain text, paragraphs split by blank lines (reporting.commentary).
    Public: it goes in the committee papers with the figures.

    ``version`` goes up with every save: a form opened at an older version is refused
    (reporting.commentary.save_commentary), so two tabs never overwrite each other."""

    term = models.OneToOneField(Term, on_delete=models.CASCADE, related_name="board_commentary")
    commentary = models.TextField("commentary from the Virtual School Head", blank=True, max_length=COMMENTARY_MAX)
    next_steps = models.TextField("actions arising: next steps", blank=True, max_length=NEXT_STEPS_MAX)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="board_commentaries",
    )
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "board report commentary"
        verbose_name_plural = "board report commentaries"

    def __str__(self):
        return f"Board report commentary – {self.term}"

    @property
    def is_written(self) -> bool:
        return bool(self.commentary.strip() or self.next_steps.strip())
