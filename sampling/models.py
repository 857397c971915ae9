from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import LeadArea
from core.vocabulary import Rating
from peps.models import Pep, PepStatus, Term
from reviews.models import QaReview, ReviewKind, ReviewStatus

from .rules import Reason


class SampleKind(models.TextChoices):
    LINE_MANAGEMENT = "line_management", "Line-management sample"
    LEAD_AREA = "lead_area", "Lead-practitioner sample"
    CROSS_MODERATION = "cross_moderation", "Cross-moderation"
    MODERATION_GROUP = "moderation_group", "Moderation group"

    @property
    def review_kind(self) -> str:
        return {
            SampleKind.LINE_MANAGEMENT: ReviewKind.LINE_MANAGEMENT,
            SampleKind.LEAD_AREA: ReviewKind.LEAD_SAMPLE,
            SampleKind.CROSS_MODERATION: ReviewKind.MODERATION,
            SampleKind.MODERATION_GROUP: ReviewKind.MODERATION,
        }[self]


class ModerationGroup(models.Model):
    """The PEP QA moderation group, which samples PEPs across the whole school each term."""

    name = models.CharField(max_length=120, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="moderation_groups")
    sample_size = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Leave blank for the default.")
    is_active = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class Sample(models.Model):
    """One drawn sample: a term's line-management sample of one officer, a lead area's
    sample, a manager's cross-moderation sample or the moderation group's."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="samples")
    kind = models.CharField(max_length=20, choices=SampleKind.choices)
    # The scope: the officer whose caseload is sampled (line management), the lead area,
    # the moderation group, or for cross-moderation the manager who re-rates.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="samples_of"
    )
    lead_area = models.ForeignKey(LeadArea, null=True, blank=True, on_delete=models.CASCADE)
    group = models.ForeignKey(ModerationGroup, null=True, blank=True, on_delete=models.CASCADE)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="samples_to_review"
    )
    seed = models.CharField(max_length=80)
    rate = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Share of the caseload sampled (line management).",
    )
    rate_reason = models.CharField(max_length=20, choices=Reason.CHOICES, blank=True)
    caseload_size = models.PositiveIntegerField(default=0)
    minimum_size = models.PositiveIntegerField(default=0)
    drawn_at = models.DateTimeField(auto_now_add=True)
    topped_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["term", "kind"]
        # One sample per term and scope, so drawing again tops up instead of duplicating.
        constraints = [
            models.UniqueConstraint(
                fields=["term", "officer"],
                condition=Q(kind="line_management"),
                name="one_line_management_sample_per_officer",
            ),
            models.UniqueConstraint(
                fields=["term", "lead_area"], condition=Q(kind="lead_area"), name="one_sample_per_lead_area"
            ),
            models.UniqueConstraint(
                fields=["term", "reviewer"],
                condition=Q(kind="cross_moderation"),
                name="one_cross_moderation_sample_per_manager",
            ),
            models.UniqueConstraint(
                fields=["term", "group"], condition=Q(kind="moderation_group"), name="one_sample_per_moderation_group"
            ),
        ]

    def __str__(self):
        scope = self.officer or self.lead_area or self.group or ""
        return f"{self.get_kind_display()} {self.term} {scope}".strip()


class SampleEntryQuerySet(models.QuerySet["SampleEntry"]):
    def not_done(self) -> "SampleEntryQuerySet":
        """No submitted review yet."""
        return self.exclude(review__status=ReviewStatus.SUBMITTED)

    def ready_to_rate(self) -> "SampleEntryQuerySet":
        """Entries whose PEP can be rated now (see ``SampleEntry.pep_ready``)."""
        return self.filter(
            Q(sample__kind=SampleKind.LINE_MANAGEMENT, pep__status=PepStatus.SUBMITTED)
            | (~Q(sample__kind=SampleKind.LINE_MANAGEMENT) & ~Q(pep__status=PepStatus.DRAFT))
        )

    def awaiting_line_management_qa(self) -> "SampleEntryQuerySet":
        """In a line-management sample and not QA'd yet: the PEP is finalised by its review,
        not without one."""
        return self.filter(sample__kind=SampleKind.LINE_MANAGEMENT).not_done()


class SampleEntry(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="entries")
    pep = models.ForeignKey(Pep, on_delete=models.CASCADE, related_name="sample_entries")
    reason = models.CharField(max_length=20, choices=Reason.CHOICES)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sample_entries"
    )
    due_date = models.DateField()
    review = models.ForeignKey(
        QaReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="sample_entries"
    )
    # Moderation: the first review being re-rated, and the rating the managers agreed.
    original_review = models.ForeignKey(
        QaReview, null=True, blank=True, on_delete=models.SET_NULL, related_name="moderated_by"
    )
    agreed_judgement = models.CharField(max_length=5, choices=Rating.choices, blank=True)
    agreement_notes = models.TextField(blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    # Overdue QA escalates (sampling.services.escalation): to the reviewer's line manager,
    # then to the Virtual School Head.
    escalated_to_manager_at = models.DateTimeField(null=True, blank=True)
    escalated_to_vsh_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SampleEntryQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name_plural = "sample entries"
        constraints = [
            models.UniqueConstraint(fields=["sample", "pep"], name="pep_once_per_sample"),
        ]
        indexes = [models.Index(fields=["assigned_to", "due_date"])]

    def __str__(self):
        return f"{self.pep} ({self.get_reason_display()})"

    @property
    def is_done(self) -> bool:
        return self.review is not None and self.review.is_submitted

    @property
    def pep_ready(self) -> bool:
        """Whether the PEP can be rated for this entry now (``ready``)."""
        return self.ready(self.sample.kind, self.pep.status)

    @staticmethod
    def ready(sample_kind: str, pep_status: str) -> bool:
        """Whether a PEP of ``pep_status`` can be rated for an entry of a ``sample_kind``
        sample: a line-management review needs a PEP submitted for QA; the other samples
        any PEP past draft. The same rule as ``SampleEntryQuerySet.ready_to_rate``."""
        if sample_kind == SampleKind.LINE_MANAGEMENT:
            return pep_status == PepStatus.SUBMITTED
        return pep_status != PepStatus.DRAFT


class ModerationSettlement(models.Model):
    """The judgement the first reviewer and the moderator agreed for a disagreement. Settling
    again adds a record rather than overwriting one: the latest is current (copied onto the
    entry's agreed_judgement, agreement_notes and settled_at, which lists and figures read)
    and the earlier ones are its history."""

    entry = models.ForeignKey(SampleEntry, on_delete=models.CASCADE, related_name="settlements")
    judgement = models.CharField(max_length=5, choices=Rating.choices)
    notes = models.TextField(blank=True)
    settled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    settled_at = models.DateTimeField()
    # What the PEP carried before, and whether the settlement was applied to it: not when
    # the PEP has been judged again since the review that was moderated (a later QA round).
    pep_judgement_before = models.CharField(max_length=5, choices=Rating.choices, blank=True)
    applied_to_pep = models.BooleanField(default=False)

    class Meta:
        ordering = ["entry", "-settled_at", "-pk"]

    def __str__(self):
        return f"{self.entry}: settled {self.get_judgement_display()}"
