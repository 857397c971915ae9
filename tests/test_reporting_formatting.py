"""reporting.formatting: the reports' one rounding of a share, halves up on its exact value."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from hvs_qa.templatetags.hvs import percent as percent_filter
from reporting import pdf
from reporting.formatting import percent, whole_percent


def test_halves_are_rounded_up_on_the_exact_share():
    assert percent(Fraction(5, 8)) == "63%"  # 62.5: float round() says 62
    assert percent(Fraction(1, 8)) == "13%"  # 12.5: float round() says 12
    assert percent(Fraction(1, 3)) == "33%"
    assert percent(Fraction(2, 3)) == "67%"
    assert percent(Decimal("0.145")) == "15%"
    assert percent(0) == "0%" and percent(1) == "100%"


def test_a_float_share_is_taken_at_its_decimal_value():
    # 0.145 * 100 is 14.499999999999998 in floating point; the share is 14.5%.
    assert round(0.145 * 100) == 14
    assert whole_percent(0.145) == 15
    assert percent(5 / 8) == "63%"


def test_no_share_is_no_data():
    assert percent(None) == "no data"
    assert whole_percent(None) is None
    assert pdf.pct(None) == "–"
    assert percent_filter(None) == "not enough data"


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10_000))
def test_every_formatter_rounds_the_same_way(part, extra):
    whole = part + extra
    half_up = (200 * part + whole) // (2 * whole)  # integer arithmetic: no float anywhere
    expected = f"{half_up}%"
    assert whole_percent(Fraction(part, whole)) == half_up
    assert percent(Fraction(part, whole)) == expected
    assert percent(part / whole) == expected  # a float k / n, as the moderation page has
    assert percent_filter(Fraction(part, whole)) == expected
    assert pdf.pct(Fraction(part, whole)) == expected
