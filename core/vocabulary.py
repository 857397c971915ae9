"""The words every app shares: ratings, phases, roles, terms.

The lowest layer of the project: it imports nothing of it, so any app may import it.
"""

from django.db import models


class Rating(models.TextChoices):
    GOLD = "gold", "Gold"
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"

    @property
    def rank(self) -> int:
        """Higher is better: red 0, amber 1, green 2, gold 3."""
        return RANK[self]

    @property
    def quality_label(self) -> str:
        return QUALITY_LABELS[self]


RANK = {Rating.RED: 0, Rating.AMBER: 1, Rating.GREEN: 2, Rating.GOLD: 3}

QUALITY_LABELS = {
    Rating.GOLD: "High quality",
    Rating.GREEN: "Good quality",
    Rating.AMBER: "Incomplete PEP",
    Rating.RED: "Poor quality",
}


class Phase(models.TextChoices):
    EYFS = "eyfs", "EYFS"
    SSA = "ssa", "SSA"
    POST16 = "post16", "Post 16"

    @classmethod
    def for_year_group(cls, year_group: int) -> "Phase":
        if year_group <= 0:
            return cls.EYFS
        if year_group <= 11:
            return cls.SSA
        return cls.POST16


YEAR_GROUPS = [(-2, "Early years (age 2)"), (-1, "Nursery"), (0, "Reception")] + [
    (n, f"Year {n}") for n in range(1, 14)
]


def key_stage(year_group: int) -> str:
    if year_group <= 0:
        return "EYFS"
    if year_group <= 2:
        return "KS1"
    if year_group <= 6:
        return "KS2"
    if year_group <= 9:
        return "KS3"
    if year_group <= 11:
        return "KS4"
    return "KS5"


class Role(models.TextChoices):
    OFFICER = "officer", "Virtual School Officer / Practitioner"
    MANAGER = "manager", "VS manager"
    LEAD = "lead", "Lead practitioner"
    VSH = "vsh", "Virtual School Head"
    ADMINISTRATOR = "administrator", "Administrator"


class Season(models.TextChoices):
    AUTUMN = "autumn", "Autumn"
    SPRING = "spring", "Spring"
    SUMMER = "summer", "Summer"


SEASON_ORDER = {Season.AUTUMN: 0, Season.SPRING: 1, Season.SUMMER: 2}


def academic_year_label(academic_year: int) -> str:
    """2025 -> "2025/26": the year an academic year starts, as schools write it."""
    return f"{academic_year}/{(academic_year + 1) % 100:02d}"


def term_label(season: str, academic_year: int) -> str:
    """ "Autumn 2025/26"."""
    return f"{Season(season).label} {academic_year_label(academic_year)}"
