"""The board report as a Word document (reporting/docx.py), read back with python-docx:
its headings in order, real tables with a repeating header row, the same figures as the
PDF (one context), the VSH's commentary, the classification and the document's
properties; and a council's template's styles."""

import io
import time

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from reporting import pdf
from reporting.commentary import save_commentary
from reporting.docx import CLASSIFICATION, _Writer, board_report_docx, download_name

from .test_reporting_pdf import empty_term, pages_text, term_data  # noqa: F401 - fixtures

HEADINGS = [
    "Summary",
    "1. Completion of PEPs",
    "2. Quality of PEPs",
    "3. The trend over recent terms",
    "4. Quality by phase, key stage, school and officer",
    "5. Social workers' contribution",
    "6. Amendments, QA coverage and moderation",
    "7. Gold practice",
    "8. Actions arising",
    "9. About these figures",
]


def read(content: bytes):
    return Document(io.BytesIO(content))


def headings(doc, level: int) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def rows(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def table_after(doc, heading: str):
    """The first table after the paragraph ``heading`` in the body."""
    seen = False
    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph) and block.text == heading:
            seen = True
        elif seen and isinstance(block, Table):
            return block
    raise AssertionError(f"no table after {heading}")


def test_the_word_version_has_the_pdfs_structure_and_the_commentary(term_data, vsh):  # noqa: F811 - fixture
    term = term_data["term"]
    save_commentary(
        term,
        by=vsh,
        version=0,
        commentary="Completion rose this term.\n\nGold held steady,\nas planned.",
        next_steps="Train every new designated teacher by March.",
    )
    doc = read(board_report_docx(term))

    assert headings(doc, 1) == HEADINGS
    level_2 = headings(doc, 2)
    assert level_2[:3] == [f"Headlines for {term}", "Commentary from the Virtual School Head", "Recommendation"]
    assert level_2[-1] == "Actions arising: next steps"
    assert [p.text for p in doc.paragraphs if p.style.name == "Title"] == [
        "Personal Education Plans: completion and quality"
    ]
    texts = [p.text for p in doc.paragraphs]
    at = texts.index("Commentary from the Virtual School Head")
    assert texts[at + 1 : at + 3] == ["Completion rose this term.", "Gold held steady,\nas planned."]
    steps = texts.index("Actions arising: next steps")
    assert texts[steps + 1] == "Train every new designated teacher by March."
    assert steps > texts.index("8. Actions arising")

    # Every table but the cover's (labels and values) is a real table whose first row is
    # marked as the repeating header.
    assert len(doc.tables) >= 10
    assert rows(doc.tables[0])[0][0] == "Report of" and doc.tables[0].rows[0]._tr.trPr is None
    for table in doc.tables[1:]:
        header = table.rows[0]._tr.trPr
        assert header is not None and header.find(qn("w:tblHeader")) is not None
    completion = rows(table_after(doc, "1. Completion of PEPs"))
    assert completion == [
        ["Measure", "PEPs", "Share of PEPs due"],
        ["PEPs due", "5", "100%"],
        ["Completed by the deadline", "3", "60%"],
        ["Completed after the deadline", "1", "20%"],
        ["Not yet completed", "1", "20%"],
    ]
    quality = rows(table_after(doc, "2. Quality of PEPs"))
    assert quality[0] == ["Judgement", "PEPs", "Share of judged PEPs"]
    assert quality[-1] == ["Good or better (Gold or Green)", "2", "50%"]
    social_work = rows(table_after(doc, "5. Social workers' contribution"))
    assert social_work[-1] == ["All teams", "4", "3 (75%)", "5", "3 (60%)"]

    properties = doc.core_properties
    assert properties.title == f"Personal Education Plans: completion and quality – {term}"
    assert properties.author == "Hillingdon Virtual School"
    assert properties.category == CLASSIFICATION
    section = doc.sections[0]
    assert CLASSIFICATION in section.header.paragraphs[0].text
    assert CLASSIFICATION in section.footer.paragraphs[0].text


def test_the_word_version_has_the_pdfs_figures(term_data):  # noqa: F811 - fixture
    """One context, two presentations: the headlines word for word, and the rows of the
    tables, as the PDF prints them."""
    term = term_data["term"]
    doc = read(board_report_docx(term))
    headlines = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert headlines == pdf.headlines(pdf.term_figures(term))
    tables = [
        rows(table_after(doc, heading))[1:]
        for heading in ("1. Completion of PEPs", "2. Quality of PEPs", "5. Social workers' contribution")
    ]
    flat = " ".join(pages_text(pdf.board_report_pdf(term)))
    for line in headlines:
        assert line in flat
    for row in [row for table in tables for row in table]:
        assert " ".join(row) in flat, row


def test_the_word_version_names_no_child(term_data):  # noqa: F811 - fixture
    doc = read(board_report_docx(term_data["term"]))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for child in term_data["children"]:
        assert child.first_name not in text and child.la_reference not in text


def test_an_empty_term_says_no_data_and_has_no_commentary(empty_term):  # noqa: F811 - fixture
    doc = read(board_report_docx(empty_term))
    texts = [p.text for p in doc.paragraphs]
    assert f"No data for this term: no PEPs are recorded for {empty_term}." in texts
    assert "Commentary from the Virtual School Head" not in texts
    assert "Actions arising: next steps" not in texts
    assert headings(doc, 1) == HEADINGS


def test_a_councils_template_gives_its_styles_and_loses_its_body(term_data, settings, tmp_path):  # noqa: F811 - fixture
    template = Document()
    template.styles["Heading 1"].font.name = "Council Sans"
    template.styles["Heading 1"].font.size = Pt(19)
    template.add_paragraph("Delete me: the template's sample text")
    path = tmp_path / "council.docx"
    template.save(path)
    settings.BOARD_REPORT_DOCX_TEMPLATE = str(path)

    doc = read(board_report_docx(term_data["term"]))
    assert doc.styles["Heading 1"].font.name == "Council Sans"
    assert doc.styles["Heading 1"].font.size == Pt(19)
    assert "Delete me: the template's sample text" not in [p.text for p in doc.paragraphs]
    assert headings(doc, 1) == HEADINGS


def test_the_file_is_named_as_the_pdf_and_builds_fast(term_data):  # noqa: F811 - fixture
    term = term_data["term"]
    assert download_name(term) == "board-report-autumn-2011-12.docx"
    started = time.perf_counter()
    board_report_docx(term)
    assert time.perf_counter() - started < 2


def test_a_long_table_builds_in_well_under_a_second(term_data):  # noqa: F811 - fixture
    """An authority whose 200 schools each have enough judged PEPs to be shown: python-docx's
    cell(r, c) walks the grid on each call (this took over 30 s that way)."""
    writer = _Writer(pdf.board_report_context(term_data["term"]))
    started = time.perf_counter()
    table = writer.table([f"Column {n}" for n in range(9)], [[f"School {r}", *range(8)] for r in range(200)])
    # A guard against the grid walk (30 s), not a measure: the machine is shared, so loose.
    assert time.perf_counter() - started < 5
    assert len(table.rows) == 201 and table.rows[200].cells[8].text == "7"


def test_the_word_version_is_structured_for_screen_readers(term_data):  # noqa: F811 - fixture
    """Issue 14: British English as its language, every table with alternative text (its
    title and columns), every header row marked, and headings that skip no level."""
    doc = read(board_report_docx(term_data["term"]))
    assert doc.core_properties.language == "en-GB"
    language = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert language.find(qn("w:lang")).get(qn("w:val")) == "en-GB"
    assert len(doc.tables) > 5
    for table in doc.tables:
        properties = table._tbl.tblPr
        caption, description = properties.find(qn("w:tblCaption")), properties.find(qn("w:tblDescription"))
        assert caption is not None and caption.get(qn("w:val")), rows(table)[0]
        assert description is not None and description.get(qn("w:val"))
        first = table.rows[0]._tr.trPr
        is_header = first is not None and first.find(qn("w:tblHeader")) is not None
        assert is_header or description.get(qn("w:val")) == "Each row a label and its value."
        if is_header:
            assert description.get(qn("w:val")) == f"Columns: {', '.join(rows(table)[0])}."
    levels = [
        0 if p.style.name == "Title" else int(p.style.name.split()[-1])
        for p in doc.paragraphs
        if p.style.name == "Title" or p.style.name.startswith("Heading ")
    ]
    assert levels[0] == 0 and 1 in levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels
