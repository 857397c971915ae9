"""The report PDFs are tagged PDF/UA-1 (issue 14): read back with pikepdf, their structure
tree, language, title, headings, tables, figures, links and artifacts (reporting.pdf,
reporting.pdf_tags). The text and pages are tests/test_reporting_pdf.py's."""

import io
import re

import pikepdf
import pytest

from core.vocabulary import Role
from peps.models import SocialCareTeam
from reporting import pdf
from reporting.figures import social_care_team_exceptions
from reporting.models import ReportKind
from reporting.services import build_report, request_report

from .factories import UserFactory
from .test_reporting_pdf import term_data  # noqa: F401 - the fixture

HEADING = re.compile(r"^/H([1-6])$")
BMC = pikepdf.Operator("BMC")


def _open(content: bytes) -> pikepdf.Pdf:
    return pikepdf.open(io.BytesIO(content))


def _elements(document: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element reachable from the root, in reading (tree) order."""
    found = []

    def walk(node):
        if isinstance(node, pikepdf.Dictionary) and "/S" in node:
            found.append(node)
            kids = node.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
                walk(kid)

    for kid in document.Root.StructTreeRoot.K:
        walk(kid)
    return found


def _descendants(element) -> list:
    out = []
    kids = element.get("/K")
    for kid in kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            out.append(kid)
            out += _descendants(kid)
    return out


def _tag(element) -> str:
    return str(element.S)


@pytest.fixture
def reports(term_data):  # noqa: F811 - the imported fixture
    term = term_data["term"]
    team = SocialCareTeam.objects.get(name="Alpha Children in Care")
    return {
        "board": pdf.board_report_pdf(term),
        "social care": pdf.social_care_report_pdf(term),
        "team": pdf.social_care_team_report_pdf(term, social_care_team_exceptions(term, team)),
    }


NAMES = ["board", "social care", "team"]


@pytest.mark.parametrize("name", NAMES)
def test_tagged_with_its_language_and_title(reports, name):
    document = _open(reports[name])
    assert "/StructTreeRoot" in document.Root
    assert bool(document.Root.MarkInfo.Marked) is True
    assert str(document.Root.Lang) == "en-GB"
    assert bool(document.Root.ViewerPreferences.DisplayDocTitle) is True
    with document.open_metadata() as xmp:
        title = xmp.get("dc:title", "")
        assert "pdfuaid:part" in str(xmp) or xmp.get("pdfuaid:part") == "1"
    assert title and str(title) != "None"
    assert _elements(document)[0].S == "/H1" or any(_tag(e) == "/H1" for e in _elements(document))


@pytest.mark.parametrize("name", NAMES)
def test_headings_start_at_h1_and_skip_no_level(reports, name):
    document = _open(reports[name])  # kept open while its elements are read
    levels = [int(m.group(1)) for e in _elements(document) if (m := HEADING.match(_tag(e)))]
    assert levels and levels[0] == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels


@pytest.mark.parametrize("name", NAMES)
def test_every_table_has_header_cells(reports, name):
    document = _open(reports[name])
    tables = [e for e in _elements(document) if _tag(e) == "/Table"]
    assert tables
    for table in tables:
        assert any(_tag(d) == "/TH" for d in _descendants(table))
        for cell in (d for d in _descendants(table) if _tag(d) == "/TH"):
            # A column header in the head row, a row header (<th scope="row">) in the body.
            assert str(cell.A.Scope) in ("/Column", "/Row"), cell


def test_the_head_rows_cells_are_column_headers_and_the_covers_are_row_headers(reports):
    document = _open(reports["board"])
    tables = [e for e in _elements(document) if _tag(e) == "/Table"]
    cover = [str(d.A.Scope) for d in _descendants(tables[0]) if _tag(d) == "/TH"]
    assert cover and set(cover) == {"/Row"}  # "Report of", "Term", ...: labels of their rows
    figures = [str(d.A.Scope) for d in _descendants(tables[1]) if _tag(d) == "/TH"]
    assert figures and set(figures) == {"/Column"}


def test_every_chart_is_a_figure_whose_alternative_text_states_its_numbers(reports):
    document = _open(reports["board"])
    figures = [e for e in _elements(document) if _tag(e) == "/Figure"]
    assert len(figures) == 2  # the judgements of the term and the trend
    alts = [str(figure.get("/Alt", "")) for figure in figures]
    quality, trend = alts
    # term_data: 4 judged, one each of Gold, Green, Amber and Red.
    assert quality.startswith("Overall judgement of the quality-assured PEPs. ")
    assert "Gold 1 (25%), Green 1 (25%), Amber 1 (25%), Red 1 (25%)" in quality
    assert re.search(r"\d+%", trend) and "Autumn 2011/12" in trend


@pytest.mark.parametrize("name", NAMES)
def test_running_headers_and_page_numbers_are_artifacts_and_every_mark_is_in_the_tree(reports, name):
    document = _open(reports[name])
    in_tree = {(e.objgen) for e in _elements(document)}
    parents = document.Root.StructTreeRoot.ParentTree.Nums
    for page_index, page in enumerate(document.pages):
        operations = pikepdf.parse_content_stream(page)
        artifacts = [
            op for op in operations if op.operator == pikepdf.Operator("BMC") and op.operands[0] == "/Artifact"
        ]
        assert artifacts, f"page {page_index + 1}: its header and footer are not artifacts"
        marks = [op.operands[1].MCID for op in operations if op.operator == pikepdf.Operator("BDC")]
        mapping = parents[2 * page_index + 1]
        assert int(parents[2 * page_index]) == page_index
        for mcid in marks:
            assert mapping[int(mcid)].objgen in in_tree, f"page {page_index + 1}: content {mcid} is outside the tree"


def test_the_running_header_is_not_read_as_content(reports):
    """The team report's running title repeats on every page: in the tree only once (its
    own heading), not once a page."""
    document = _open(reports["team"])
    text = []
    for page in document.pages:
        inside, depth = False, 0
        for op in pikepdf.parse_content_stream(page):
            if op.operator == pikepdf.Operator("BMC") and op.operands[0] == "/Artifact":
                inside, depth = True, 1
            elif inside and op.operator in (pikepdf.Operator("BMC"), pikepdf.Operator("BDC")):
                depth += 1
            elif inside and op.operator == pikepdf.Operator("EMC"):
                depth -= 1
                inside = depth > 0
            elif inside and op.operator == pikepdf.Operator("Tf"):
                text.append("artifact text")
    assert text  # the header, the classification and "Page n of m" on each page


@pytest.mark.parametrize("name", NAMES)
def test_links_say_where_they_go(reports, name):
    document = _open(reports[name])
    for page in document.pages:
        for annotation in page.get("/Annots", []):
            if annotation.get("/Subtype") == "/Link":
                assert str(annotation.get("/Contents", "")), annotation


@pytest.mark.django_db
def test_a_stored_report_is_tagged(term_data):  # noqa: F811
    report = request_report(ReportKind.BOARD, term_data["term"], UserFactory(role=Role.VSH))
    build_report(report.pk)
    report.refresh_from_db()
    with report.file.open("rb") as stored:
        document = _open(stored.read())
    assert "/StructTreeRoot" in document.Root and str(document.Root.Lang) == "en-GB"
