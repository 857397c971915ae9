from django.contrib.auth.models import AbstractUser
from django.db import models

from core.vocabulary import Role


class LeadAreaTheme(models.TextChoices):
    PHASE = "phase", "A phase"
    SEND = "send", "Children with SEND"
    PP_PLUS = "pp_plus", "PEPs requesting PP+"
    ATTENDANCE = "attendance", "Attendance below the threshold"


class LeadArea(models.Model):
    """An area a lead practitioner leads on: a phase (EYFS, Post 16) or a theme (SEND, PP+)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=80)
    theme = models.CharField(
        max_length=12,
        choices=LeadAreaTheme.choices,
        default=LeadAreaTheme.PHASE,
        help_text="Which PEPs the lead samples.",
    )
    phase = models.CharField(max_length=10, blank=True, help_text="The PEP phase this area covers, if it is a phase.")
    rated_areas = models.CharField(
        max_length=40,
        blank=True,
        help_text="Positions of the pro-forma areas the lead rates, e.g. 2,3,7. Blank: all.",
    )
    sample_size = models.PositiveSmallIntegerField(null=True, blank=True, help_text="PEPs a term. Blank: the default.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def rated_positions(self) -> list[int] | None:
        positions = [int(p) for p in self.rated_areas.replace(" ", "").split(",") if p.isdigit()]
        return positions or None


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OFFICER)
    job_title = models.CharField(max_length=120, blank=True)
    line_manager = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="line_reports",
        limit_choices_to={"role__in": [Role.MANAGER, Role.VSH]},
    )
    start_date = models.DateField(null=True, blank=True, help_text="Date the person joined the Virtual School.")
    lead_areas = models.ManyToManyField(LeadArea, blank=True, related_name="leads")

    class Meta:
        ordering = ["first_name", "last_name"]

    def __str__(self):
        return self.name_of(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """How a person is named on a page, from the three columns (for rows read as values)."""
        return f"{first_name} {last_name}".strip() or username
