"""The PEP list: filters, sorting, pagination, and a constant number of queries.

Also the query counts of the PEP detail page and the manager's home page.
"""

import re
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.vocabulary import Phase, Role, Season
from peps.models import Pep, PepStatus, Term
from reviews.services import save_review, start_review
from web.peps.filters import PEP_SORTS

from .factories import ChildFactory, PepFactory, SchoolFactory, TermFactory, UserFactory, rate_all
from .plans import assert_indexed, explain, require_postgresql

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<a class="govuk-link" href="/peps/\d+/(?:\?list=[^"]*)?">([^<]+)</a>')


def names(response) -> list[str]:
    """The children's names in the table rows, in the order shown."""
    assert response.status_code == 200
    return ROW.findall(response.content.decode())


@dataclass
class World:
    t1: object
    t2: object
    o1: object
    o2: object
    s1: object
    s2: object
    peps: dict


@pytest.fixture
def world(db):
    """Five PEPs that differ in every filtered column."""
    # Named terms: the factory's sequence wraps from 2019/20 back to 2000/01, so two
    # successive factory terms are not always in date order (the sort by term needs it).
    t1 = TermFactory(academic_year=2010, season=Season.AUTUMN)
    t2 = TermFactory(academic_year=2010, season=Season.SPRING)
    manager = UserFactory(role=Role.MANAGER)
    o1 = UserFactory(first_name="Olga", last_name="One", line_manager=manager)
    o2 = UserFactory(first_name="Oscar", last_name="Two", line_manager=manager)
    s1, s2 = SchoolFactory(name="Alpha Primary"), SchoolFactory(name="Beta Academy")
    rows = [
        # name,          term, year, status,               judgement, officer, school
        ("Amy Adams",    t1, 5,  PepStatus.SUBMITTED, "",      o1, s1),
        ("Ben Brown",    t1, 0,  PepStatus.FINALISED, "gold",  o1, s2),
        ("Cat Clark",    t2, 12, PepStatus.RETURNED,  "red",   o2, s1),
        ("Dan Davis",    t2, 5,  PepStatus.FINALISED, "green", o2, s2),
        ("Eve Evans",    t1, 7,  PepStatus.RETURNED,  "amber", o2, s1),
    ]  # fmt: skip
    peps = {}
    for name, term, year, status, judgement, officer, school in rows:
        first, last = name.split()
        child = ChildFactory(
            first_name=first, last_name=last, year_group=year, allocated_officer=officer, school=school
        )
        peps[name] = PepFactory(child=child, term=term, status=status, judgement=judgement)
    return World(t1, t2, o1, o2, s1, s2, peps)


@pytest.fixture
def vsh_client(client, vsh):
    client.force_login(vsh)
    return client


def get_list(client, **params):
    # A search (q) is kept server-side: ?q= redirects to ?search=<token> (web/search.py).
    return client.get(reverse("peps:list"), params, follow="q" in params)


ALL = ["Amy Adams", "Ben Brown", "Cat Clark", "Dan Davis", "Eve Evans"]


def test_unfiltered_list_shows_the_current_term_sorted_by_child(vsh_client, world):
    # t2 (Spring 2010/11) started last: the current term. Earlier terms are a choice.
    response = get_list(vsh_client)
    assert names(response) == ["Cat Clark", "Dan Davis"]
    body = response.content.decode()
    assert "<strong>2</strong> PEPs" in body
    assert "matching your filters" not in body
    assert '<span class="govuk-caption-l" id="term-shown">Spring 2010/11 (the current term)</span>' in body
    # The term select shows it, and offers "All terms" as a value of its own.
    assert f'<option value="{world.t2.pk}" selected>Spring 2010/11</option>' in body
    assert '<option value="all">All terms</option>' in body
    # Its tag's remove link shows every term, not the same default again.
    assert 'href="?term=all"><span class="govuk-visually-hidden">Remove this filter: </span>Term: Spring' in body


def test_all_terms_is_an_explicit_choice(vsh_client, world):
    response = get_list(vsh_client, term="all")
    assert names(response) == ALL
    body = response.content.decode()
    assert "<strong>5</strong> PEPs" in body
    assert "matching your filters" not in body
    assert '<span class="govuk-caption-l" id="term-shown">All terms</span>' in body
    assert '<option value="all" selected>All terms</option>' in body
    # Removing "All terms" goes back to the default, the current term.
    assert 'href="?clear=1"><span class="govuk-visually-hidden">Remove this filter: </span>Term: All terms' in body


def test_the_list_remembers_the_last_filters_and_sort(vsh_client, world):
    """Back on the list from the navigation (the bare address), it is as the user left
    it; "Clear filters" (and removing the last filter) starts afresh."""
    bare = reverse("peps:list")
    assert names(vsh_client.get(bare)) == ["Cat Clark", "Dan Davis"]  # nothing remembered yet

    get_list(vsh_client, term="all", sort="-child", page="1")
    again = vsh_client.get(bare)
    assert again.status_code == 302
    assert again["Location"] == f"{bare}?term=all&sort=-child"  # not the page
    assert names(vsh_client.get(again["Location"])) == list(reversed(ALL))

    cleared = vsh_client.get(bare, {"clear": "1"})
    assert cleared["Location"] == bare
    assert names(vsh_client.get(bare)) == ["Cat Clark", "Dan Davis"]


def test_a_search_is_not_remembered(vsh_client, world):
    response = vsh_client.post(reverse("peps:list"), {"q": "Adams", "term": "all"})
    vsh_client.get(response["Location"])
    assert vsh_client.get(reverse("peps:list"))["Location"] == reverse("peps:list") + "?term=all"


def test_an_earlier_term_chosen_is_shown(vsh_client, world):
    body = get_list(vsh_client, term=world.t1.pk).content.decode()
    assert '<span class="govuk-caption-l" id="term-shown">Autumn 2010/11</span>' in body
    assert "(the current term)" not in body


@pytest.mark.parametrize("term", ["999999", "bogus", ""])
def test_an_unknown_or_empty_term_shows_the_current_term(vsh_client, world, term):
    # Not the whole history: an old bookmark's ?term= or a mistyped pk costs one term.
    assert names(get_list(vsh_client, term=term)) == ["Cat Clark", "Dan Davis"]


def test_the_search_keeps_the_term_chosen(vsh_client, world):
    response = vsh_client.post(reverse("peps:list"), {"q": "a", "term": "all"})
    assert "term=all" in response["Location"] and "search=" in response["Location"]
    assert names(vsh_client.get(response["Location"])) == ["Amy Adams", "Cat Clark", "Dan Davis", "Eve Evans"]
    # Without a term the search is within the current term.
    response = vsh_client.post(reverse("peps:list"), {"q": "a"})
    assert names(vsh_client.get(response["Location"])) == ["Cat Clark", "Dan Davis"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"term": "t1"}, ["Amy Adams", "Ben Brown", "Eve Evans"]),
        ({"term": "t2"}, ["Cat Clark", "Dan Davis"]),
        ({"phase": Phase.EYFS}, ["Ben Brown"]),
        ({"phase": Phase.SSA}, ["Amy Adams", "Dan Davis", "Eve Evans"]),
        ({"phase": Phase.POST16}, ["Cat Clark"]),
        ({"status": PepStatus.RETURNED}, ["Cat Clark", "Eve Evans"]),
        ({"status": PepStatus.SUBMITTED}, ["Amy Adams"]),
        ({"judgement": "gold"}, ["Ben Brown"]),
        ({"judgement": "red"}, ["Cat Clark"]),
        ({"judgement": "none"}, ["Amy Adams"]),
        ({"officer": "o1"}, ["Amy Adams", "Ben Brown"]),
        ({"officer": "o2"}, ["Cat Clark", "Dan Davis", "Eve Evans"]),
        ({"school": "s2"}, ["Ben Brown", "Dan Davis"]),
        ({"q": "amy"}, ["Amy Adams"]),
        ({"q": "EVANS"}, ["Eve Evans"]),
        ({"q": "ev ans"}, ["Eve Evans"]),  # every word must match
        ({"q": "amy brown"}, []),
        ({"q": "n"}, ["Ben Brown", "Dan Davis", "Eve Evans"]),
        ({"term": "t1", "officer": "o2"}, ["Eve Evans"]),
        ({"status": PepStatus.FINALISED, "school": "s2", "judgement": "green"}, ["Dan Davis"]),
    ],
    ids=lambda value: "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None,
)
def test_filters(vsh_client, world, params, expected):
    # Across both terms unless a term is chosen (the default, the current term, has its own tests).
    resolved = {"term": "all"} | {
        key: getattr(world, value).pk if key in ("term", "officer", "school") else value
        for key, value in params.items()
    }
    response = get_list(vsh_client, **resolved)
    assert names(response) == expected
    body = response.content.decode()
    assert f"<strong>{len(expected)}</strong> PEP" in body
    assert "matching your filters" in body


def test_search_by_la_reference(vsh_client, world):
    child = world.peps["Cat Clark"].child
    assert names(get_list(vsh_client, q=child.la_reference.lower())) == ["Cat Clark"]


def test_no_match_message(vsh_client, world):
    response = get_list(vsh_client, q="nobody-called-this", term="all")
    body = response.content.decode()
    assert names(response) == []
    assert "No PEPs match your filters." in body
    assert "<table" not in body
    assert "<strong>0</strong> PEPs matching your filters" in body


def test_an_invalid_filter_value_does_not_crash(vsh_client, world):
    response = get_list(vsh_client, status="bogus", term="999999")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("child", ALL),
        ("-child", ALL[::-1]),
        # Judgement by rank: not judged, red, amber, green, gold (not alphabetical).
        ("judgement", ["Amy Adams", "Cat Clark", "Eve Evans", "Dan Davis", "Ben Brown"]),
        ("-judgement", ["Ben Brown", "Dan Davis", "Eve Evans", "Cat Clark", "Amy Adams"]),
        ("term", ["Amy Adams", "Ben Brown", "Eve Evans", "Cat Clark", "Dan Davis"]),
        ("-term", ["Cat Clark", "Dan Davis", "Amy Adams", "Ben Brown", "Eve Evans"]),
        ("officer", ["Amy Adams", "Ben Brown", "Cat Clark", "Dan Davis", "Eve Evans"]),
        # Unknown sorts fall back to the child's name.
        ("bogus", ALL),
        ("-bogus", ALL),
        ("", ALL),
    ],
)
def test_sorting(vsh_client, world, sort, expected):
    response = get_list(vsh_client, sort=sort, term="all")
    assert names(response) == expected


def test_unknown_sort_falls_back_to_child_in_the_page(vsh_client, world):
    body = get_list(vsh_client, sort="drop table").content.decode()
    assert "PEPs, sorted by child" in body
    assert 'name="sort" value="child"' in body


def test_sort_headers_toggle_and_keep_filters(vsh_client, world):
    body = get_list(vsh_client, status=PepStatus.RETURNED, sort="child").content.decode()
    # The active column links to the reverse order, and says how it is sorted.
    assert (
        'aria-sort="ascending"><a class="govuk-link govuk-link--no-visited-state app-sort-link" '
        'href="?status=returned&amp;sort=-child">Child</a>' in body
    )
    assert 'href="?status=returned&amp;sort=judgement">Judgement</a>' in body


# Pagination


@pytest.fixture
def many_peps(db, settings):
    settings.PEPS_PER_PAGE = 25
    term = TermFactory()
    officer = UserFactory()
    for n in range(26):
        PepFactory(
            child=ChildFactory(first_name=f"Pupil{n:02d}", last_name=f"Zed{n:02d}", allocated_officer=officer),
            term=term,
            status=PepStatus.SUBMITTED,
        )
    return term


def test_pagination(vsh_client, many_peps):
    first = get_list(vsh_client)
    assert len(names(first)) == 25
    body = first.content.decode()
    assert 'href="?page=2" rel="next"' in body
    assert "Showing 1 to 25 of 26 results" in body

    second = get_list(vsh_client, page=2)
    assert names(second) == ["Pupil25 Zed25"]
    body = second.content.decode()
    assert "Showing 26 to 26 of 26 results" in body
    assert 'href="?page=1" rel="prev"' in body
    assert 'aria-current="page">2</a>' in body

    # Past the end: the last page, not an error.
    assert names(get_list(vsh_client, page=99)) == ["Pupil25 Zed25"]
    assert len(names(get_list(vsh_client, page="x"))) == 25


def test_pagination_keeps_filters_and_sort(vsh_client, many_peps):
    response = vsh_client.get(f"/peps/?status=submitted&term={many_peps.pk}&sort=-child&page=1")
    body = response.content.decode()
    assert names(response)[0] == "Pupil25 Zed25"
    expected = f"?status=submitted&amp;term={many_peps.pk}&amp;sort=-child&amp;page=2"
    assert f'href="{expected}" rel="next"' in body
    assert f'href="{expected}" aria-label="Page 2"' in body
    # Sorting links drop the page but keep the filters.
    assert f'href="?status=submitted&amp;term={many_peps.pk}&amp;sort=child">Child</a>' in body

    second = vsh_client.get(f"/peps/?status=submitted&term={many_peps.pk}&sort=-child&page=2")
    assert names(second) == ["Pupil00 Zed00"]


def test_filter_narrowing_to_one_page_has_no_pagination(vsh_client, many_peps):
    body = get_list(vsh_client, q="Pupil07").content.decode()
    assert "govuk-pagination" not in body


# Query counts: constant per page, however many PEPs there are.


def _make_peps(count, officers, schools, terms):
    for n in range(count):
        officer = officers[n % len(officers)]
        child = ChildFactory(
            allocated_officer=officer, school=schools[n % len(schools)], year_group=[0, 5, 9, 12][n % 4]
        )
        PepFactory(
            child=child,
            term=terms[n % len(terms)],
            status=[PepStatus.SUBMITTED, PepStatus.FINALISED, PepStatus.RETURNED][n % 3],
            judgement=["", "gold", "red", "green", "amber"][n % 5],
        )


def capture(client, url) -> list[str]:
    """The SQL of a GET of ``url``, after a warm-up GET (so nothing cached per process counts)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def show(*runs: list[str]) -> str:
    return "\n\n".join("\n".join(f"{n}. {sql[:400]}" for n, sql in enumerate(run, 1)) for run in runs)


# GET /peps/ as a VSH:
#   1. the session          2. the user      3. the second factor's device (django-otp)
#   4. COUNT(*) for the paginator
#   5. the PEPs the user is moderating (their judgement is hidden)
#   6. the page of PEPs, with child, school, term and officer joined
#   7. the open amendments of the page's PEPs (a returned PEP's amendment state)
#   8-11. the choices of the term, officer, school and social care team filters
#   12. the current term (the list shows it unless a term is chosen)
#   13. that term again, validated by the term filter (ModelChoiceFilter), as a chosen one is
PEP_LIST_QUERIES = 13
# ?term=all: neither of the last two ("all" is no term to look up).
PEP_LIST_ALL_TERMS_QUERIES = 11
# Filtered by every filter but the team: the same, and three more, the chosen term,
# officer and school, each looked up to validate the filter (ModelChoiceFilter).
PEP_LIST_FILTERED_QUERIES = 14


def test_pep_list_queries_are_constant(client, vsh, django_assert_num_queries):
    client.force_login(vsh)
    manager = UserFactory(role=Role.MANAGER)
    officers = [UserFactory(line_manager=manager) for _ in range(4)]
    schools = [SchoolFactory() for _ in range(5)]
    terms = [TermFactory() for _ in range(3)]
    url = reverse("peps:list")

    _make_peps(5, officers, schools, terms)
    with_5 = capture(client, url)
    _make_peps(35, officers, schools, terms)
    with_40 = capture(client, url)

    assert len(with_5) == len(with_40), show(with_5, with_40)
    assert len(with_40) == PEP_LIST_QUERIES, show(with_40)
    with django_assert_num_queries(PEP_LIST_QUERIES):
        response = client.get(url)
    # The current term's PEPs (a third of them), on one page.
    assert len(names(response)) == Pep.objects.filter(term=Term.objects.current()).count() > 0
    assert len(capture(client, f"{url}?term=all")) == PEP_LIST_ALL_TERMS_QUERIES
    assert len(names(client.get(f"{url}?term=all"))) == 25
    # Filtering adds one query, to check the term chosen exists; sorting adds none.
    filtered_url = (
        f"{url}?term={terms[0].pk}&officer={officers[0].pk}&school={schools[0].pk}"
        "&status=submitted&phase=eyfs&judgement=none&q=kid&sort=-judgement"
    )
    # The search is kept in the session: the list's address carries its token instead.
    filtered_url = client.get(filtered_url)["Location"]
    assert "kid" not in filtered_url and "search=" in filtered_url
    filtered = capture(client, filtered_url)
    assert len(filtered) == PEP_LIST_FILTERED_QUERIES, show(filtered)
    assert names(client.get(filtered_url))  # the page query ran: some PEPs matched


# GET /peps/<pk>/ as a VSH, of a finalised PEP:
#   1. the session   2. the user   (+1: the second factor's device, django-otp)
#   3. the PEP with its officer and term joined   3a. its child with school, social worker
#   and team, designated teacher and officer joined (a query of its own: cheaper to plan
#   than one of nine tables)   4. Aspiration Pathway entries
#   5. the submitted reviews with reviewer and pro-forma   6. their area ratings with areas
#   7. their corrections with who made them and the status change each made
#   8. the status changes with who made them (the QA story: rounds, returns, corrections)
#   9. the PEPs the user is moderating (the ratings are hidden from a moderator until they rate)
#   10. the PEP's latest amendment, with its review and reviewer
#   11. the messages about the PEP, with their e-mails (their recipients: one more, when any)
#   12. the audit trail's record of the view (audit.trail.record_view: one INSERT)
#   13. the user's second-factor device (django-otp, on every page)
# (can_review needs no query here: a VSH's line-management QA needs a submitted PEP; nor
# finalising without QA, which needs one too.)
PEP_DETAIL_QUERIES = 14


def _submit_reviews(pep, reviewers, count):
    for n in range(count):
        pep.refresh_from_db()
        review = start_review(pep, reviewers[n % len(reviewers)])
        save_review(
            review,
            rate_all(review, [["gold", "green", "amber", "red"][n % 4]] * 8),
            strengths="s",
            development_points="d",
            submit=True,
        )


def test_pep_detail_queries_are_constant(client, vsh, manager, lead, pep, django_assert_num_queries):
    client.force_login(vsh)
    url = reverse("peps:detail", args=[pep.pk])

    _submit_reviews(pep, [manager], 1)
    with_1 = capture(client, url)
    _submit_reviews(pep, [lead], 4)
    assert pep.reviews.filter(status="submitted").count() == 5
    with_5 = capture(client, url)

    assert len(with_1) == len(with_5), show(with_1, with_5)
    assert len(with_5) == PEP_DETAIL_QUERIES, show(with_5)
    with django_assert_num_queries(PEP_DETAIL_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("View review") == 5


# GET / as a manager:
#   1. the session   2. the user   (+1: the second factor's device, django-otp)
#   3. the current term
#   4. the ids of the manager's line reports (visible_peps)
#   5-6. term counts by status and by judgement   7. the line reports with caseload sizes
#   8. their PEPs this term counted by officer and status   9. the manager's draft reviews
#   10. PEPs awaiting QA   11. the manager's QA sample entries this term, done and in all
MANAGER_HOME_QUERIES = 17  # 12, the PEPs re-rated blind (1), who needs supervision (web/home.py: 4 when no one does)


def _add_reports(manager, term, count):
    for _ in range(count):
        officer = UserFactory(line_manager=manager)
        for status in (PepStatus.SUBMITTED, PepStatus.FINALISED):
            PepFactory(child=ChildFactory(allocated_officer=officer), term=term, status=status)


def test_manager_home_queries_are_constant(client, manager, officer, pep, django_assert_num_queries):
    client.force_login(manager)
    # A term well in the past, so that it is the current term (the factory's sequence
    # of terms reaches the present after ~75 terms, and Term.current() then costs one
    # more query).
    pep.term = TermFactory(academic_year=2001, season=Season.AUTUMN)
    pep.save()
    start_review(pep, manager)  # a draft to list
    url = reverse("home")

    _add_reports(manager, pep.term, 1)  # with ``officer``: two line reports
    with_2 = capture(client, url)
    _add_reports(manager, pep.term, 4)
    assert manager.line_reports.count() == 6
    with_6 = capture(client, url)

    assert len(with_2) == len(with_6), show(with_2, with_6)
    assert len(with_6) == MANAGER_HOME_QUERIES, show(with_6)
    with django_assert_num_queries(MANAGER_HOME_QUERIES):
        response = client.get(url)
    body = response.content.decode()
    for report in manager.line_reports.all():
        assert str(report) in body


def test_list_as_manager_offers_only_their_officers(client, manager, officer, other_officer, pep, other_pep):
    client.force_login(manager)
    body = get_list(client).content.decode()
    assert f'<option value="{officer.pk}">{officer}</option>' in body
    assert str(other_officer) not in body
    assert Pep.objects.count() == 2


def test_the_pep_page_goes_back_to_the_list_as_it_was_left(client, vsh, pep):
    """Filters, sort and page survive a visit to a PEP and its back link."""
    client.force_login(vsh)
    listing = client.get("/peps/", {"phase": pep.phase, "sort": "-child"}).content.decode()
    link = f"/peps/{pep.pk}/?list=phase%3D{pep.phase}%26sort%3D-child"
    assert link in listing
    detail = client.get(f"/peps/{pep.pk}/", {"list": f"phase={pep.phase}&sort=-child"}).content.decode()
    assert f'href="/peps/?phase={pep.phase}&amp;sort=-child" class="govuk-back-link"' in detail
    # Anything but a query string stays on this site's list: no way out through the link.
    hostile = client.get(f"/peps/{pep.pk}/", {"list": "//evil.example/"}).content.decode()
    assert 'href="/peps/?//evil.example/"' in hostile


# Query plans (PostgreSQL): the list a manager lands on, however sorted, reads the term's
# PEPs through indexes, not every PEP in history.


@pytest.fixture
def team_history(manager, officer):
    terms = [TermFactory(academic_year=2001 + n, season=Season.AUTUMN) for n in range(3)]
    for term in terms:
        for _ in range(3):
            PepFactory(term=term, officer=officer, child=ChildFactory(allocated_officer=officer))
            PepFactory(term=term)  # another team's
    return terms


@pytest.mark.parametrize("sort", ["", *(f"&sort=-{key}" for key in PEP_SORTS)])
def test_the_list_of_the_term_is_read_by_index(client, manager, team_history, sort):
    require_postgresql()
    client.force_login(manager)
    url = reverse("peps:list") + (f"?{sort[1:]}" if sort else "")
    selects = [sql for sql in capture(client, url) if '"peps_pep"' in sql and sql.startswith("SELECT")]
    assert len(selects) >= 2  # the count and the page
    current = Term.objects.current()
    for sql in selects:
        assert f'"peps_pep"."term_id" = {current.pk}' in sql  # the current term, by default
        assert_indexed(explain(sql))
