"""peps.filters.PepFilter: the PEP list's search and filters."""

import pytest

from access.policy import visible_peps as pep_list
from core.vocabulary import Rating
from peps.models import Pep
from web.peps.filters import PepFilter

from .factories import ChildFactory, PepFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_peps(officer):
    term = TermFactory()

    def make(first, last, reference, judgement=""):
        child = ChildFactory(first_name=first, last_name=last, la_reference=reference, allocated_officer=officer)
        return PepFactory(child=child, term=term, judgement=judgement)

    return {
        "amy_smith": make("Amy", "Smith", "LA-10001", Rating.GREEN),
        "amy_jones": make("Amy", "Jones", "LA-10002", Rating.RED),
        "sam_smith": make("Sam", "Smith", "LA-20003"),
        "tamsin_amyot": make("Tamsin", "Amyot", "LA-20004", Rating.GOLD),
    }


def _found(data, **kwargs):
    return set(PepFilter(data, queryset=Pep.objects.all(), **kwargs).qs)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        pytest.param("am", {"amy_smith", "amy_jones", "sam_smith", "tamsin_amyot"}, id="partial, any name"),
        pytest.param("AMY", {"amy_smith", "amy_jones", "tamsin_amyot"}, id="case-insensitive"),
        pytest.param("tams", {"tamsin_amyot"}, id="partial first name"),
        pytest.param("Amy Smith", {"amy_smith"}, id="first last"),
        pytest.param("amy smi", {"amy_smith"}, id="partial first and last"),
        pytest.param("  Smith   Sam ", {"sam_smith"}, id="last first, extra spaces"),
        pytest.param("LA-10002", {"amy_jones"}, id="LA reference"),
        pytest.param("la-2000", {"sam_smith", "tamsin_amyot"}, id="partial LA reference"),
        pytest.param("Amy LA-1", {"amy_smith", "amy_jones"}, id="name and reference"),
        pytest.param("Zed", set(), id="no match"),
    ],
)
def test_search(named_peps, q, expected):
    assert _found({"q": q}) == {named_peps[key] for key in expected}


@pytest.mark.parametrize(
    ("judgement", "expected"),
    [
        ("green", {"amy_smith"}),
        ("red", {"amy_jones"}),
        ("gold", {"tamsin_amyot"}),
        ("amber", set()),
        ("none", {"sam_smith"}),
        ("", {"amy_smith", "amy_jones", "sam_smith", "tamsin_amyot"}),
    ],
)
def test_filter_by_judgement(named_peps, judgement, expected):
    assert _found({"judgement": judgement}) == {named_peps[key] for key in expected}


def test_an_unknown_judgement_is_invalid(named_peps):
    pep_filter = PepFilter({"judgement": "purple"}, queryset=Pep.objects.all())
    assert not pep_filter.is_valid()
    assert "judgement" in pep_filter.errors


def _officer_choices(user):
    pep_filter = PepFilter(None, queryset=pep_list(user), user=user)
    return set(pep_filter.form.fields["officer"].queryset)


def test_a_manager_is_offered_only_their_team(pep, other_pep, manager, officer, other_officer):
    team_mate = UserFactory(line_manager=manager)
    PepFactory(child=ChildFactory(allocated_officer=team_mate), term=pep.term)

    assert _officer_choices(manager) == {officer, team_mate}

    # Choosing another team's officer is refused, not quietly applied.
    pep_filter = PepFilter({"officer": other_officer.pk}, queryset=pep_list(manager), user=manager)
    assert not pep_filter.is_valid()
    assert "officer" in pep_filter.errors
    # Their own team filters as asked.
    mine = PepFilter({"officer": team_mate.pk}, queryset=pep_list(manager), user=manager)
    assert set(mine.qs) == set(Pep.objects.filter(officer=team_mate))


def test_an_officer_is_offered_only_themselves(pep, other_pep, officer):
    assert _officer_choices(officer) == {officer}


def test_whole_school_roles_are_offered_every_officer(pep, other_pep, lead, officer, other_officer):
    assert _officer_choices(lead) == {officer, other_officer}
