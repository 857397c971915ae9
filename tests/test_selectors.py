"""peps.selectors: who sees which children and PEPs, and who may QA them."""

import pytest
from django.http import Http404

from peps.models import Child, Pep, PepStatus, Term
from peps.selectors import can_review, requested_term, visible_children, visible_peps

from .factories import TermFactory

pytestmark = pytest.mark.django_db

# (user fixture, PEP fixture, sees it, may QA it). `pep` is on `officer`'s caseload
# (team of `manager`), `other_pep` on `other_officer`'s (team of `other_manager`).
ACCESS = [
    ("officer", "pep", True, False),
    ("officer", "other_pep", False, False),
    ("other_officer", "pep", False, False),
    ("other_officer", "other_pep", True, False),
    ("manager", "pep", True, True),
    ("manager", "other_pep", False, False),
    ("other_manager", "pep", False, False),
    ("other_manager", "other_pep", True, True),
    ("lead", "pep", True, True),
    ("lead", "other_pep", True, True),
    ("vsh", "pep", True, True),
    ("vsh", "other_pep", True, True),
    ("administrator", "pep", True, False),
    ("administrator", "other_pep", True, False),
]


@pytest.mark.parametrize(("user_fixture", "pep_fixture", "sees", "may_qa"), ACCESS,
                         ids=[f"{u}-{p}" for u, p, *_ in ACCESS])
def test_access_matrix(request, pep, other_pep, user_fixture, pep_fixture, sees, may_qa):
    user = request.getfixturevalue(user_fixture)
    target = request.getfixturevalue(pep_fixture)

    assert visible_peps(user).filter(pk=target.pk).exists() is sees
    assert visible_children(user).filter(pk=target.child_id).exists() is sees
    assert can_review(user, target) is may_qa


@pytest.mark.parametrize("user_fixture", ["officer", "manager", "lead", "vsh"])
def test_nobody_may_qa_a_draft(request, pep, user_fixture):
    pep.status = PepStatus.DRAFT
    pep.save()
    assert can_review(request.getfixturevalue(user_fixture), pep) is False


def test_a_moved_child_keeps_the_old_pep_visible_to_both_officers(
    pep, officer, other_officer, other_pep
):
    child = pep.child
    child.allocated_officer = other_officer
    child.save()

    # The officer who held the case that term still sees that PEP, not the child now.
    assert list(visible_peps(officer)) == [pep]
    assert not visible_children(officer).exists()
    # The new officer sees the child and their history.
    assert set(visible_peps(other_officer)) == {pep, other_pep}
    assert set(visible_children(other_officer)) == {child, other_pep.child}
    # Neither may QA it.
    assert not can_review(officer, pep)
    assert not can_review(other_officer, pep)


@pytest.mark.parametrize("user_fixture", ["officer", "manager", "lead", "vsh", "administrator"])
def test_an_inactive_user_sees_nothing(request, pep, other_pep, user_fixture):
    user = request.getfixturevalue(user_fixture)
    assert visible_peps(user).exists()  # while active

    user.is_active = False
    user.save()

    assert not visible_peps(user).exists()
    assert not visible_children(user).exists()
    assert not can_review(user, pep)
    assert not can_review(user, other_pep)


def test_whole_school_roles_see_everything(pep, other_pep, lead, vsh, administrator):
    for user in (lead, vsh, administrator):
        assert visible_peps(user).count() == Pep.objects.count() == 2
        assert visible_children(user).count() == Child.objects.count() == 2


# --- requested_term: the one term picker ------------------------------------------------


def test_requested_term_is_the_term_asked_for_else_the_current_one():
    asked = TermFactory()
    assert requested_term(str(asked.pk)) == asked
    assert requested_term("") == Term.objects.current()


@pytest.mark.parametrize("value", [
    "²",  # passes str.isdigit(), fails int(): was a 500
    "1" * 5000,  # beyond int()'s digit limit: was a 500
    "99999999999999999999", "-1", "0", "1e9", "abc", " ", "'",
])
def test_requested_term_answers_404_for_what_is_no_term_id(value):
    TermFactory()
    with pytest.raises(Http404):
        requested_term(value)


def test_requested_term_answers_404_for_a_term_that_does_not_exist():
    term = TermFactory()
    with pytest.raises(Http404):
        requested_term(str(term.pk + 1000))
