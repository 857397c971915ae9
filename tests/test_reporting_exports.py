"""The downloads: the figures as a tidy table and the ratings behind them, in CSV and
xlsx, read back and checked against the figures."""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from reporting import exports
from reporting.figures import actions_arising, term_figures, trend
from reviews.models import AreaRating
from reviews.services import save_review, start_review
from web.reporting.views import XLSX

from .factories import PepFactory, TermFactory, rate_all
from .plans import assert_indexed, explain, nodes, require_postgresql
from .test_reporting_figures import actions_term  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def read_xlsx(response) -> list[tuple]:
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def figures_by_key(rows) -> dict:
    return {tuple(row[:4]): row[4] for row in rows[1:]}


def get(client, name, term):
    response = client.get(reverse(f"reporting:{name}"), {"term": term.pk})
    assert response.status_code == 200
    return response


def test_figures_csv(client, vsh, small_school):
    client.force_login(vsh)
    term = small_school.term
    response = get(client, "figures_csv", term)
    assert response["Content-Disposition"] == (
        f'attachment; filename="pep-qa-figures-{term.season}-{term.academic_year}-'
        f'{(term.academic_year + 1) % 100:02d}.csv"'
    )
    rows = read_csv(response)
    assert rows[0] == ["Section", "Breakdown", "Item", "Measure", "Value"]
    figures = figures_by_key(rows)
    label = str(term)
    # The numbers worked out by hand in test_reporting_views.small_school.
    assert figures["Completion", "Term", label, "PEPs due"] == "4"
    assert figures["Completion", "Term", label, "Completed"] == "3"
    assert figures["Completion", "Term", label, "Completed by the deadline"] == "2"
    assert figures["Completion", "Term", label, "% completed by the deadline"] == "50"
    assert figures["Quality", "Term", label, "Judged"] == "3"
    assert figures["Quality", "Term", label, "% good or better"] == "67"
    assert figures["Quality", "Term", label, "Gold"] == "1"
    assert figures["Quality", "Phase", "Post 16", "Judged"] == "0"
    assert figures["Quality", "Phase", "Post 16", "% good or better"] == ""  # nothing to divide by
    assert figures["Quality", "Key stage", "KS3", "Amber"] == "1"
    assert figures["Quality", "School", "North Primary", "% good or better"] == "100"
    assert figures["Social worker", "Social care team", "Alpha team", "% SW attended"] == "50"
    assert figures["Social worker", "Social care team", "Beta team", "% SW attended"] == "100"
    assert figures["Social worker", "Social care team", "All teams", "SW section updated"] == "2"
    assert figures["Amendments", "Term", label, "Returned for amendment"] == "2"
    assert figures["Amendments", "Term", label, "Amended"] == "1"
    assert figures["Moderation", "Term", label, "% exact agreement"] == ""
    assert figures["Moderation", "Term", label, "Pairs agreed"] == "0"
    assert figures["Gold practice", "School", "North Primary", "Gold PEPs"] == "1"
    assert figures["Trend", "Term", label, "% completed by the deadline"] == "50"
    # Every row is one number, none twice.
    assert len(figures) == len(rows) - 1


def test_figures_xlsx_matches_the_csv_and_the_figures(client, vsh, small_school):
    client.force_login(vsh)
    term = small_school.term
    response = get(client, "figures_xlsx", term)
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert "pep-qa-figures-" in response["Content-Disposition"]
    rows = read_xlsx(response)
    figures = figures_by_key(rows)
    label = str(term)
    assert figures["Completion", "Term", label, "PEPs due"] == 4
    assert figures["Completion", "Term", label, "% completed by the deadline"] == 50
    assert figures["Quality", "Phase", "Post 16", "% good or better"] is None
    expected = term_figures(term)
    assert figures["Quality", "Term", label, "Good or better"] == expected.quality.good_or_better
    assert figures["Sample coverage", "Term", label, "Officers"] == expected.coverage.officers
    csv_rows = read_csv(get(client, "figures_csv", term))
    assert len(csv_rows) == len(rows)
    assert [row[:4] for row in csv_rows] == [list(row[:4]) for row in rows]


def test_figure_rows_cover_every_term_of_the_trend(small_school):
    figures, points = term_figures(small_school.term), trend(small_school.term)
    rows = list(exports.figure_rows(figures, points))
    trend_terms = {row[2] for row in rows if row[0] == "Trend"}
    assert trend_terms == {str(point.term) for point in points}
    assert all(len(row) == 5 for row in rows)


def _review(pep, reviewer, rating):
    review = start_review(pep, reviewer)
    save_review(review, rate_all(review, [rating] * 8), strengths="s", development_points="d", submit=True)
    return review


@pytest.fixture
def reviewed(manager, other_manager, pep, other_pep):
    """A Green review by ``manager`` of ``pep`` (their officer's) and a Gold one by
    ``other_manager`` of ``other_pep``; a PEP of another term, reviewed too."""
    _review(pep, manager, "green")
    _review(other_pep, other_manager, "gold")
    elsewhere = PepFactory(child=pep.child, term=TermFactory())
    _review(elsewhere, manager, "red")
    return pep, other_pep


def test_ratings_csv_has_one_row_per_area_rating(client, vsh, reviewed):
    pep, other_pep = reviewed
    for rating in AreaRating.objects.filter(review__pep=pep).select_related("area"):
        rating.comment = f"Area {rating.area.position}: evidence seen in the PEP"
        rating.save()
    client.force_login(vsh)
    rows = read_csv(get(client, "ratings_csv", pep.term))
    assert rows[0] == [
        "LA reference",
        "Term",
        "Phase",
        "Officer",
        "Reviewer",
        "Review kind",
        "Submitted",
        "Area position",
        "Area title",
        "Rating",
        "Overall judgement",
        "Comment",
    ]
    body = rows[1:]
    assert len(body) == 16  # two reviews of eight areas; not the other term's review
    by_pep = {
        reference: [row for row in body if row[0] == reference]
        for reference in (pep.child.la_reference, other_pep.child.la_reference)
    }
    mine = by_pep[pep.child.la_reference]
    assert [row[7] for row in mine] == [str(n) for n in range(1, 9)]
    assert {row[9] for row in mine} == {"Green"} and {row[10] for row in mine} == {"Green"}
    assert mine[0][1] == str(pep.term) and mine[0][2] == "SSA" and mine[0][3] == str(pep.officer)
    assert mine[0][5] == "Line-management QA"
    assert date.fromisoformat(mine[0][6])
    assert {row[9] for row in by_pep[other_pep.child.la_reference]} == {"Gold"}
    assert [row[11] for row in mine] == [f"Area {n}: evidence seen in the PEP" for n in range(1, 9)]


def test_ratings_only_of_peps_the_user_may_see(client, manager, reviewed):
    pep, other_pep = reviewed
    client.force_login(manager)
    rows = read_csv(get(client, "ratings_csv", pep.term))[1:]
    assert {row[0] for row in rows} == {pep.child.la_reference}
    assert len(rows) == 8
    xlsx = read_xlsx(get(client, "ratings_xlsx", pep.term))
    assert {row[0] for row in xlsx[1:]} == {pep.child.la_reference}
    assert len(xlsx) == 9
    assert isinstance(xlsx[1][6], date) and xlsx[1][7] == 1 and xlsx[1][9] == "Green"


def test_a_comment_pasted_with_control_characters_does_not_break_the_excel_export(client, vsh, reviewed):
    # Text pasted from a word processor brings vertical tabs and form feeds, which an
    # xlsx cell cannot hold (openpyxl refuses them): the export must still download.
    pep, _ = reviewed
    AreaRating.objects.filter(review__pep=pep).update(comment="Line one\x0bline two\x0cpage\x1b.")
    client.force_login(vsh)
    xlsx = read_xlsx(get(client, "ratings_xlsx", pep.term))
    comments = {row[11] for row in xlsx[1:] if row[0] == pep.child.la_reference}
    assert comments == {"Line one line two page ."}
    csv_comments = {
        row[11] for row in read_csv(get(client, "ratings_csv", pep.term))[1:] if row[0] == pep.child.la_reference
    }
    assert csv_comments == {"Line one\x0bline two\x0cpage\x1b."}  # CSV carries them as typed


def test_text_that_looks_like_a_formula_is_defused():
    assert exports.safe_cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert exports.safe_cell("+1") == "'+1" and exports.safe_cell("@SUM") == "'@SUM"
    assert exports.safe_cell(-0.25) == -0.25 and exports.safe_cell("Plain") == "Plain"
    workbook = load_workbook(exports.xlsx_file("T", ["a"], [("=1+1",)]))
    assert workbook.worksheets[0]["A2"].value == "'=1+1"
    chunks = list(exports.csv_chunks(["a"], [("=1+1",), (None,)]))
    assert chunks[0].startswith("\ufeff".encode())
    assert b"".join(chunks).decode("utf-8-sig").splitlines() == ["a", "'=1+1", '""']


def test_csv_rows_go_out_in_chunks_not_a_write_each():
    rows = [(f"row {i}", i) for i in range(1000)]
    chunks = list(exports.csv_chunks(["name", "n"], rows, chunk_size=1000))
    assert chunks[0] == "\ufeffname,n\r\n".encode()  # the header alone: the download starts at once
    assert 10 < len(chunks) < 30  # about 11 characters a row, 1,000 a chunk
    assert all(len(chunk) < 1100 for chunk in chunks)
    assert b"".join(chunks).decode("utf-8-sig").splitlines() == ["name,n"] + [f"row {i},{i}" for i in range(1000)]
    assert len(list(exports.csv_chunks(["a"], []))) == 1


def test_openpyxl_writes_with_lxml():
    """lxml is a production dependency: without it the write-only mode is about twice as slow."""
    assert openpyxl.LXML is True


def test_xlsx_exports_are_written_in_write_only_mode(monkeypatch):
    made = []

    def recording_workbook(*args, **kwargs):
        made.append(Workbook(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(exports, "Workbook", recording_workbook)
    workbook = load_workbook(exports.xlsx_file("T", ["a"], [(1,), (2,)]))
    assert [w.write_only for w in made] == [True]
    assert [row for row in workbook.worksheets[0].values] == [("a",), (1,), (2,)]


def test_term_slug():
    term = TermFactory(academic_year=2026, season="autumn")
    assert exports.term_slug(term) == "autumn-2026-27"


def test_the_figures_downloads_carry_the_actions_arising(client, vsh, actions_term):  # noqa: F811 - fixture
    """tests/test_reporting_figures.py's hand-counted term, in both downloads."""
    client.force_login(vsh)
    term = actions_term.term
    rows = list(exports.action_rows(term, actions_arising(term, actions_term.today)))
    by_key = {tuple(row[:4]): row[4] for row in rows}
    label = str(term)
    assert by_key["Actions arising", "Term", label, "Agreed"] == 6
    assert by_key["Actions arising", "Term", label, "% open"] == 50
    assert by_key["Actions arising", "Term", label, "% not done"] == 17
    assert by_key["Actions arising", "Source", "Peer review", "Agreed"] == 3
    assert by_key["Actions arising", "Theme", "General", "% of agreed"] == 33
    assert by_key["Actions arising", "Theme", "SMART targets", "% of agreed"] == 34
    for name in ("figures_csv", "figures_xlsx"):
        response = get(client, name, term)
        read = read_csv(response) if name.endswith("csv") else read_xlsx(response)
        arising = [list(map(str, row[:4])) for row in read if row[0] == "Actions arising"]
        assert arising == [list(map(str, row[:4])) for row in rows], name


def _export_sql(user, term) -> str:
    """The SQL of the ratings export (a server-side cursor on PostgreSQL: its SELECT)."""
    with CaptureQueriesContext(connection) as queries:
        rows = list(exports.rating_rows(user, term))
    (sql,) = [query["sql"] for query in queries.captured_queries if "reviews_arearating" in query["sql"]]
    assert rows  # the query ran and found the term's ratings
    return re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", sql)


@pytest.mark.parametrize("who", ["manager", "vsh"])
def test_the_ratings_export_reads_the_term_by_its_index(request, reviewed, who):
    require_postgresql()
    pep, _other = reviewed
    # The term on the outer query: the term's PEPs, their reviews, their ratings, each
    # through an index, not every rating in history filtered by a subquery.
    plan = explain(_export_sql(request.getfixturevalue(who), pep.term))
    assert_indexed(plan)
    outer = [node for node in nodes(plan) if node.get("Alias") == "peps_pep"]  # not the subquery's
    conditions = [node.get(key, "") for node in outer for key in ("Index Cond", "Recheck Cond", "Filter")]
    assert any(f"term_id = {pep.term.pk}" in condition for condition in conditions), conditions
    # The reviews by their PEP (the term's PEPs as an array), not all submitted reviews hashed.
    reviews = [node for node in nodes(plan) if node.get("Relation Name") == "reviews_qareview"]
    assert any("pep_id = ANY" in node.get("Index Cond", "") for node in reviews), reviews


@pytest.mark.django_db
def test_server_side_cursors_are_planned_for_the_whole_result():
    """The exports read their server-side cursor to the end: planned for 10% of it (the
    default), the ratings export chose nested loops and took 1.5-2x as long."""
    require_postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone()[0] == "1"
