"""The learning page (web/practice/learning.py): who may open it, what each sees, its
filters, its downloads and its queries."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from core.vocabulary import Phase
from peps.models import PepStatus
from reviews.services import save_review, start_review

from .factories import ChildFactory, PepFactory, SupervisionFactory

pytestmark = pytest.mark.django_db

URL = reverse("practice:learning")
# The session and user, the second factor, the filter form's term, team and officer
# choices, the terms asked for, and the figures' three grouped queries and the two that name
# their areas and people: not the ratings. (17 while the required term select read its first
# choice again to decide its required attribute: web.widgets.Select.use_required_attribute.)
LEARNING_QUERIES = 16


def _reviewed(officer, term, ratings, reviewer, rate_all, points="Make targets SMART"):
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=term, status=PepStatus.SUBMITTED)
    review = start_review(pep, reviewer)
    save_review(
        review, rate_all(review, ratings, comment="area comment"), strengths="", development_points=points, submit=True
    )
    return pep


@pytest.fixture
def rated(pep, other_pep, vsh, officer, other_officer, rate_all):
    """An Amber/Red review of a PEP of each team, in ``pep``'s term."""
    mine = _reviewed(officer, pep.term, ["red", "amber", *["green"] * 6], vsh, rate_all, points="Invite the SW")
    theirs = _reviewed(other_officer, pep.term, ["amber", *["green"] * 7], vsh, rate_all, points="Use PP+ well")
    return {"term": pep.term, "mine": mine, "theirs": theirs}


def test_a_manager_sees_their_own_team_only(client, manager, rated):
    client.force_login(manager)
    response = client.get(URL, {"term": rated["term"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert rated["mine"].child.la_reference in html
    assert reverse("peps:detail", args=[rated["mine"].pk]) in html
    assert "Invite the SW" in html
    assert rated["theirs"].child.la_reference not in html
    assert "Use PP+ well" not in html
    figures = response.context["figures"]
    assert (figures.total.rated, figures.total.amber_red) == (8, 2)
    assert [row.label for row in figures.by_area][:2] == ["PEP meeting", "About the child"]


def test_the_whole_school_for_the_vsh_and_a_lead(client, vsh, lead, rated):
    for user in (vsh, lead):
        client.force_login(user)
        html = client.get(URL, {"term": rated["term"].pk}).content.decode()
        assert rated["mine"].child.la_reference in html and rated["theirs"].child.la_reference in html
    # A lead reads no supervision: it is line management's.
    assert "Supervision is line management" in html


@pytest.mark.parametrize("role", ["officer", "administrator"])
def test_officers_and_administrators_are_refused(client, request, role, rated):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert client.get(reverse("practice:learning_csv")).status_code == 403


def test_the_filters_narrow_and_a_manager_picks_only_their_team(client, manager, other_manager, officer, rated):
    client.force_login(manager)
    response = client.get(URL, {"term": rated["term"].pk, "phase": "eyfs"})
    assert response.context["figures"].total.rated == 0
    form = response.context["filter"].form
    assert list(form.fields["officer"].queryset) == [officer]
    assert list(form.fields["team"].queryset) == [manager]
    # Another team is no choice: an error on the form, and the page shows the default.
    response = client.get(URL, {"term": rated["term"].pk, "team": other_manager.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert response.context["figures"].total.rated == 8


@pytest.mark.parametrize("junk", ["x", "-1", "99999999999999999999", "²"])
def test_junk_in_the_filters_is_an_error_not_a_crash(client, vsh, rated, junk):
    client.force_login(vsh)
    for name in ("term", "span", "phase", "team", "officer"):
        response = client.get(URL, {name: junk})
        assert response.status_code == 200, name
        assert "There is a problem" in response.content.decode()


def test_after_supervision_is_shown(client, manager, officer, rated):
    SupervisionFactory(officer=officer, manager=manager, date=rated["term"].start_date)
    client.force_login(manager)
    html = client.get(URL, {"term": rated["term"].pk}).content.decode()
    assert 'id="improvement-table"' in html
    assert "no data" in html  # no term before, none after, in a one-term window


def test_the_csv_and_excel_downloads_hold_the_tables_and_are_recorded(client, manager, rated):
    client.force_login(manager)
    before = AuditEntry.objects.count()
    response = client.get(reverse("practice:learning_csv"), {"term": rated["term"].pk})
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "Table,Item,Phases,Areas rated,Gold,Green,Amber,Red,% Amber or Red"
    assert lines[1] == f"Area,PEP meeting,{Phase.SSA.label},1,0,0,0,1,100"
    assert all(rated["theirs"].child.la_reference not in line for line in lines)
    entry = AuditEntry.objects.latest("timestamp")
    assert AuditEntry.objects.count() == before + 1
    assert entry.additional_data["download"] == "learning from the ratings (CSV)"
    response = client.get(reverse("practice:learning_xlsx"), {"term": rated["term"].pk})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("Area", "PEP meeting", Phase.SSA.label, 1, 0, 0, 0, 1, 100)


def test_the_queries_do_not_grow_with_the_ratings(
    client, manager, officer, rated, rate_all, vsh, django_assert_num_queries
):
    client.force_login(manager)
    client.get(URL)  # warm the session
    with django_assert_num_queries(LEARNING_QUERIES):
        client.get(URL, {"term": rated["term"].pk})
    for _ in range(4):
        _reviewed(officer, rated["term"], ["red", "red", "amber", *["green"] * 5], vsh, rate_all)
    SupervisionFactory(officer=officer, manager=manager, date=rated["term"].start_date)
    with django_assert_num_queries(LEARNING_QUERIES):
        client.get(URL, {"term": rated["term"].pk})
