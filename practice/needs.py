"""Who needs supervision this term, and why.

The policy: "where VS staff are not meeting expected standards, managers use one-to-one
supervision to discuss the document". An officer needs one this term when more of their
PEPs were judged Amber or Red than the sampling policy's concern share (QA_SAMPLING
"concern_share", the share that also raises their QA sample), when any PEP was judged
Red, or when actions agreed with them are overdue.

``supervision_reasons`` is the rule (counts in, plain words out); ``needs_supervision``
reads what it needs for a whole team in a fixed number of queries.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import floor

from django.db.models import Count, Max, QuerySet

from accounts.models import User
from core.queries import InSubquery
from core.vocabulary import Rating
from peps.models import Pep, Term
from reviews.models import QaReview, ReviewKind, ReviewStatus
from sampling.rules import amber_red_share
from sampling.services.drawing import policy_from_settings

from .models import ActionStatus, CapabilityConcern, PracticeAction, Supervision

CONCERN_RATINGS = (Rating.AMBER, Rating.RED)


def percent(share: Fraction) -> int:
    """A share as a whole percentage, halves rounded up (4 of 9 is 44%, 1/3 is 33%)."""
    return floor(share * 100 + Fraction(1, 2))


def supervision_reasons(judgements: Iterable[str], overdue_actions: int, concern_share: Fraction) -> list[str]:
    """Why an officer needs supervision, in plain words; empty when they do not.

    ``judgements``: the judgements of their PEPs this term (blank for one not judged yet,
    which does not count). More Amber or Red than ``concern_share`` is a reason; so is any
    Red (even within the share), and any overdue action."""
    judged = [j for j in judgements if j]
    reasons = []
    share = amber_red_share(judged)
    if share is not None and share > concern_share:
        concerning = sum(1 for j in judged if j in CONCERN_RATINGS)
        reasons.append(
            f"{concerning} of {len(judged)} PEP{'s' if len(judged) != 1 else ''} Amber or Red this term "
            f"({percent(share)}%, above {percent(concern_share)}%)"
        )
    red = sum(1 for j in judged if j == Rating.RED)
    if red:
        reasons.append(f"{red} PEP{'s' if red != 1 else ''} rated Red")
    if overdue_actions:
        reasons.append(f"{overdue_actions} action{'s' if overdue_actions != 1 else ''} overdue")
    return reasons


@dataclass
class NeedsSupervision:
    """One officer who needs supervision: why, when they last had one, and the reviews to
    discuss (the Amber and Red line-management reviews of their PEPs this term)."""

    officer: User
    reasons: list[str]
    last_supervision: date | None = None
    reviews: list[QaReview] = field(default_factory=list)
    capability_open: bool = False
    # Set by the page, from the access policy: whether the viewer may see the process.
    may_see_capability: bool = False


def needs_supervision(
    officers: QuerySet[User],
    term: Term | None,
    today: date,
    *,
    reviews: QuerySet[QaReview] | None = None,
    capability: QuerySet[CapabilityConcern] | None = None,
    concern_share: Fraction | None = None,
) -> list[NeedsSupervision]:
    """The officers among ``officers`` who need supervision, by name.

    ``reviews`` is the scope the reviews to discuss come from (the viewer's visible
    reviews: a child is linked only for someone who may see the review). ``capability``
    is the viewer's scope of capability concerns (access.policy.visible_capability): an
    open one is flagged only where it holds it, so pass it only for someone who may see.
    At most six queries, whatever the size of the team."""
    if concern_share is None:
        concern_share = policy_from_settings().concern_share
    people = list(officers.order_by("first_name", "last_name", "pk"))
    ids = [person.pk for person in people]
    if not ids:
        return []
    judgements: dict[int, list[str]] = defaultdict(list)
    if term is not None:
        for officer_id, judgement in (
            Pep.objects.filter(term=term, officer_id__in=ids).order_by().values_list("officer_id", "judgement")
        ):
            judgements[officer_id].append(judgement)
    overdue = dict(
        PracticeAction.objects.filter(owner_id__in=ids, status=ActionStatus.OPEN, due__lt=today)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    rows = []
    for person in people:
        reasons = supervision_reasons(judgements.get(person.pk, ()), overdue.get(person.pk, 0), concern_share)
        if reasons:
            rows.append(NeedsSupervision(officer=person, reasons=reasons))
    if not rows:
        return rows
    needing = [row.officer.pk for row in rows]
    last = dict(
        Supervision.objects.filter(officer_id__in=needing)
        .order_by()
        .values("officer_id")
        .annotate(last=Max("date"))
        .values_list("officer_id", "last")
    )
    to_discuss: dict[int, list[QaReview]] = defaultdict(list)
    if term is not None and reviews is not None:
        for review in _reviews_to_discuss(reviews, term, needing):
            if review.pep.officer_id is not None:
                to_discuss[review.pep.officer_id].append(review)
    flagged: set[int] = set()
    if capability is not None:
        flagged = set(
            capability.filter(officer_id__in=needing, closed_on__isnull=True).values_list("officer_id", flat=True)
        )
    for row in rows:
        row.last_supervision = last.get(row.officer.pk)
        row.reviews = to_discuss.get(row.officer.pk, [])
        row.capability_open = row.officer.pk in flagged
    return rows


def _reviews_to_discuss(reviews: QuerySet[QaReview], term: Term, officer_ids: Sequence[int]) -> QuerySet[QaReview]:
    return (
        reviews.filter(
            # The term's PEPs of these officers as an array (core.queries.InSubquery): their
            # reviews found by index, not every review of the archive read and filtered.
            InSubquery("pep", Pep.objects.filter(term=term, officer_id__in=officer_ids).values("pk")),
            kind=ReviewKind.LINE_MANAGEMENT,
            status=ReviewStatus.SUBMITTED,
            overall_judgement__in=CONCERN_RATINGS,
            pep__term=term,
            pep__officer_id__in=officer_ids,
        )
        .select_related("pep__child")
        .order_by("pep__child__la_reference", "pk")
    )
