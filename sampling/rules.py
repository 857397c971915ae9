"""Sampling arithmetic and agreement statistics: pure Python, no database.

The policy: each term a VS manager reviews at least 25% (rounded up) of each officer's
caseload PEPs, always including every child whose previous PEP was rated Amber (or Red);
more for an officer in their first month and for one whose PEPs were often Amber or Red
last term. Every figure is a setting (see `SamplingPolicy`).
"""

import hashlib
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from core.vocabulary import RANK, Rating


class Reason:
    """Why a PEP is in a sample (stored on the sample entry)."""

    PREVIOUS_AMBER = "previous_amber"
    RANDOM_SHARE = "random_share"
    NEW_STARTER = "new_starter"
    QUALITY_CONCERN = "quality_concern"
    LEAD_AREA = "lead_area"
    CROSS_MODERATION = "cross_moderation"
    MODERATION_GROUP = "moderation_group"

    CHOICES = [
        (PREVIOUS_AMBER, "Previous PEP rated Amber or Red"),
        (RANDOM_SHARE, "Random share of the caseload"),
        (NEW_STARTER, "Officer in their first month"),
        (QUALITY_CONCERN, "Officer's PEPs often Amber or Red last term"),
        (LEAD_AREA, "Lead area sample"),
        (CROSS_MODERATION, "Cross-moderation between managers"),
        (MODERATION_GROUP, "Moderation group sample"),
    ]


@dataclass(frozen=True)
class SamplingPolicy:
    base_rate: Fraction = Fraction(1, 4)
    new_starter_rate: Fraction = Fraction(1, 2)
    new_starter_days: int = 30
    concern_rate: Fraction = Fraction(1, 2)
    # The officer's rate rises when more than this share of last term's judged PEPs
    # were Amber or Red.
    concern_share: Fraction = Fraction(1, 3)
    lead_sample_size: int = 5
    cross_moderation_size: int = 3
    moderation_group_size: int = 10


def minimum_sample(caseload: int, rate: Fraction) -> int:
    """At least `rate` of the caseload, rounded up (exact: no float error at 25%)."""
    if caseload < 0:
        raise ValueError("caseload cannot be negative")
    return math.ceil(Fraction(caseload) * Fraction(rate))


def is_new_starter(start_date: date | None, term_start: date, days: int) -> bool:
    """Started during the term, or at most `days` before it opened."""
    return start_date is not None and start_date >= term_start - timedelta(days=days)


def amber_red_share(judgements: Iterable[str]) -> Fraction | None:
    judged = [j for j in judgements if j]
    if not judged:
        return None
    return Fraction(sum(1 for j in judged if j in (Rating.AMBER, Rating.RED)), len(judged))


def officer_rate(
    policy: SamplingPolicy,
    *,
    start_date: date | None,
    term_start: date,
    last_term_judgements: Iterable[str] = (),
) -> tuple[Fraction, str]:
    """The officer's sampling rate this term and the reason for the random share."""
    rate, reason = Fraction(policy.base_rate), Reason.RANDOM_SHARE
    share = amber_red_share(last_term_judgements)
    if share is not None and share > policy.concern_share and policy.concern_rate > rate:
        rate, reason = Fraction(policy.concern_rate), Reason.QUALITY_CONCERN
    if is_new_starter(start_date, term_start, policy.new_starter_days) and policy.new_starter_rate > rate:
        rate, reason = Fraction(policy.new_starter_rate), Reason.NEW_STARTER
    return rate, reason


def _shuffled(items: Iterable[Hashable], seed: str, order_key: Mapping | None = None) -> list:
    """A seeded random order in which each item's place depends only on the seed and the
    item (or its stable key, such as the child's LA reference), so adding a candidate later
    does not reshuffle the others."""
    order_key = order_key or {}

    def place(item):
        return hashlib.sha256(f"{seed}:{order_key.get(item, item)}".encode()).digest(), item

    return sorted(items, key=place)


def select_sample(
    candidates: Iterable[int],
    *,
    must_include: Iterable[int] = (),
    already_chosen: Iterable[int] = (),
    target: int,
    seed: str,
    fill_reason: str,
    must_reason: str = Reason.PREVIOUS_AMBER,
    order_key: Mapping | None = None,
) -> list[tuple[int, str]]:
    """The PEPs to ADD to a sample so that it holds every must-include PEP and at least
    `target` PEPs in all.

    Deterministic for a seed: each candidate's place in the random order depends only on
    the seed and the candidate, so a rerun picks the same PEPs and a PEP added later only
    tops the sample up. Returns (pep id, reason) pairs, none already chosen.
    """
    candidates = set(candidates)
    chosen = set(already_chosen)
    additions: list[tuple[int, str]] = []
    for pep_id in sorted(set(must_include) & candidates - chosen):
        additions.append((pep_id, must_reason))
        chosen.add(pep_id)
    shortfall = target - len(chosen & candidates)
    if shortfall > 0:
        for pep_id in _shuffled(candidates - chosen, seed, order_key):
            if shortfall == 0:
                break
            additions.append((pep_id, fill_reason))
            chosen.add(pep_id)
            shortfall -= 1
    return additions


# --- agreement between two raters ---------------------------------------------------

SCALE = [Rating.RED, Rating.AMBER, Rating.GREEN, Rating.GOLD]


def exact_agreement(pairs: Sequence[tuple[str, str]]) -> float | None:
    if not pairs:
        return None
    return sum(1 for a, b in pairs if a == b) / len(pairs)


# Looked up by the stored string a pair holds, not the enum member.
_RANK_OF_VALUE: dict[str, int] = {rating.value: rank for rating, rank in RANK.items()}


def weighted_kappa(pairs: Sequence[tuple[str, str]], weights: str = "linear") -> float | None:
    """Cohen's weighted kappa for two raters on the ordinal Red < Amber < Green < Gold scale.

    1 is perfect agreement, 0 what chance would give. None when there are no pairs or
    when chance agreement is already total (both raters used one and the same level), where
    kappa is undefined.
    """
    if not pairs:
        return None
    k = len(SCALE)
    n = len(pairs)
    power = 1 if weights == "linear" else 2
    observed = [[0] * k for _ in range(k)]
    for a, b in pairs:
        i, j = _RANK_OF_VALUE.get(a), _RANK_OF_VALUE.get(b)
        if i is None or j is None:
            raise ValueError(f"not a rating: {a!r} or {b!r}")
        observed[i][j] += 1
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    # In whole numbers: the weight's denominator ((k - 1) or its square) is in both sums
    # and cancels, so kappa = 1 - n * observed / expected exactly (no Fractions a cell:
    # a term's nine kappas were a tenth of the dashboard's figures), and a kappa of what
    # chance gives is 0, not -1e-17 (shown "-0.00").
    disagreement_observed = sum(abs(i - j) ** power * observed[i][j] for i in range(k) for j in range(k))
    disagreement_expected = sum(abs(i - j) ** power * rows[i] * cols[j] for i in range(k) for j in range(k))
    if disagreement_expected == 0:
        return None
    return float(1 - Fraction(n * disagreement_observed, disagreement_expected))


# Kappa from a handful of re-ratings swings from 1 to 0 (or below) on one PEP: under this
# many paired ratings it is not reported, only the counts. Ten is the usual floor for a
# two-rater kappa on a four-level scale; a term's cross-moderation (three PEPs for each
# manager) and moderation group (ten) reach it school-wide.
KAPPA_MINIMUM_PAIRS = 10


class KappaWithheld:
    """Why an agreement figure has no kappa."""

    TOO_FEW = "too_few"  # fewer than the minimum paired ratings
    ONE_LEVEL = "one_level"  # both raters used one and the same level: 0/0, undefined


@dataclass(frozen=True)
class AgreementFigure:
    """How far two raters agreed: the counts, and kappa only where it means something."""

    pairs: int
    agreed: int
    kappa: float | None
    withheld: str = ""  # a KappaWithheld reason when kappa is None and there are pairs
    minimum: int = KAPPA_MINIMUM_PAIRS

    @property
    def exact(self) -> Fraction | None:
        return Fraction(self.agreed, self.pairs) if self.pairs else None


def agreement_figure(pairs: Sequence[tuple[str, str]], minimum: int = KAPPA_MINIMUM_PAIRS) -> AgreementFigure:
    """Counts of agreement and linear-weighted kappa, withheld (with the reason) when there
    are fewer than ``minimum`` pairs or when kappa is undefined."""
    agreed = sum(1 for a, b in pairs if a == b)
    if not pairs:
        return AgreementFigure(0, 0, None, "", minimum)
    if len(pairs) < minimum:
        return AgreementFigure(len(pairs), agreed, None, KappaWithheld.TOO_FEW, minimum)
    kappa = weighted_kappa(pairs)
    return AgreementFigure(len(pairs), agreed, kappa, "" if kappa is not None else KappaWithheld.ONE_LEVEL, minimum)
