"""Gold practice: the reviewer marks what made a PEP (or an area) Gold; the VSH anonymises
the marks into the library of exemplars, or declines them.

Who may do what is the access policy's (``hvs.mark_gold`` with the review,
``hvs.curate_exemplars``), asked through ``user.has_perm``. A mark is one per review and
area (None: the PEP as a whole), so a second submit, or a second tab, edits it.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from core.vocabulary import Rating
from reviews.models import ProFormaArea, QaReview

from .models import GoldExemplar, GoldExemplarStatus

# Words of a school's name that say nothing about which school it is.
GENERIC_SCHOOL_WORDS = {
    "academy",
    "and",
    "catholic",
    "ce",
    "church",
    "college",
    "community",
    "england",
    "federation",
    "first",
    "free",
    "grammar",
    "high",
    "infant",
    "infants",
    "junior",
    "juniors",
    "middle",
    "nursery",
    "of",
    "primary",
    "rc",
    "school",
    "secondary",
    "sixth",
    "form",
    "st",
    "the",
    "trust",
    "upper",
    "lower",
    "village",
}
TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr"}


@dataclass(frozen=True)
class Identifier:
    """Something that would tell who the PEP is about: what it is ("the child's first
    name") and its value as recorded."""

    what: str
    value: str


def identifiers(review: QaReview) -> list[Identifier]:
    """What the anonymised text of an exemplar of ``review`` must not contain: the child's
    first and last names, LA reference and UPN, the school's name, the designated teacher's
    and social worker's names, and the names of the officer who held the PEP and of the
    child's officer."""
    pep = review.pep
    child = pep.child
    found = [
        Identifier("the child's first name", child.first_name),
        Identifier("the child's last name", child.last_name),
        Identifier("the child's LA reference", child.la_reference),
        Identifier("the child's UPN", child.upn),
    ]
    if child.school is not None:
        found.append(Identifier("the school's name", child.school.name))
    if child.designated_teacher is not None:
        found.append(Identifier("the designated teacher's name", child.designated_teacher.name))
    if child.social_worker is not None:
        found.append(Identifier("the social worker's name", child.social_worker.name))
    for officer in {o for o in (pep.officer, child.allocated_officer) if o is not None}:
        found.append(Identifier("the officer's name", f"{officer.first_name} {officer.last_name}".strip()))
    return [item for item in found if item.value and item.value.strip()]


def _words(value: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", value)


def _contains(text: str, phrase: str) -> bool:
    """``phrase`` in ``text`` as whole words, ignoring case and spacing."""
    words = _words(phrase)
    if not words:
        return False
    pattern = r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?![^\W_])"
    return re.search(pattern, text, flags=re.IGNORECASE) is not None


def _parts(item: Identifier) -> list[str]:
    """The phrases to look for: the whole value, and for a name (the child's, a person's,
    the school's) each word that could point to them on its own (not a title, not
    "Primary School"): a child called "Mary Jane" is named by "Jane" alone."""
    phrases = [item.value]
    if item.what.endswith("name"):
        skip = GENERIC_SCHOOL_WORDS if item.what == "the school's name" else TITLES
        phrases += [w for w in _words(item.value) if len(w) >= 3 and w.casefold() not in skip and w != item.value]
    return phrases


def identifying(text: str, items: list[Identifier]) -> list[tuple[Identifier, str]]:
    """Each identifier found in ``text``, with what was found of it (pure)."""
    found = []
    for item in items:
        for phrase in _parts(item):
            if _contains(text, phrase):
                found.append((item, phrase))
                break
    return found


def anonymisation_errors(text: str, review: QaReview) -> list[str]:
    """The reasons ``text`` is not anonymised, one per identifier found."""
    return [
        f"Remove {item.what} (“{phrase}”) from the anonymised text"
        for item, phrase in identifying(text, identifiers(review))
    ]


def gold_areas(review: QaReview) -> list[ProFormaArea]:
    """The areas ``review`` rated Gold, in pro-forma order."""
    return [
        rating.area
        for rating in review.area_ratings.select_related("area").filter(rating=Rating.GOLD).order_by("area__position")
    ]


def mark_gold(
    review: QaReview, user: User, what_made_it_gold: str, area: ProFormaArea | None = None
) -> tuple[GoldExemplar, bool]:
    """Record what made ``review``'s PEP (``area`` None) or one of its Gold areas Gold;
    (the mark, whether it is new). A second mark of the same review and area edits it."""
    if not user.has_perm("hvs.mark_gold", review):
        raise PermissionDenied("Only the reviewer of a submitted Gold review can mark what made it Gold")
    text = what_made_it_gold.strip()
    if not text:
        raise ValidationError("Enter what made it Gold")
    if area is None and review.overall_judgement != Rating.GOLD:
        raise ValidationError("The PEP as a whole was not judged Gold: choose one of its Gold areas")
    if area is not None and area.pk not in {a.pk for a in gold_areas(review)}:
        raise ValidationError("Choose an area this review rated Gold")
    try:
        with transaction.atomic():
            return (
                GoldExemplar.objects.create(review=review, area=area, what_made_it_gold=text, marked_by=user),
                True,
            )
    except IntegrityError:
        pass
    # Already marked (a second submit, another tab): edit it.
    with transaction.atomic():
        exemplar = GoldExemplar.objects.select_for_update().get(review=review, area=area)
        exemplar.what_made_it_gold = text
        exemplar.save(update_fields=["what_made_it_gold"])
    return exemplar, False


class AlreadyCurated(ValidationError):
    """The exemplar was accepted or declined meanwhile (another tab)."""


def _curating(exemplar: GoldExemplar, user: User) -> GoldExemplar:
    if not user.has_perm("hvs.curate_exemplars"):
        raise PermissionDenied("Only the Virtual School Head curates the library of exemplars")
    # Locks the mark only, not the review, PEP and child read with it.
    return GoldExemplar.objects.select_for_update(of=("self",)).select_related("review__pep__child").get(pk=exemplar.pk)


@transaction.atomic
def accept_exemplar(exemplar: GoldExemplar, user: User, title: str, anonymised_text: str) -> GoldExemplar:
    """Put ``exemplar`` in the library with a title and its anonymised text. Refused
    (ValidationError, keyed by field) when either is missing or names the child, the
    school or the people of the PEP."""
    locked = _curating(exemplar, user)
    title, text = title.strip(), anonymised_text.strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Enter a title"]
    else:
        errors["title"] = [e.replace("anonymised text", "title") for e in anonymisation_errors(title, locked.review)]
    if not text:
        errors["anonymised_text"] = ["Enter the anonymised text"]
    else:
        errors["anonymised_text"] = anonymisation_errors(text, locked.review)
    errors = {name: messages for name, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)
    locked.status = GoldExemplarStatus.IN_LIBRARY
    locked.title, locked.anonymised_text = title, text
    locked.curated_by, locked.curated_at = user, timezone.now()
    locked.save(update_fields=["status", "title", "anonymised_text", "curated_by", "curated_at"])
    return locked


@transaction.atomic
def decline_exemplar(exemplar: GoldExemplar, user: User) -> GoldExemplar:
    """Keep ``exemplar`` out of the library (declined; taken out if it was in it)."""
    locked = _curating(exemplar, user)
    if locked.status == GoldExemplarStatus.DECLINED:
        raise AlreadyCurated("This exemplar was already declined")
    locked.status = GoldExemplarStatus.DECLINED
    locked.curated_by, locked.curated_at = user, timezone.now()
    locked.save(update_fields=["status", "curated_by", "curated_at"])
    return locked
