"""core.parsing: whole numbers out of request input, never an exception."""

import pytest

from core.parsing import MAX_ID, parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("42", 42),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
    ],
)
def test_reads_a_whole_number(value, expected):
    assert parse_int(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        " ",
        "0",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1\n",
        "1e9",
        "1.0",
        "0x1f",
        "1_000",
        "abc",
        "'",
        "²",  # str.isdigit() says yes, int() says no
        "١٢",  # Arabic-Indic digits: int() reads them, no link of ours writes them
        "99999999999999999999",  # beyond a 64-bit database integer
        str(MAX_ID + 1),
        "1" * 5000,  # beyond int()'s limit of 4300 digits
    ],
)
def test_anything_else_is_none(value):
    assert parse_int(value) is None


def test_the_range_is_inclusive():
    assert parse_int("1000", low=1000, high=9998) == 1000
    assert parse_int("9998", low=1000, high=9998) == 9998
    assert parse_int("999", low=1000, high=9998) is None
    assert parse_int("9999", low=1000, high=9998) is None
    assert parse_int("0", low=0) == 0
