"""Peer review: twice a year, at a team meeting, each member brings two PEPs."""

from django.conf import settings
from django.db import models

from peps.models import Pep, Term


class PeerReviewFocus(models.TextChoices):
    PRIORITIES = "priorities", "The year's priorities"
    TARGETS = "targets", "PEP targets"
    PP_PLUS = "pp_plus", "Use of PP+"


class PeerReviewMeeting(models.Model):
    """Twice a year, a team meeting where each member brings two PEPs."""

    date = models.DateField()
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="peer_reviews")
    focus = models.CharField(max_length=12, choices=PeerReviewFocus.choices)
    focus_notes = models.TextField(blank=True)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="peer_reviews")
    findings = models.TextField(blank=True)
    actions = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date"]

    def __str__(self):
        return f"Peer review {self.date:%d %b %Y} ({self.get_focus_display()})"


class PeerReviewPep(models.Model):
    meeting = models.ForeignKey(PeerReviewMeeting, on_delete=models.CASCADE, related_name="peps")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pep = models.ForeignKey(Pep, on_delete=models.CASCADE, related_name="peer_reviews")
    findings = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "pep"], name="pep_once_per_meeting"),
        ]

    def __str__(self):
        return f"{self.member} brought {self.pep}"
