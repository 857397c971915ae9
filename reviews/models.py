from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from core.vocabulary import Phase
from peps.models import Pep, PepStatusChange

from .rules import Rating


class ProFormaQuerySet(models.QuerySet["ProForma"]):
    def current_for(self, phase: str) -> "ProForma | None":
        return self.filter(phase=phase, is_active=True).order_by("-version").first()


class ProForma(models.Model):
    """A QA pro-forma for one phase. Versioned: a version in use by a review is frozen,
    and a change of wording or areas is made on a new version."""

    phase = models.CharField(max_length=10, choices=Phase.choices)
    version = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True, help_text="New reviews use the highest active version for the phase.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProFormaQuerySet.as_manager()

    class Meta:
        ordering = ["phase", "-version"]
        verbose_name = "QA pro-forma"
        constraints = [
            models.UniqueConstraint(fields=["phase", "version"], name="unique_pro_forma_version"),
        ]

    def __str__(self):
        return f"{self.title} (v{self.version})"

    @property
    def is_in_use(self) -> bool:
        return self.reviews.exists()


class ProFormaFrozen(PermissionDenied):
    """A change to an area of a pro-forma version used by a review. A PermissionDenied, so
    a request that gets this far answers 403."""


class ProFormaArea(models.Model):
    pro_forma = models.ForeignKey(ProForma, on_delete=models.CASCADE, related_name="areas")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, help_text="What the reviewer looks at.")
    gold_criteria = models.TextField()
    green_criteria = models.TextField()
    amber_criteria = models.TextField()
    red_criteria = models.TextField()

    class Meta:
        ordering = ["pro_forma", "position"]
        verbose_name = "pro-forma area"
        constraints = [
            models.UniqueConstraint(fields=["pro_forma", "position"], name="unique_area_position"),
        ]

    def __str__(self):
        return f"{self.position}. {self.title}"

    def save(self, *args, **kwargs):
        self._refuse_if_frozen()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_frozen()
        return super().delete(*args, **kwargs)

    def _refuse_if_frozen(self) -> None:
        # The version it is on, and for a saved area the one it was on (it may be moving).
        versions = {self.pro_forma_id}
        if not self._state.adding:
            versions.update(ProFormaArea.objects.filter(pk=self.pk).values_list("pro_forma_id", flat=True))
        if QaReview.objects.filter(pro_forma_id__in=versions).exists():
            raise ProFormaFrozen("This pro-forma version is used by reviews: copy it as a new version to change it.")

    def criteria_for(self, rating: str) -> str:
        return getattr(self, f"{Rating(rating).value}_criteria")

    @property
    def criteria(self) -> list[tuple[Rating, str]]:
        return [(rating, self.criteria_for(rating)) for rating in Rating]


class ReviewKind(models.TextChoices):
    LINE_MANAGEMENT = "line_management", "Line-management QA"
    LEAD_SAMPLE = "lead_sample", "Lead-practitioner sample"
    PEER_REVIEW = "peer_review", "Peer review"
    MODERATION = "moderation", "Moderation"


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class QaReview(models.Model):
    # No single-column index: the (pep, status) index serves lookups by PEP.
    pep = models.ForeignKey(Pep, on_delete=models.CASCADE, related_name="reviews", db_index=False)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qa_reviews")
    kind = models.CharField(max_length=20, choices=ReviewKind.choices, default=ReviewKind.LINE_MANAGEMENT)
    # The version the review was made on, kept even when the pro-forma changes later.
    pro_forma = models.ForeignKey(ProForma, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT)
    overall_judgement = models.CharField(max_length=5, choices=Rating.choices, blank=True)
    needs_amendment = models.BooleanField(default=False)
    strengths = models.TextField(blank=True)
    development_points = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every save, and carried by the rating form: a form opened before the last
    # save (another tab) is refused instead of overwriting what that save wrote.
    version = models.PositiveIntegerField(default=1, editable=False)
    # A submitted line-management review: the PEP's QA round it decided, 1 for the PEP's
    # submission and one more for each resubmission after amendment.
    qa_round = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-submitted_at", "-created_at"]
        verbose_name = "QA review"
        constraints = [
            # One open draft per reviewer, PEP and kind: "Start review" resumes it.
            models.UniqueConstraint(
                fields=["pep", "reviewer", "kind"],
                condition=Q(status="draft"),
                name="one_draft_per_reviewer_pep_kind",
            ),
            # One line-management outcome per PEP per QA round (the services also decide
            # it under the PEP's row lock; this is the database's word on it).
            models.UniqueConstraint(
                fields=["pep", "qa_round"],
                condition=Q(kind="line_management", status="submitted"),
                name="one_line_management_outcome_per_qa_round",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(overall_judgement="") | Q(kind="lead_sample"),
                name="submitted_review_has_judgement",
            ),
        ]
        indexes = [models.Index(fields=["pep", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.pep} by {self.reviewer}"

    @property
    def is_submitted(self) -> bool:
        return self.status == ReviewStatus.SUBMITTED


class AreaRating(models.Model):
    review = models.ForeignKey(QaReview, on_delete=models.CASCADE, related_name="area_ratings")
    area = models.ForeignKey(ProFormaArea, on_delete=models.PROTECT, related_name="ratings")
    rating = models.CharField(max_length=5, choices=Rating.choices, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["area__position"]
        constraints = [
            models.UniqueConstraint(fields=["review", "area"], name="one_rating_per_area"),
        ]

    def __str__(self):
        return f"{self.area.title}: {self.rating or 'not rated'}"


class ReviewCorrection(models.Model):
    """A submitted review corrected after the fact (reviews.services.correct_review): who,
    when, why, and the review as it was before and after. A review is corrected in place
    (its area ratings, feedback and judgement); this is the record that it was.

    ``areas_before`` and ``areas_after`` hold each area as ``{"position", "title",
    "rating", "comment"}``, in pro-forma order.
    """

    review = models.ForeignKey(QaReview, on_delete=models.CASCADE, related_name="corrections")
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    corrected_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()
    judgement_before = models.CharField(max_length=5, choices=Rating.choices, blank=True)
    judgement_after = models.CharField(max_length=5, choices=Rating.choices, blank=True)
    needs_amendment_before = models.BooleanField(default=False)
    needs_amendment_after = models.BooleanField(default=False)
    areas_before = models.JSONField(default=list)
    areas_after = models.JSONField(default=list)
    strengths_before = models.TextField(blank=True)
    strengths_after = models.TextField(blank=True)
    development_points_before = models.TextField(blank=True)
    development_points_after = models.TextField(blank=True)
    # The PEP's status change the correction made (returned <-> finalised), if it made one.
    status_change = models.OneToOneField(
        PepStatusChange, null=True, blank=True, on_delete=models.SET_NULL, related_name="correction"
    )

    class Meta:
        ordering = ["corrected_at", "pk"]
        verbose_name = "QA review correction"

    def __str__(self):
        return f"Correction of {self.review} by {self.corrected_by}"

    @property
    def outcome_changed(self) -> bool:
        return self.needs_amendment_before != self.needs_amendment_after

    @property
    def judgement_changed(self) -> bool:
        return self.judgement_before != self.judgement_after

    @property
    def area_changes(self) -> list[dict]:
        """Each area the correction changed: position, title, the rating before and after,
        and whether the comment changed."""
        before = {area["position"]: area for area in self.areas_before}
        changes = []
        for after in self.areas_after:
            old = before.get(after["position"], {})
            rating_before, comment_before = old.get("rating", ""), old.get("comment", "")
            if (rating_before, comment_before) == (after["rating"], after["comment"]):
                continue
            changes.append(
                {
                    "position": after["position"],
                    "title": after["title"],
                    "rating_before": rating_before,
                    "rating_after": after["rating"],
                    "rating_changed": rating_before != after["rating"],
                    "comment_changed": comment_before != after["comment"],
                }
            )
        return changes

    @property
    def feedback_changed(self) -> list[str]:
        """Which of the review's feedback fields the correction changed, as their labels."""
        changed = []
        if self.strengths_before != self.strengths_after:
            changed.append("strengths")
        if self.development_points_before != self.development_points_after:
            changed.append("development points")
        return changed


class AmendmentState(models.TextChoices):
    SENT = "sent", "Sent to the DT and SW"
    OVERDUE = "overdue", "Overdue"
    REMINDED = "reminded", "Overdue: reminder sent"
    ESCALATED = "escalated", "Overdue: escalated to the officer and manager"
    AMENDED = "amended", "Amended"
    WITHDRAWN = "withdrawn", "Withdrawn (review corrected)"


class Amendment(models.Model):
    """A returned PEP's amendment by the DT and SW: asked for by the review that returned
    it, due a number of school days later, reminded and escalated when overdue, and
    closed when the PEP is marked amended (or the review is corrected to finalise it)."""

    pep = models.ForeignKey(Pep, on_delete=models.CASCADE, related_name="amendments")
    review = models.OneToOneField(QaReview, on_delete=models.CASCADE, related_name="amendment")
    requested_at = models.DateTimeField()
    due_on = models.DateField("amendment due")
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    amended_at = models.DateTimeField(null=True, blank=True)
    amended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # One amendment open per PEP: returning it again needs it amended first.
            models.UniqueConstraint(
                fields=["pep"],
                condition=Q(amended_at__isnull=True, withdrawn_at__isnull=True),
                name="one_open_amendment_per_pep",
            ),
        ]

    def __str__(self):
        return f"Amendment of {self.pep} due {self.due_on}"

    @property
    def is_open(self) -> bool:
        return self.amended_at is None and self.withdrawn_at is None

    def state_on(self, today: date) -> AmendmentState:
        if self.amended_at:
            return AmendmentState.AMENDED
        if self.withdrawn_at:
            return AmendmentState.WITHDRAWN
        if self.escalated_at:
            return AmendmentState.ESCALATED
        if self.reminded_at:
            return AmendmentState.REMINDED
        if today > self.due_on:
            return AmendmentState.OVERDUE
        return AmendmentState.SENT
