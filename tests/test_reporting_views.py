"""The reports dashboard: who may see it, its headline figures (checked against numbers
worked out by hand), the links from each figure to the PEPs behind it, the charts, an empty
term, and a constant number of queries."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.vocabulary import Role
from peps.models import PepStatus, PepStatusChange, Term
from reporting.figures import term_figures

from .factories import (
    ChildFactory,
    PepFactory,
    SchoolFactory,
    SocialCareTeamFactory,
    SocialWorkerFactory,
    TermFactory,
    UserFactory,
)
from .test_reporting_figures import actions_term  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<a class="govuk-link" href="/peps/\d+/(?:\?list=[^"]*)?">([^<]+)</a>')
DASHBOARD = reverse("reporting:dashboard")
SCHOOLS = reverse("reporting:schools")


def dashboard(client, term) -> str:
    response = client.get(DASHBOARD, {"term": term.pk})
    assert response.status_code == 200
    return response.content.decode()


def block(body: str, element_id: str) -> str:
    """The HTML of the element with this id, up to its closing tag (not nested in it)."""
    match = re.search(rf"<(li|ul|div|table|tr|form)[^>]*id=\"{element_id}\"[^>]*>(.*?)</\1>", body, re.S)
    assert match, f"no #{element_id}"
    return match.group(2)


def hrefs(fragment: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'href="([^"]+)"', fragment)]


def listed(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return {name.removesuffix(" Pupil") for name in ROW.findall(response.content.decode())}


# Access


@pytest.mark.parametrize("name", ["dashboard", "schools", "figures_csv", "figures_xlsx", "ratings_csv", "ratings_xlsx"])
def test_officers_may_not_see_reports(client, officer, small_school, name):
    client.force_login(officer)
    assert client.get(reverse(f"reporting:{name}"), {"term": small_school.term.pk}).status_code == 403


@pytest.mark.parametrize("name", ["dashboard", "schools", "figures_csv", "ratings_xlsx"])
def test_anonymous_users_are_sent_to_sign_in(client, small_school, name):
    response = client.get(reverse(f"reporting:{name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEAD, Role.VSH, Role.ADMINISTRATOR])
def test_managers_leads_the_vsh_and_administrators_see_reports(client, small_school, role):
    client.force_login(UserFactory(role=role))
    body = dashboard(client, small_school.term)
    assert 'href="/reports/" aria-current="page"' in body  # "Reports" in the navigation, current


def test_reports_are_not_in_an_officers_navigation(client, officer):
    client.force_login(officer)
    assert "/reports/" not in client.get("/").content.decode()


@pytest.mark.parametrize("role", [Role.MANAGER, Role.VSH])
def test_home_page_links_to_the_reports(client, role):
    TermFactory()
    client.force_login(UserFactory(role=role))
    body = client.get("/").content.decode()
    assert re.search(r'href="/reports/"[^>]*>See the term in figures', body) or 'id="reports-link"' in body


def test_unknown_or_bad_terms_are_not_found(client, vsh, small_school):
    client.force_login(vsh)
    assert client.get(DASHBOARD, {"term": "999999"}).status_code == 404
    assert client.get(DASHBOARD, {"term": "x"}).status_code == 404
    assert client.get(reverse("reporting:figures_csv"), {"term": "999999"}).status_code == 404
    assert client.get(SCHOOLS, {"term": "999999"}).status_code == 404
    assert client.get(SCHOOLS, {"term": "x"}, headers={"HX-Request": "true"}).status_code == 404


def test_no_terms_at_all_leaves_no_table_of_schools(client, vsh):
    client.force_login(vsh)
    assert client.get(SCHOOLS).status_code == 404


# The table of schools: closed on the dashboard, fetched when opened


def test_the_dashboard_holds_the_table_of_schools_closed_and_fetches_it_when_opened(client, vsh, small_school):
    client.force_login(vsh)
    term = small_school.term.pk
    body = dashboard(client, small_school.term)
    details = re.search(r'<details[^>]*id="schools"[^>]*>', body).group(0)
    assert f'hx-get="{SCHOOLS}?term={term}"' in details and 'hx-trigger="toggle once"' in details
    assert 'id="table-school"' not in body  # not rendered with the dashboard
    # Without JavaScript the closed section's link opens the table as a page.
    assert f"{SCHOOLS}?term={term}" in hrefs(block(body, "school-table"))
    # Its count of schools, and the Gold practice by school, still come with the dashboard.
    assert "Judgements by school (2 schools and settings)" in body


def test_the_table_of_schools_as_htmx_fetches_it_and_as_a_page(client, vsh, small_school):
    client.force_login(vsh)
    term = small_school.term.pk
    school = small_school.peps["Ava"].child.school
    partial = client.get(SCHOOLS, {"term": term}, headers={"HX-Request": "true"})
    page = client.get(SCHOOLS, {"term": term})

    fragment = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in fragment and 'id="table-school"' in fragment
    assert "HX-Request" in partial["Vary"] and "HX-Request" in page["Vary"]
    assert f"/peps/?term={term}&school={school.pk}&judgement=good" in hrefs(fragment)
    whole = page.content.decode()
    assert page.status_code == 200 and '<h1 class="govuk-heading-l">Judgements by school or setting</h1>' in whole
    assert f"{DASHBOARD}?term={term}" in hrefs(whole)  # back to the dashboard
    # The rows are the dashboard's figures: term_figures' by_school, the same rows.
    rows = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', fragment)
    assert rows == [html.escape(b.label) for b in term_figures(small_school.term).by_school]
    assert block(whole, "table-school") == block(fragment, "table-school")


def test_the_table_of_schools_queries_are_constant(client, vsh, django_assert_num_queries):
    client.force_login(vsh)
    term = TermFactory()
    officers = [UserFactory(role=Role.OFFICER) for _ in range(2)]
    teams = [SocialCareTeamFactory()]
    _make_peps(3, term, officers, [SchoolFactory()], teams)
    url = f"{SCHOOLS}?term={term.pk}"
    few = capture(client, url)
    _make_peps(20, term, officers, [SchoolFactory() for _ in range(6)], teams)
    many = capture(client, url)

    assert len(few) == len(many), "\n".join(many)
    with django_assert_num_queries(len(few)):
        client.get(url, headers={"HX-Request": "true"})


# The headlines and their links


def test_headlines_show_the_figures_in_words(client, vsh, small_school):
    client.force_login(vsh)
    body = dashboard(client, small_school.term)
    on_time = block(body, "headline-on-time")
    assert '<span class="app-headline__number">50%</span> of PEPs completed by the deadline' in on_time
    assert "2 of " in on_time and "4 PEPs due" in on_time and "3 completed" in on_time and "(75%)" in on_time
    good = block(body, "headline-good")
    assert '<span class="app-headline__number">67%</span> rated good or better' in good
    assert "2 of " in good and "3 judged" in good
    assert '<span class="app-headline__number">1</span> Gold PEP to celebrate' in block(body, "headline-gold")
    returned = block(body, "headline-returned")
    assert '<span class="app-headline__number">2</span> returned for amendment' in returned
    assert "1 amended" in returned and "1 still waiting" in returned
    coverage = block(body, "headline-coverage")
    assert "of 2</span> officers meeting the sampling policy" in coverage
    moderation = block(body, "headline-moderation")
    assert "No data" in moderation and "Not enough data" in moderation


@pytest.mark.parametrize(
    ("headline", "expected"),
    [
        ("headline-on-time", [{"Ava", "Ben"}, {"Ava", "Ben", "Cal", "Dee"}, {"Ava", "Ben", "Cal"}]),
        ("headline-good", [{"Ava", "Ben"}, {"Ava", "Ben", "Cal"}]),
        ("headline-gold", [{"Ava"}]),
        ("headline-returned", [{"Ben", "Cal"}, {"Ben"}, {"Cal"}]),
    ],
)
def test_each_headline_links_to_the_peps_behind_it(client, vsh, small_school, headline, expected):
    # Another term's PEPs must not turn up in the lists.
    PepFactory(
        term=TermFactory(), judgement="gold", status=PepStatus.RETURNED, date_completed=small_school.term.pep_deadline
    )
    client.force_login(vsh)
    links = hrefs(block(dashboard(client, small_school.term), headline))
    assert all(f"term={small_school.term.pk}" in link for link in links)
    assert [listed(client, link) for link in links] == expected


def test_coverage_and_moderation_link_to_their_pages(client, vsh, small_school):
    client.force_login(vsh)
    body = dashboard(client, small_school.term)
    term = small_school.term.pk
    assert hrefs(block(body, "headline-coverage")) == [f"{reverse('sampling:coverage')}?term={term}"]
    assert hrefs(block(body, "headline-moderation")) == [f"{reverse('sampling:moderation')}?term={term}"]


def test_breakdown_and_social_work_links(client, vsh, small_school):
    client.force_login(vsh)
    body = dashboard(client, small_school.term)
    term, alpha, beta = small_school.term.pk, small_school.teams["alpha"].pk, small_school.teams["beta"].pk
    # The schools' rows are on the table the dashboard opens (test_the_table_of_schools...).
    schools = client.get(SCHOOLS, {"term": term}, headers={"HX-Request": "true"}).content.decode()
    links = set(hrefs(body)) | set(hrefs(schools))
    expected = {
        f"/peps/?term={term}&phase=post16": {"Dee"},
        f"/peps/?term={term}&key_stage=KS3&judgement=amber": {"Cal"},
        f"/peps/?term={term}&school={small_school.peps['Ava'].child.school_id}&judgement=good": {"Ava", "Ben"},
        f"/peps/?term={term}&officer={small_school.peps['Cal'].officer_id}&judgement=judged": {"Cal"},
        f"/peps/?term={term}&team={alpha}&sw_attended=no": {"Ben"},
        f"/peps/?term={term}&team={beta}&sw_section=not_updated": {"Dee"},
        f"/peps/?term={term}&sw_section=not_updated": {"Ben", "Dee"},
    }
    for link, names in expected.items():
        assert link in links, link
        assert listed(client, link) == names, link


def test_social_work_figures_by_team(client, vsh, small_school):
    client.force_login(vsh)
    table = block(dashboard(client, small_school.term), "table-social-work")
    rows = {
        re.search(r'scope="row"[^>]*>([^<]+)', row).group(1): re.findall(r'numeric">(.*?)</td>', row)
        for row in re.findall(r"<tr class=\"govuk-table__row[^\"]*\">(.*?)</tr>", table, re.S)
        if 'scope="row"' in row
    }
    numbers = {
        team: [
            " ".join(re.sub(r"<[^>]+>", " ", cell.split('<span class="govuk-visually-hidden">')[0]).split())
            for cell in cells
        ]
        for team, cells in rows.items()
    }
    # PEPs, meetings held, SW attended, SW absent, section updated, not updated.
    assert numbers["Alpha team"] == ["2", "2", "50% (1)", "1", "50% (1)", "1"]
    assert numbers["Beta team"] == ["2", "1", "100% (1)", "0", "50% (1)", "1"]
    assert numbers["All teams"] == ["4", "3", "67% (2)", "1", "50% (2)", "2"]


def test_charts_are_images_with_their_data_in_tables(client, vsh, small_school):
    client.force_login(vsh)
    body = dashboard(client, small_school.term)
    for chart in ("chart-quality", "chart-trend", "chart-phase", "chart-key-stage"):
        svg = re.search(rf'<svg [^>]*id="{chart}"[^>]*>', body).group(0)
        assert 'role="img"' in svg
        assert f'aria-labelledby="{chart}-title"' in svg and f'aria-describedby="{chart}-desc"' in svg
        assert f'<title id="{chart}-title">' in body
    for table in ("table-quality", "table-trend", "table-phase", "table-key-stage"):
        assert f'<table class="govuk-table app-table--compact" id="{table}">' in body
    assert "Show the data" in body
    quality = block(body, "table-quality")
    assert "33%" in quality  # 1 Gold, 1 Green, 1 Amber of 3 judged


def test_the_quality_split_adds_up_to_100_and_good_or_better_is_gold_plus_green(client, vsh, small_school):
    """1 Gold, 1 Green, 1 Amber of 3: not 33% three times (99%) but 34%, 33%, 33%, 0%;
    the good-or-better headline is the Gold and Green shown, 34% + 33%."""
    client.force_login(vsh)
    body = dashboard(client, small_school.term)
    quality = block(body, "table-quality")
    assert [int(n) for n in re.findall(r">(\d+)%<", quality)] == [34, 33, 33, 0]
    assert '<span class="app-headline__number">67%</span> rated good or better' in block(body, "headline-good")
    legend = re.search(r'<svg [^>]*id="chart-quality".*?</svg>', body, re.S).group(0)
    assert re.findall(r"\((\d+)%\)", legend) == ["34", "33", "33", "0"]


def test_gold_practice_lists_schools_not_children(client, vsh, small_school):
    client.force_login(vsh)
    gold = block(dashboard(client, small_school.term), "table-gold")
    assert "North Primary" in gold
    assert "Ava" not in gold and "South Academy" not in gold


def test_download_links(client, vsh, small_school):
    client.force_login(vsh)
    links = hrefs(block(dashboard(client, small_school.term), "downloads"))
    term = small_school.term.pk
    assert links == [
        f"/reports/{name}?term={term}"
        for name in (
            "figures.csv",
            "figures.xlsx",
            "ratings.csv",
            "ratings.xlsx",
            "pdf/",
            # The board report's Word version, and (the VSH's) its commentary.
            "pdf/board/word/",
            "pdf/board/commentary/",
        )
    ]


def test_the_board_report_is_prepared_from_the_dashboard(client, vsh, small_school):
    """One click from the term in figures (the navigation's Reports) to the board paper's
    progress page, on either setup: it is built in the background."""
    client.force_login(vsh)
    page = dashboard(client, small_school.term)
    form = block(page, "prepare-board-report")
    assert 'action="/reports/pdf/request/"' in page and 'name="kind" value="board"' in form
    assert f'name="term" value="{small_school.term.pk}"' in form
    response = client.post("/reports/pdf/request/", {"kind": "board", "term": small_school.term.pk})
    assert response.status_code == 302 and response["Location"].startswith("/reports/pdf/")


def test_a_manager_is_told_the_lists_show_only_their_peps(client, manager, small_school):
    client.force_login(manager)
    assert "The lists they link to show only the PEPs you can see" in dashboard(client, small_school.term)


# Empty terms


def test_an_empty_term_shows_no_data(client, vsh):
    term = TermFactory()
    client.force_login(vsh)
    body = dashboard(client, term)
    assert f"There are no PEPs for {term} yet: no data to show." in body
    assert '<span class="app-headline__number">No data</span> of PEPs completed by the deadline' in body
    assert '<span class="app-headline__number">No data</span> rated good or better' in body
    assert body.count('role="img"') == 4


def test_no_terms_at_all(client, vsh):
    Term.objects.all().delete()
    client.force_login(vsh)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "No terms have been set up yet" in response.content.decode()
    assert client.get(reverse("reporting:figures_csv")).status_code == 404


# Queries: the same however many PEPs


def _make_peps(count, term, officers, schools, teams):
    for n in range(count):
        child = ChildFactory(
            allocated_officer=officers[n % len(officers)],
            school=schools[n % len(schools)],
            year_group=[0, 2, 5, 8, 10, 12][n % 6],
            social_worker=SocialWorkerFactory(team=teams[n % len(teams)]),
        )
        pep = PepFactory(
            child=child,
            term=term,
            judgement=["", "gold", "red", "green", "amber"][n % 5],
            status=[PepStatus.SUBMITTED, PepStatus.FINALISED, PepStatus.RETURNED][n % 3],
            date_completed=term.pep_deadline if n % 2 else None,
            sw_attended=bool(n % 3),
        )
        if pep.status == PepStatus.RETURNED:
            PepStatusChange.objects.create(pep=pep, from_status="submitted", to_status="returned")


def capture(client, url) -> list[str]:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_dashboard_queries_are_constant(client, vsh, django_assert_num_queries):
    client.force_login(vsh)
    terms = [TermFactory() for _ in range(3)]
    manager = UserFactory(role=Role.MANAGER)
    officers = [UserFactory(line_manager=manager) for _ in range(3)]
    schools = [SchoolFactory() for _ in range(4)]
    teams = [SocialCareTeamFactory() for _ in range(3)]
    url = f"{DASHBOARD}?term={terms[-1].pk}"

    _make_peps(5, terms[-1], officers, schools, teams)
    with_5 = capture(client, url)
    for term in terms:
        _make_peps(12, term, officers, schools, teams)
    _make_peps(40 - 5 - 12, terms[-1], officers, schools, teams)
    with_40 = capture(client, url)

    assert len(with_5) == len(with_40), "\n".join(with_40)
    with django_assert_num_queries(len(with_5)):
        client.get(url)


# --- actions arising (issue 11) ---------------------------------------------------------


def test_the_dashboard_shows_the_actions_arising(client, vsh, actions_term):  # noqa: F811 - fixture
    client.force_login(vsh)
    html = client.get(reverse("reporting:dashboard"), {"term": actions_term.term.pk}).content.decode()
    section = html[html.index('id="actions-arising"') :]
    assert "Overdue (open, past the due date)" in section
    for label, number in (("Open", 3), ("Done", 2), ("Not done", 1), ("From supervision", 3), ("From peer review", 3)):
        assert re.search(rf">{re.escape(label)}</th><td[^>]*>{number}</td>", section), label
    assert re.search(r">SMART targets</th><td[^>]*>2</td><td[^>]*>34%</td>", section)
    assert re.search(r">General</th><td[^>]*>2</td><td[^>]*>33%</td>", section)


def test_moderation_headline_counts_one_re_rating_and_withholds_kappa(client, vsh, pep, one_re_rating):
    client.force_login(vsh)
    moderation = block(dashboard(client, pep.term), "headline-moderation")
    assert '<span class="app-headline__number">0 of 1</span> moderated PEPs agreed' in moderation
    assert "0 of 1 agreed (0%) on the overall judgement." in moderation
    assert "Too few re-ratings to compute kappa (need 10)." in moderation
    assert "0.00" not in moderation and "1 disagreement, 0 settled." in moderation
