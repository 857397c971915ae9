"""reviews.rules: the policy's overall judgement and amendment rule. No database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.vocabulary import QUALITY_LABELS, RANK, Rating
from reviews.rules import is_good_or_better, needs_amendment, overall_judgement

GOLD, GREEN, AMBER, RED = Rating.GOLD, Rating.GREEN, Rating.AMBER, Rating.RED

ratings_lists = st.lists(st.sampled_from(list(Rating)), min_size=1, max_size=20)


def _raise_one_level(rating: Rating) -> Rating:
    return {RED: AMBER, AMBER: GREEN, GREEN: GOLD}[rating]


def policy_table(ratings: list[str]) -> str:
    """The domain.md table, written independently of reviews.rules, row by row."""
    values = [str(r) for r in ratings]
    n = len(values)
    all_but_one = n - 1
    golds, greens = values.count("gold"), values.count("green")
    ambers, reds = values.count("amber"), values.count("red")
    # Red: "more than half of the areas are Red"
    if reds > n / 2:
        return "red"
    # Gold: "at least n-1 areas Gold, and no area below Green"
    if golds >= all_but_one and ambers == 0 and reds == 0:
        return "gold"
    # Green: "at least n-1 areas Green or Gold, and no area Red"
    if golds + greens >= all_but_one and "red" not in values:
        return "green"
    # Amber: "everything else"
    return "amber"


def policy_amendment(ratings: list[str]) -> bool:
    """ "more than half of the areas are Red or Amber"."""
    values = [str(r) for r in ratings]
    return values.count("red") + values.count("amber") > len(values) / 2


# The worked examples


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        pytest.param([GOLD] * 8, GOLD, id="8 gold -> gold"),
        pytest.param([GOLD] * 7 + [GREEN], GOLD, id="7 gold + 1 green -> gold"),
        pytest.param([GOLD] * 7 + [AMBER], GREEN, id="7 gold + 1 amber -> green"),
        pytest.param([GOLD] * 6 + [GREEN] * 2, GREEN, id="6 gold + 2 green -> green"),
        pytest.param([AMBER] * 2 + [GOLD] * 6, AMBER, id="2 amber + 6 gold -> amber"),
        pytest.param([GREEN] * 7 + [RED], AMBER, id="7 green + 1 red -> amber"),
        pytest.param([RED] * 5 + [GOLD] * 3, RED, id="5 red + 3 gold -> red"),
        pytest.param([RED] * 4 + [GOLD] * 4, AMBER, id="4 red + 4 gold -> amber"),
    ],
)
def test_overall_judgement_examples(ratings, expected):
    assert overall_judgement(ratings) == expected
    # The same answer from plain strings, in reverse order.
    assert overall_judgement([str(r) for r in reversed(ratings)]) == expected


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        pytest.param([RED] * 4 + [GOLD] * 4, False, id="4 red of 8"),
        pytest.param([AMBER] * 4 + [GREEN] * 4, False, id="4 amber of 8"),
        pytest.param([RED] * 2 + [AMBER] * 2 + [GOLD] * 4, False, id="4 red/amber of 8"),
        pytest.param([RED] * 5 + [GOLD] * 3, True, id="5 red of 8"),
        pytest.param([AMBER] * 5 + [GREEN] * 3, True, id="5 amber of 8"),
        pytest.param([RED] * 2 + [AMBER] * 3 + [GOLD] * 3, True, id="5 red/amber of 8"),
        pytest.param([GOLD] * 8, False, id="none of 8"),
    ],
)
def test_needs_amendment_boundary(ratings, expected):
    assert needs_amendment(ratings) is expected


@pytest.mark.parametrize("rule", [overall_judgement, needs_amendment])
def test_empty_input_is_refused(rule):
    with pytest.raises(ValueError):
        rule([])


@pytest.mark.parametrize("rule", [overall_judgement, needs_amendment])
@pytest.mark.parametrize("bad", ["purple", "", "Gold", None])
def test_invalid_rating_is_refused(rule, bad):
    with pytest.raises(ValueError):
        rule([GOLD] * 7 + [bad])


def test_rules_accept_a_one_pass_iterable():
    assert overall_judgement(r for r in [GOLD] * 8) == GOLD
    assert needs_amendment(r for r in [RED] * 8) is True


def test_rank_orders_the_ratings_and_labels_follow_the_policy():
    assert [r.rank for r in (RED, AMBER, GREEN, GOLD)] == [0, 1, 2, 3]
    assert GOLD.quality_label == "High quality"
    assert GREEN.quality_label == "Good quality"
    assert AMBER.quality_label == "Incomplete PEP"
    assert RED.quality_label == "Poor quality"
    assert set(QUALITY_LABELS) == set(Rating)


@pytest.mark.parametrize(("rating", "good"), [("gold", True), ("green", True), ("amber", False), ("red", False)])
def test_is_good_or_better(rating, good):
    assert is_good_or_better(rating) is good


# Properties over any number of areas


@given(ratings_lists)
def test_judgement_is_total(ratings):
    result = overall_judgement(ratings)
    assert isinstance(result, Rating)
    assert [r for r in Rating if r == result] == [result]


@given(ratings_lists, st.randoms(use_true_random=False))
def test_judgement_ignores_order(ratings, random):
    shuffled = list(ratings)
    random.shuffle(shuffled)
    assert overall_judgement(shuffled) == overall_judgement(ratings)
    assert needs_amendment(shuffled) == needs_amendment(ratings)


@given(ratings_lists, st.data())
def test_raising_one_area_never_lowers_the_judgement(ratings, data):
    raisable = [i for i, r in enumerate(ratings) if r != GOLD]
    if not raisable:
        return
    i = data.draw(st.sampled_from(raisable), label="area raised")
    raised = list(ratings)
    raised[i] = _raise_one_level(raised[i])
    assert RANK[overall_judgement(raised)] >= RANK[overall_judgement(ratings)]
    assert overall_judgement(raised).rank >= overall_judgement(ratings).rank


@given(ratings_lists, st.data())
def test_raising_one_area_never_creates_an_amendment(ratings, data):
    raisable = [i for i, r in enumerate(ratings) if r != GOLD]
    if not raisable:
        return
    i = data.draw(st.sampled_from(raisable), label="area raised")
    raised = list(ratings)
    raised[i] = _raise_one_level(raised[i])
    if not needs_amendment(ratings):
        assert not needs_amendment(raised)


@given(ratings_lists)
def test_judgement_agrees_with_the_policy_table(ratings):
    assert overall_judgement(ratings) == policy_table(ratings)
    assert needs_amendment(ratings) is policy_amendment(ratings)


@given(st.lists(st.sampled_from(list(Rating)), min_size=8, max_size=8))
def test_red_judgement_always_needs_amendment(ratings):
    # A Red majority is also a Red-or-Amber majority.
    if overall_judgement(ratings) == RED:
        assert needs_amendment(ratings)
