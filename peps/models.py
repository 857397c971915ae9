from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.vocabulary import YEAR_GROUPS, Phase, Rating, Season, academic_year_label, key_stage


class School(models.Model):
    name = models.CharField(max_length=200)
    urn = models.CharField("URN", max_length=10, blank=True, help_text="Unique reference number")
    local_authority = models.CharField(max_length=100, blank=True)
    is_out_of_authority = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class DesignatedTeacher(models.Model):
    name = models.CharField(max_length=150)
    email = models.EmailField()
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="designated_teachers")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.school})"


class SocialCareTeam(models.Model):
    name = models.CharField(max_length=150, unique=True)
    manager_name = models.CharField(max_length=150, blank=True)
    manager_email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SocialWorker(models.Model):
    name = models.CharField(max_length=150)
    email = models.EmailField()
    team = models.ForeignKey(SocialCareTeam, on_delete=models.PROTECT, related_name="social_workers")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Child(models.Model):
    la_reference = models.CharField("LA reference", max_length=20, unique=True)
    # Unique pupil number (13 characters, check letter first), or a DfE unknown code UN1-UN5.
    upn = models.CharField("UPN", max_length=13, blank=True, help_text="Unique pupil number")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    year_group = models.SmallIntegerField(choices=YEAR_GROUPS)
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        verbose_name="school or setting",
    )
    has_send = models.BooleanField("SEND", default=False, help_text="Special educational needs")
    has_ehcp = models.BooleanField("EHCP", default=False, help_text="Education, health and care plan")
    allocated_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caseload",
        limit_choices_to={"role": "officer"},
    )
    social_worker = models.ForeignKey(
        SocialWorker, null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    designated_teacher = models.ForeignKey(
        DesignatedTeacher, null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    entered_care_on = models.DateField("date entered care", null=True, blank=True)
    left_care_on = models.DateField("date left care", null=True, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "children"
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self):
        return f"{self.full_name} ({self.la_reference})"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def phase(self) -> "Phase":
        return Phase.for_year_group(self.year_group)

    @property
    def key_stage(self) -> str:
        return key_stage(self.year_group)


class TermQuerySet(models.QuerySet["Term"]):
    def current(self, today: date | None = None) -> "Term | None":
        today = today or date.today()
        return self.filter(start_date__lte=today).order_by("-start_date").first() or self.order_by("start_date").first()


class Term(models.Model):
    academic_year = models.PositiveSmallIntegerField(help_text="The year the academic year starts: 2025 for 2025/26.")
    season = models.CharField(max_length=6, choices=Season.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    pep_deadline = models.DateField("PEP deadline")

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["academic_year", "season"], name="unique_term"),
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="term_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.get_season_display()} {self.academic_year_label}"

    @property
    def academic_year_label(self):
        return academic_year_label(self.academic_year)


class PepStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for QA"
    RETURNED = "returned", "Returned for amendment"
    FINALISED = "finalised", "Finalised"


class Pep(models.Model):
    # No single-column indexes: the unique (child, term) serves lookups by child, the
    # (term, officer) and (term, status) indexes those by term (tests/test_database_indexes.py).
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="peps", db_index=False)
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="peps", db_index=False)
    # The officer who held the case that term: the caseload a sample is drawn from.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="peps",
    )
    phase = models.CharField(max_length=10, choices=Phase.choices)
    # The child's year group that term (the child record holds only the current one).
    year_group = models.SmallIntegerField(choices=YEAR_GROUPS, null=True, blank=True)
    status = models.CharField(max_length=10, choices=PepStatus.choices, default=PepStatus.DRAFT)
    meeting_date = models.DateField(null=True, blank=True)
    next_meeting_date = models.DateField(null=True, blank=True)
    sw_attended = models.BooleanField("social worker attended", default=False)
    dt_attended = models.BooleanField("designated teacher attended", default=False)
    child_attended = models.BooleanField("child attended", default=False)
    carer_attended = models.BooleanField("carer attended", default=False)
    sw_section_updated = models.BooleanField("SW section updated", default=False)
    pp_plus_requested = models.BooleanField("PP+ requested", default=False)
    pp_plus_amount = models.DecimalField(
        "PP+ amount requested (£)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    attendance_percent = models.DecimalField(
        "attendance this term (%)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    child_views = models.TextField("child's views", blank=True)
    education_summary = models.TextField(blank=True)
    attainment_summary = models.TextField("attainment and progress", blank=True)
    targets = models.TextField(blank=True)
    aspirations_summary = models.TextField("aspirations", blank=True)
    # The PEP in the ePEP system it came from (imports), and where to amend it.
    epep_reference = models.CharField("ePEP reference", max_length=64, blank=True)
    epep_url = models.URLField("link to the PEP in the ePEP system", max_length=500, blank=True)
    date_completed = models.DateField(null=True, blank=True)
    # The outcome of the latest submitted line-management QA, stored by reviews.services
    # (from reviews.rules) so lists and reports filter and sort on it cheaply.
    judgement = models.CharField(max_length=5, choices=Rating.choices, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-term__start_date", "child__last_name"]
        verbose_name = "PEP"
        verbose_name_plural = "PEPs"
        constraints = [
            models.UniqueConstraint(fields=["child", "term"], name="one_pep_per_child_per_term"),
        ]
        indexes = [
            models.Index(fields=["term", "officer"]),
            models.Index(fields=["term", "status"]),
        ]

    def __str__(self):
        return f"PEP {self.term} – {self.child.la_reference}"

    @property
    def completed_on_time(self) -> bool:
        return bool(self.date_completed and self.date_completed <= self.term.pep_deadline)


class PepStatusChange(models.Model):
    """An audit trail of a PEP's status: returned for amendment, amended, finalised."""

    pep = models.ForeignKey(Pep, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=PepStatus.choices)
    to_status = models.CharField(max_length=10, choices=PepStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self):
        return f"{self.pep}: {self.from_status} → {self.to_status}"


class AspirationCategory(models.TextChoices):
    ACADEMIC = "academic", "Academic"
    CAREER = "career", "Career"
    SPORTS = "sports", "Sports"
    ARTS = "arts", "The Arts"
    SOCIAL = "social", "Social and Relationships"
    COMMUNITY = "community", "Volunteering and the Community"
    ENRICHING = "enriching", "Life enriching activities"
    WELLBEING = "wellbeing", "Emotional wellbeing"
    OTHER = "other", "Other"


class AspirationEntry(models.Model):
    pep = models.ForeignKey(Pep, on_delete=models.CASCADE, related_name="aspirations")
    category = models.CharField(max_length=12, choices=AspirationCategory.choices)
    aspiration = models.TextField()
    steps = models.TextField("reasonable steps", blank=True)
    trusted_adult = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "Aspiration Pathway entry"
        verbose_name_plural = "Aspiration Pathway entries"

    def __str__(self):
        return f"{self.get_category_display()}: {self.aspiration[:50]}"
