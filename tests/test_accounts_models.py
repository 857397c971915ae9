"""accounts/models.py: how a person is named."""

import pytest

from accounts.models import User


@pytest.mark.parametrize(
    ("first", "last", "username", "name"),
    [("Amy", "Smith", "asmith", "Amy Smith"), ("Amy", "", "asmith", "Amy"), ("", "", "asmith", "asmith")],
)
def test_a_person_is_named_by_their_full_name_or_username(first, last, username, name):
    assert User.name_of(first, last, username) == name
    assert str(User(first_name=first, last_name=last, username=username)) == name
