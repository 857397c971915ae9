"""core/queries.py: InSubquery, ``column IN (subquery)`` that an index serves inside an OR."""

import pytest
from django.db.models import Q

from core.queries import InSubquery
from peps.models import Child, Pep

from .factories import ChildFactory, PepFactory, UserFactory
from .plans import assert_indexed, explain, indexes_used, require_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture
def peps():
    officer = UserFactory()
    mine = [PepFactory(child=ChildFactory(allocated_officer=officer)) for _ in range(2)]
    others = [PepFactory() for _ in range(2)]
    return officer, mine, others


def test_selects_what_in_selects(peps):
    officer, mine, others = peps
    children = Child.objects.filter(allocated_officer=officer).values("pk")
    found = Pep.objects.filter(Q(InSubquery("child", children)) | Q(pk=others[0].pk))
    assert set(found) == set(Pep.objects.filter(Q(child__in=children) | Q(pk=others[0].pk))) == {*mine, others[0]}
    # An empty set matches nothing (ANY of an empty array is false, as IN of no rows).
    assert not Pep.objects.filter(InSubquery("child", Child.objects.none().values("pk"))).exists()
    assert not Pep.objects.filter(InSubquery("child", Child.objects.filter(pk=-1).values("pk"))).exists()
    # One that compiles to nothing at all (IN of an empty list): that arm matches nothing.
    nobody = Child.objects.filter(allocated_officer__in=[]).values("pk")
    assert set(Pep.objects.filter(Q(InSubquery("child", nobody)) | Q(pk=others[0].pk))) == {others[0]}


def test_the_subquery_is_unordered(peps):
    sql = str(Pep.objects.filter(InSubquery("child", Child.objects.values("pk"))).order_by().query)
    assert "ORDER BY" not in sql  # Child's default ordering would sort the set for nothing


def test_postgresql_writes_it_as_any_of_an_array(peps):
    require_postgresql()
    officer, _mine, _others = peps
    children = Child.objects.filter(allocated_officer=officer).values("pk")
    queryset = Pep.objects.filter(Q(InSubquery("child", children)) | Q(officer=officer))
    assert '"peps_pep"."child_id" = ANY(ARRAY(SELECT' in str(queryset.query)
    plan = explain(queryset)
    assert_indexed(plan)  # the (child, term) index serves the arm: no scan of every PEP
    assert "one_pep_per_child_per_term" in indexes_used(plan)
