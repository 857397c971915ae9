"""Peer review: twice a year, at a team meeting, each member brings two PEPs."""

from django.conf import settings
from django.db import models
from django.db.models import Q

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
    # The actions agreed are PracticeAction records (agreed_actions).
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


# --- one-to-one supervision (issue 11) --------------------------------------------------
# The policy: "where VS staff are not meeting expected standards, managers use one-to-one
# supervision to discuss the document, with the QA template as the basis for
# conversation; actions are agreed ... and followed up in later meetings; training or
# shadowing may be offered ...; where progress is not made, the capability process".


class Supervision(models.Model):
    """A one-to-one supervision meeting of an officer with their manager."""

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisions")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisions_held")
    date = models.DateField()
    # The QA reviews discussed: picked from the officer's recent reviews, shown as the QA
    # template lays them out.
    reviews = models.ManyToManyField("reviews.QaReview", blank=True, related_name="supervisions")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every save and carried by the form: a stale tab is refused, not merged.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The "record a supervision" form's own token (unique): a double submit, or a second
    # tab of the same form, finds the supervision already recorded instead of a second one.
    form_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["officer", "-date"])]

    def __str__(self):
        return f"Supervision of {self.officer} on {self.date:%d %b %Y}"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"


class PracticeAction(models.Model):
    """An action agreed to improve practice: at a supervision or at a peer-review meeting
    (exactly one of the two). An open action is carried into the officer's next
    supervision, where its outcome is recorded (``followed_up_at``)."""

    description = models.TextField("What")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practice_actions", verbose_name="Who"
    )
    due = models.DateField("Due date")
    status = models.CharField(max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    # Where it comes from: a review discussed, and the pro-forma area (the action's theme).
    review = models.ForeignKey(
        "reviews.QaReview", null=True, blank=True, on_delete=models.SET_NULL, related_name="practice_actions"
    )
    area = models.ForeignKey(
        "reviews.ProFormaArea", null=True, blank=True, on_delete=models.PROTECT, related_name="practice_actions"
    )
    supervision = models.ForeignKey(
        Supervision, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    peer_review = models.ForeignKey(
        PeerReviewMeeting, null=True, blank=True, on_delete=models.CASCADE, related_name="agreed_actions"
    )
    # The outcome, recorded when it was followed up (at a later supervision, or on the
    # action's own page by the owner's manager).
    followed_up_at = models.ForeignKey(
        Supervision, null=True, blank=True, on_delete=models.SET_NULL, related_name="followed_up_actions"
    )
    outcome = models.TextField(blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # Reminders sent to the owner (notices outbox), once each.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    overdue_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due"]), models.Index(fields=["status", "due"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(supervision__isnull=False, peer_review__isnull=True)
                | Q(supervision__isnull=True, peer_review__isnull=False),
                name="action_agreed_at_one_meeting",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True) | (~Q(status="open") & Q(closed_on__isnull=False)),
                name="closed_action_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.description[:60]} ({self.get_status_display()}, due {self.due:%d %b %Y})"


class TrainingKind(models.TextChoices):
    TRAINING = "training", "Training"
    SHADOWING = "shadowing", "Shadowing a colleague's PEP meeting"
    MODELLED = "modelled", "A PEP meeting modelled by a colleague"


class TrainingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"


class TrainingOffer(models.Model):
    """Training or shadowing offered to an officer, at a supervision."""

    supervision = models.ForeignKey(Supervision, on_delete=models.CASCADE, related_name="training")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training")
    kind = models.CharField(max_length=10, choices=TrainingKind.choices)
    with_whom = models.CharField("With whom", max_length=200)
    date = models.DateField()
    status = models.CharField(max_length=10, choices=TrainingStatus.choices, default=TrainingStatus.PLANNED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} with {self.with_whom} on {self.date:%d %b %Y}"


class CapabilityConcern(models.Model):
    """The council's capability process for an officer: confidential. Only the officer's
    line manager and the VSH may see it (access.policy.visible_capability); it never
    appears in a report, an export, a list or a search for anyone else, nor in the admin."""

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_on = models.DateField()
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField()
    closed_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["officer"], condition=Q(closed_on__isnull=True), name="one_open_capability_per_officer"
            ),
        ]

    def __str__(self):
        return f"Capability concern {self.pk}"


class GoldExemplarStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    IN_LIBRARY = "in_library", "In the library"
    DECLINED = "declined", "Declined"


class GoldExemplar(models.Model):
    """What made a PEP Gold, marked by its reviewer; the VSH anonymises it into the
    library of exemplars for training and peer review. The library shows only the
    anonymised text, phase, area and academic year: never the child, the PEP or the
    people."""

    review = models.ForeignKey("reviews.QaReview", on_delete=models.CASCADE, related_name="gold_exemplars")
    area = models.ForeignKey(
        "reviews.ProFormaArea", null=True, blank=True, on_delete=models.PROTECT, related_name="gold_exemplars"
    )
    what_made_it_gold = models.TextField("What made it Gold")
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=GoldExemplarStatus.choices, default=GoldExemplarStatus.PROPOSED)
    title = models.CharField(max_length=200, blank=True)
    anonymised_text = models.TextField(blank=True)
    curated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    curated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-marked_at", "-pk"]
        constraints = [
            # One mark per review and area (None: the PEP as a whole): a second click edits it.
            models.UniqueConstraint(fields=["review", "area"], name="one_exemplar_per_review_area"),
            models.UniqueConstraint(
                fields=["review"], condition=Q(area__isnull=True), name="one_whole_pep_exemplar_per_review"
            ),
            models.CheckConstraint(
                condition=~Q(status="in_library") | ~Q(anonymised_text=""), name="library_exemplar_is_anonymised"
            ),
        ]

    def __str__(self):
        return self.title or f"Gold exemplar {self.pk}"
