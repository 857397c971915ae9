"""web.links: a URL reversed once and filled in per row gives what reverse gives."""

import pytest
from django.urls import NoReverseMatch, reverse

from web.links import pk_url


@pytest.mark.parametrize("name", ["peps:detail", "reviews:detail", "sampling:entry_start", "peps:finalise"])
@pytest.mark.parametrize("pk", [1, 42, 2_147_483_646])
def test_pk_url_is_reverse(name, pk):
    assert pk_url(name)(pk) == reverse(name, args=[pk])


def test_pk_url_needs_a_url_with_one_integer_argument():
    with pytest.raises(NoReverseMatch):
        pk_url("home")
