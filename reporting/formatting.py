"""How every report writes a share: one rounding rule, one formatter.

A share (0 to 1) is shown as a whole percentage, rounded half up on its exact value: 5 of
8 is 62.5%, shown as 63%, on the dashboard, in the downloads and in the PDFs alike. Never
Python's ``round()`` on a float, which rounds 62.5 to the even 62 (and 0.145 to 14.0).

The figures service (reporting.figures) gives shares as exact fractions; a share that is
one part of a split shown as a whole arrives already as its largest-remainder part
(a whole number of hundredths), so it is shown as it is. Nothing is computed here.
"""

import math
from decimal import Decimal
from fractions import Fraction

from sampling.rules import AgreementFigure, KappaWithheld

NO_SHARE = "no data"
HALF = Fraction(1, 2)


def exact(share: Fraction | Decimal | int | float) -> Fraction:
    """``share`` as an exact fraction. A float (the moderation page's agreement, say) is
    taken as the shortest decimal that reads back as it: a share worked out as k / n in
    floating point comes back as k / n's own decimal, not its binary approximation."""
    if isinstance(share, float):
        return Fraction(repr(share))
    return Fraction(share)


def whole_percent(share: Fraction | Decimal | int | float | None) -> int | None:
    """The share as a whole percentage, halves rounded up; None when there is no share."""
    if share is None:
        return None
    return math.floor(exact(share) * 100 + HALF)


def percent(share: Fraction | Decimal | int | float | None, none: str = NO_SHARE) -> str:
    """The share as the reports write it, "63%"; ``none`` when there is no share."""
    value = whole_percent(share)
    return none if value is None else f"{value}%"


def agreed_of(figure: AgreementFigure) -> str:
    """Moderation agreement as counts first, "3 of 4 agreed (75%)": a share of a handful of
    re-ratings alone reads as more than it is."""
    if not figure.pairs:
        return "No re-ratings yet"
    return f"{figure.agreed} of {figure.pairs} agreed ({percent(figure.exact)})"


def kappa_text(figure: AgreementFigure) -> str:
    """Kappa to two decimals, or why there is none (sampling.rules.agreement_figure)."""
    if figure.kappa is not None:
        return f"{figure.kappa:.2f}"
    if figure.withheld == KappaWithheld.TOO_FEW:
        return f"Too few re-ratings to compute kappa (need {figure.minimum})"
    if figure.withheld == KappaWithheld.ONE_LEVEL:
        return "Kappa cannot be computed: both raters gave every PEP the same rating"
    return "No re-ratings yet"
