"""The outbox's own records beside django-post-office's Email: what each message is about
(its kind and PEP) and to whom, so the messages page lists them per PEP and per person."""

from django.conf import settings
from django.db import models
from post_office.models import STATUS, Email

from peps.models import Pep


class NoticeKind(models.TextChoices):
    RETURNED = "returned", "Returned for amendment"
    AMENDMENT_REMINDER = "amendment_reminder", "Amendment overdue: reminder"
    AMENDMENT_ESCALATION = "amendment_escalation", "Amendment overdue: escalation"
    OUTCOME_CHANGED = "outcome_changed", "Review corrected: outcome changed"
    QA_REMINDER = "qa_reminder", "QA worklist reminder"
    QA_ESCALATION = "qa_escalation", "QA overdue: escalation"
    SOCIAL_CARE_REPORT = "social_care_report", "Social care team report"
    PASSWORD_RESET = "password_reset", "Password reset link"
    ACTION_REMINDER = "action_reminder", "Practice actions: reminder"


class DeliveryState(models.TextChoices):
    """A message's state as people read it (post_office's queued and requeued are both
    "waiting")."""

    WAITING = "waiting", "Waiting"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


EMAIL_STATUSES = {
    DeliveryState.WAITING: [STATUS.queued, STATUS.requeued],
    DeliveryState.SENT: [STATUS.sent],
    DeliveryState.FAILED: [STATUS.failed],
}


class NoticeQuerySet(models.QuerySet["Notice"]):
    def in_state(self, state: str) -> "NoticeQuerySet":
        return self.filter(email__status__in=EMAIL_STATUSES[DeliveryState(state)])


class Notice(models.Model):
    email = models.OneToOneField(Email, on_delete=models.PROTECT, related_name="notice")
    kind = models.CharField(max_length=24, choices=NoticeKind.choices)
    pep = models.ForeignKey(Pep, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices")
    created_at = models.DateTimeField(auto_now_add=True)
    # Who caused it (the reviewer who returned the PEP); blank for scheduled jobs.
    caused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resent_at = models.DateTimeField(null=True, blank=True)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "message"
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.email.subject}"

    @property
    def state(self) -> DeliveryState:
        for state, statuses in EMAIL_STATUSES.items():
            if self.email.status in statuses:
                return state
        return DeliveryState.WAITING


class NoticeRecipient(models.Model):
    """One address a message went to, with the person's name and part (DT, SW, officer...)."""

    class Copy(models.TextChoices):
        TO = "to", "To"
        CC = "cc", "Copy"

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="recipients")
    address = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    part = models.CharField(max_length=60, blank=True, help_text="designated teacher, social worker...")
    copy = models.CharField(max_length=2, choices=Copy.choices, default=Copy.TO)

    class Meta:
        ordering = ["notice", "-copy", "pk"]  # "to" before "cc"
        indexes = [models.Index(fields=["address"])]

    def __str__(self):
        return f"{self.name} <{self.address}>" if self.name else self.address
