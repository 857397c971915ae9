"""sampling.rules: sample sizes, officer rates, seeded selection and agreement statistics (no database)."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sampling.rules import (
    KAPPA_MINIMUM_PAIRS,
    KappaWithheld,
    Reason,
    SamplingPolicy,
    agreement_figure,
    exact_agreement,
    minimum_sample,
    officer_rate,
    select_sample,
    weighted_kappa,
)

GOLD, GREEN, AMBER, RED = "gold", "green", "amber", "red"
LEVELS = [RED, AMBER, GREEN, GOLD]
MUST, FILL = "must", "fill"
POLICY = SamplingPolicy()
TERM_START = date(2025, 9, 1)


# minimum_sample


@pytest.mark.parametrize(("caseload", "expected"), [(0, 0), (1, 1), (4, 1), (5, 2), (8, 2), (9, 3), (100, 25)])
def test_minimum_sample_is_a_quarter_rounded_up(caseload, expected):
    assert minimum_sample(caseload, Fraction(1, 4)) == expected


@pytest.mark.parametrize(("caseload", "expected"), [(3, 1), (4, 2), (6, 2), (7, 3), (30, 10)])
def test_minimum_sample_is_exact_at_a_third(caseload, expected):
    # 0.1 + 0.2 style float error would push 30 * (1/3) to 10.000000000000002 and round up to 11.
    assert minimum_sample(caseload, Fraction(1, 3)) == expected


def test_minimum_sample_is_exact_at_rates_floats_get_wrong():
    # 100 * 0.07 == 7.000000000000001 in floats; the exact answer is 7.
    assert minimum_sample(100, Fraction(7, 100)) == 7
    assert minimum_sample(10, Fraction(3, 10)) == 3


def test_minimum_sample_rejects_a_negative_caseload():
    with pytest.raises(ValueError):
        minimum_sample(-1, Fraction(1, 4))


# officer_rate


def _rate(start_date=None, judgements=(), policy=POLICY):
    return officer_rate(policy, start_date=start_date, term_start=TERM_START, last_term_judgements=judgements)


def test_officer_rate_is_the_base_rate_by_default():
    assert _rate(date(2015, 1, 1)) == (Fraction(1, 4), Reason.RANDOM_SHARE)
    assert _rate(None) == (Fraction(1, 4), Reason.RANDOM_SHARE)


@pytest.mark.parametrize(
    "start_date",
    [
        pytest.param(TERM_START - timedelta(days=POLICY.new_starter_days - 1), id="just before the term"),
        pytest.param(TERM_START, id="on the first day"),
        pytest.param(TERM_START + timedelta(days=20), id="during the term"),
    ],
)
def test_officer_rate_is_higher_for_a_new_starter(start_date):
    assert _rate(start_date) == (Fraction(1, 2), Reason.NEW_STARTER)


def test_officer_rate_is_the_base_rate_for_someone_who_started_long_before_the_term():
    assert _rate(TERM_START - timedelta(days=POLICY.new_starter_days + 1)) == (Fraction(1, 4), Reason.RANDOM_SHARE)
    assert _rate(TERM_START - timedelta(days=400)) == (Fraction(1, 4), Reason.RANDOM_SHARE)


def test_officer_rate_rises_when_last_terms_peps_were_often_amber_or_red():
    # 2 of 5 judged PEPs Amber or Red: 2/5 > 1/3.
    assert _rate(date(2015, 1, 1), [AMBER, RED, GREEN, GOLD, GREEN]) == (Fraction(1, 2), Reason.QUALITY_CONCERN)


def test_officer_rate_is_not_raised_when_the_share_equals_the_concern_share():
    # 1 of 3 judged PEPs Amber: exactly 1/3, not more.
    assert _rate(date(2015, 1, 1), [AMBER, GREEN, GOLD]) == (Fraction(1, 4), Reason.RANDOM_SHARE)


def test_officer_rate_ignores_unjudged_peps_in_the_share():
    # Blank judgements are not judged PEPs: 1 of 2 judged is Red.
    assert _rate(date(2015, 1, 1), [RED, GREEN, "", ""]) == (Fraction(1, 2), Reason.QUALITY_CONCERN)


def test_officer_rate_without_judgements_last_term_is_the_base_rate():
    assert _rate(date(2015, 1, 1), []) == (Fraction(1, 4), Reason.RANDOM_SHARE)
    assert _rate(date(2015, 1, 1), ["", ""]) == (Fraction(1, 4), Reason.RANDOM_SHARE)


@pytest.mark.parametrize(
    ("new_starter_rate", "concern_rate", "expected"),
    [
        (Fraction(1, 2), Fraction(3, 5), (Fraction(3, 5), Reason.QUALITY_CONCERN)),
        (Fraction(3, 5), Fraction(1, 2), (Fraction(3, 5), Reason.NEW_STARTER)),
    ],
)
def test_officer_rate_for_a_new_starter_of_concern_is_the_higher_rate(new_starter_rate, concern_rate, expected):
    policy = SamplingPolicy(new_starter_rate=new_starter_rate, concern_rate=concern_rate)
    assert _rate(TERM_START, [RED, RED, GREEN], policy=policy) == expected


# select_sample: properties over random inputs

ids = st.integers(min_value=1, max_value=60)


@st.composite
def draws(draw):
    candidates = draw(st.lists(ids, unique=True, max_size=25))
    must = draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    outsiders = draw(st.lists(st.integers(min_value=100, max_value=110), unique=True, max_size=3))
    already = draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    return {
        "candidates": candidates,
        "must_include": must + outsiders,
        "already_chosen": already + draw(st.lists(st.integers(min_value=200, max_value=210), max_size=3)),
        "target": draw(st.integers(min_value=0, max_value=30)),
        "seed": draw(st.text(max_size=12)),
    }


def _select(d, **overrides):
    args = {**d, **overrides}
    return select_sample(
        args["candidates"],
        must_include=args["must_include"],
        already_chosen=args["already_chosen"],
        target=args["target"],
        seed=args["seed"],
        fill_reason=FILL,
        must_reason=MUST,
    )


@given(draws())
def test_select_sample_includes_every_must_include_candidate(d):
    result = {pep for pep, _ in _select(d)} | set(d["already_chosen"])
    assert set(d["must_include"]) & set(d["candidates"]) <= result


@given(draws())
def test_select_sample_reaches_the_target_and_adds_no_more_than_needed(d):
    additions = _select(d)
    candidates = set(d["candidates"])
    already = set(d["already_chosen"]) & candidates
    sample = (already | {pep for pep, _ in additions}) & candidates
    assert len(sample) >= min(d["target"], len(candidates))
    must_added = {pep for pep, reason in additions if reason == MUST}
    assert must_added == set(d["must_include"]) & candidates - already
    fills = [pep for pep, reason in additions if reason == FILL]
    assert len(fills) == max(0, min(d["target"], len(candidates)) - len(already | must_added))
    assert {pep for pep, _ in additions} <= candidates


@given(draws())
def test_select_sample_adds_nothing_already_chosen_and_no_duplicates(d):
    added = [pep for pep, _ in _select(d)]
    assert not set(added) & set(d["already_chosen"])
    assert len(added) == len(set(added))


@given(draws())
def test_select_sample_is_reproducible(d):
    assert _select(d) == _select(d)


@given(draws())
def test_select_sample_is_idempotent(d):
    first = _select(d)
    again = _select(d, already_chosen=[*d["already_chosen"], *(pep for pep, _ in first)])
    assert again == []


@given(
    st.lists(ids, unique=True, max_size=25),
    st.sampled_from([Fraction(1, 4), Fraction(1, 3), Fraction(1, 2)]),
    st.text(max_size=12),
    st.data(),
)
def test_select_sample_tops_up_only_when_the_target_grows(candidates, rate, seed, data):
    must = data.draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    target = minimum_sample(len(candidates), rate)
    first = {pep for pep, _ in select_sample(candidates, must_include=must, target=target, seed=seed, fill_reason=FILL)}
    new_pep = data.draw(st.integers(min_value=61, max_value=99))
    grown = [*candidates, new_pep]
    new_target = minimum_sample(len(grown), rate)
    top_up = select_sample(
        grown, must_include=must, already_chosen=first, target=new_target, seed=seed, fill_reason=FILL
    )
    added = {pep for pep, _ in top_up}
    assert not added & first  # nothing re-added, and the earlier sample is kept as it was
    assert len(added) == max(0, new_target - len(first))
    if new_target == target:
        assert top_up == []
    assert len(first | added) >= new_target


@given(draws(), st.randoms(use_true_random=False))
def test_select_sample_does_not_depend_on_the_order_of_the_candidates(d, random):
    shuffled = list(d["candidates"])
    random.shuffle(shuffled)
    must = list(d["must_include"])
    random.shuffle(must)
    assert set(_select(d, candidates=shuffled, must_include=must)) == set(_select(d))


def test_select_sample_depends_on_the_seed():
    candidates = list(range(1, 101))
    picks = {frozenset(select_sample(candidates, target=10, seed=str(s), fill_reason=FILL)) for s in range(5)}
    assert len(picks) > 1


# weighted_kappa and exact_agreement


def test_kappa_is_one_for_perfect_agreement():
    assert weighted_kappa([(RED, RED), (AMBER, AMBER), (GREEN, GREEN), (GOLD, GOLD)]) == pytest.approx(1.0)
    assert weighted_kappa([(GREEN, GREEN), (AMBER, AMBER)], weights="quadratic") == pytest.approx(1.0)


def test_kappa_of_a_hand_computed_table():
    # Ranks red 0, amber 1, green 2, gold 3; linear weight of a cell |i - j| / 3.
    # Pairs (first, second): (R, R), (A, A), (G, A), (Au, Au); n = 4.
    # Observed disagreement: only (G, A), weight 1/3 -> (1/3) / 4 = 1/12.
    # Marginals: first R1 A1 G1 Au1; second R1 A2 G0 Au1.
    # Expected: sum over cells of r_i * c_j * |i - j|, row by row:
    #   i=R: 2*1 + 1*3 = 5;  i=A: 1*1 + 1*2 = 3;  i=G: 1*2 + 2*1 + 1*1 = 5;  i=Au: 1*3 + 2*2 = 7
    #   total 20, weighted 20/3, over n^2 = 16 -> 5/12.
    # kappa = 1 - (1/12) / (5/12) = 1 - 1/5 = 4/5.
    pairs = [(RED, RED), (AMBER, AMBER), (GREEN, AMBER), (GOLD, GOLD)]
    assert weighted_kappa(pairs) == pytest.approx(0.8)
    assert exact_agreement(pairs) == pytest.approx(0.75)


def test_kappa_is_zero_when_agreement_is_what_chance_gives():
    # First rater Amber, Green, Gold; second always Green: observed = expected disagreement (2/9).
    assert weighted_kappa([(AMBER, GREEN), (GREEN, GREEN), (GOLD, GREEN)]) == pytest.approx(0.0)


def test_kappa_of_chance_agreement_is_exactly_zero_not_minus_a_rounding_error():
    # First rater always Gold, the second Gold or Green half the time: in floating point
    # this came out as -1e-17 and showed as "-0.00".
    assert weighted_kappa([(GOLD, GOLD), (GOLD, GREEN)] * 5) == 0.0
    assert f"{weighted_kappa([(GOLD, GOLD), (GOLD, GREEN)] * 5):.2f}" == "0.00"


@given(
    st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=1, max_size=30),
    st.sampled_from(["linear", "quadratic"]),
)
def test_kappa_is_symmetric_in_the_two_raters(pairs, weights):
    swapped = [(b, a) for a, b in pairs]
    kappa = weighted_kappa(pairs, weights)
    if kappa is None:
        assert weighted_kappa(swapped, weights) is None
    else:
        assert weighted_kappa(swapped, weights) == pytest.approx(kappa)
        assert kappa <= 1.0 + 1e-9


@pytest.mark.parametrize("pairs", [[], [(GREEN, GREEN)], [(AMBER, AMBER)] * 4])
def test_kappa_is_undefined_without_pairs_or_when_both_raters_used_one_level(pairs):
    assert weighted_kappa(pairs) is None


def test_kappa_is_defined_when_the_raters_each_used_a_different_single_level():
    assert weighted_kappa([(GREEN, AMBER)] * 3) == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], None),
        ([(GREEN, GREEN)], 1.0),
        ([(GREEN, AMBER)], 0.0),
        ([(GREEN, GREEN), (GOLD, GREEN), (RED, RED)], 2 / 3),
        ([(GREEN, GREEN), (GOLD, GREEN), (RED, AMBER), (AMBER, AMBER)], 0.5),
    ],
)
def test_exact_agreement(pairs, expected):
    if expected is None:
        assert exact_agreement(pairs) is None
    else:
        assert exact_agreement(pairs) == pytest.approx(expected)


# agreement_figure: the counts always, kappa only from enough pairs and where defined


def test_one_re_rating_gives_counts_and_no_kappa():
    # The figure that read "0% agreement, kappa 0.00": one PEP, Gold against Green.
    figure = agreement_figure([(GOLD, GREEN)])
    assert (figure.pairs, figure.agreed, figure.exact) == (1, 0, Fraction(0))
    assert figure.kappa is None and figure.withheld == KappaWithheld.TOO_FEW
    assert figure.minimum == KAPPA_MINIMUM_PAIRS == 10


def test_agreeing_and_disagreeing_small_samples_read_the_same_way():
    agreed, disagreed = agreement_figure([(GREEN, GREEN)] * 2), agreement_figure([(GREEN, AMBER)] * 2)
    assert (agreed.agreed, agreed.exact, agreed.withheld) == (2, Fraction(1), KappaWithheld.TOO_FEW)
    assert (disagreed.agreed, disagreed.exact, disagreed.withheld) == (0, Fraction(0), KappaWithheld.TOO_FEW)


def test_enough_pairs_give_the_weighted_kappa():
    pairs = [(RED, RED), (AMBER, AMBER), (GREEN, AMBER), (GOLD, GOLD)] * 3  # the hand-computed table, x3
    figure = agreement_figure(pairs)
    assert (figure.pairs, figure.agreed, figure.exact) == (12, 9, Fraction(3, 4))
    assert figure.kappa == pytest.approx(0.8) and figure.withheld == ""


def test_enough_pairs_all_at_one_level_leave_kappa_undefined():
    figure = agreement_figure([(GREEN, GREEN)] * 12)
    assert (figure.agreed, figure.kappa, figure.withheld) == (12, None, KappaWithheld.ONE_LEVEL)


def test_the_minimum_is_a_parameter_and_inclusive():
    pairs = [(GREEN, GREEN), (GOLD, GREEN), (RED, RED)]
    assert agreement_figure(pairs, minimum=3).kappa is not None
    assert agreement_figure(pairs, minimum=4).withheld == KappaWithheld.TOO_FEW


def test_no_pairs_is_no_figure():
    figure = agreement_figure([])
    assert (figure.pairs, figure.agreed, figure.exact, figure.kappa, figure.withheld) == (0, 0, None, None, "")


@given(st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), max_size=30))
def test_agreement_figure_counts_match_exact_agreement(pairs):
    figure = agreement_figure(pairs)
    assert figure.pairs == len(pairs)
    if pairs:
        assert float(figure.exact) == pytest.approx(exact_agreement(pairs))
    assert (figure.kappa is None) == (figure.withheld != "" or not pairs)


def _kappa_by_the_formula(pairs, weights):
    """Cohen's weighted kappa as the textbook writes it, in exact fractions: weights
    |i - j| / (k - 1) (squared for quadratic), disagreement observed over n and expected
    over n squared."""
    k, n = 4, len(pairs)
    rank = {RED: 0, AMBER: 1, GREEN: 2, GOLD: 3}
    observed = [[0] * k for _ in range(k)]
    for a, b in pairs:
        observed[rank[a]][rank[b]] += 1
    rows = [sum(observed[i]) for i in range(k)]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]

    def weight(i, j):
        d = Fraction(abs(i - j), k - 1)
        return d if weights == "linear" else d * d

    observed_d = sum(weight(i, j) * observed[i][j] for i in range(k) for j in range(k)) / n
    expected_d = sum(weight(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k)) / (n * n)
    return None if expected_d == 0 else float(1 - observed_d / expected_d)


@given(
    st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=1, max_size=40),
    st.sampled_from(["linear", "quadratic"]),
)
def test_kappa_in_whole_numbers_is_exactly_the_formulas(pairs, weights):
    assert weighted_kappa(pairs, weights) == _kappa_by_the_formula(pairs, weights)


def test_kappa_refuses_what_is_not_a_rating():
    with pytest.raises(ValueError):
        weighted_kappa([(GREEN, "purple")])
