"""The policy's judgement rules, as pure functions with no database.

From the policy table, for a pro-forma of n areas ("7/8" means "all but one"), checked
in this order:

- Red (poor quality): more than half of the areas are Red.
- Gold (high quality): at least n-1 areas Gold, and no area below Green.
- Green (good quality): at least n-1 areas Green or Gold, and no area Red.
- Amber (incomplete PEP): everything else.

Separately, when more than half of the areas are Red or Amber, the DT and SW must amend
those sections before the PEP is finalised.

Everything else in the code asks these functions; nothing re-derives a judgement.
"""

from collections import Counter
from collections.abc import Iterable

from core.vocabulary import Rating


def _counts(ratings: Iterable[str]) -> tuple[Counter, int]:
    values = [Rating(r) for r in ratings]
    if not values:
        raise ValueError("A judgement needs at least one rated area.")
    return Counter(values), len(values)


def overall_judgement(ratings: Iterable[str]) -> Rating:
    counts, n = _counts(ratings)
    red, amber = counts[Rating.RED], counts[Rating.AMBER]
    gold, green = counts[Rating.GOLD], counts[Rating.GREEN]
    if 2 * red > n:
        return Rating.RED
    if gold >= n - 1 and red == 0 and amber == 0:
        return Rating.GOLD
    if gold + green >= n - 1 and red == 0:
        return Rating.GREEN
    return Rating.AMBER


def needs_amendment(ratings: Iterable[str]) -> bool:
    counts, n = _counts(ratings)
    return 2 * (counts[Rating.RED] + counts[Rating.AMBER]) > n


def is_good_or_better(rating: str) -> bool:
    return Rating(rating) in (Rating.GOLD, Rating.GREEN)
