"""The board report as a Word document (python-docx), for councils whose committee papers
must be in their own template.

Built from the PDF's own context (``reporting.pdf.board_report_context``: every figure
from reporting.figures, computed once), so the two never disagree; this only presents it.
Real Word structure, for the council to restyle: the built-in Title and Heading 1/2
styles, real tables whose header row is marked to repeat on each page, the VSH's
commentary as paragraphs, the classification in the header and footer, and the document's
properties (title, author: the Virtual School, language). The PDF's charts are not drawn:
every figure is in the tables. For screen readers (issue 14): British English as the
document's language, each table's alternative text (its title and its columns: Word's Alt
Text), and the header rows marked as such.

``BOARD_REPORT_DOCX_TEMPLATE``: a council's .docx whose styles (and headers and footers)
the document takes; its body is cleared first. A style the template lacks falls back to
Word's default.
"""

import io
from collections.abc import Sequence
from datetime import date

from django.conf import settings
from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table

from peps.models import Term

from .pdf import board_report_context

CLASSIFICATION = "PUBLIC – NO CHILD IDENTIFIED"
LANGUAGE = "en-GB"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download_name(term: Term) -> str:
    """As the PDF's (ReportRequest.download_name), with .docx."""
    season = term.get_season_display().lower()
    return f"board-report-{season}-{term.academic_year_label.replace('/', '-')}.docx"


def board_report_docx(term: Term, today: date | None = None) -> bytes:
    return _Writer(board_report_context(term, today)).write()


class _Writer:
    def __init__(self, context: dict):
        self.c = context
        self.doc = _blank_document()
        self.style_names = {style.name for style in self.doc.styles}
        self.last_heading = ""  # the section a table sits in: its alternative text's title

    # --- the pieces ----------------------------------------------------------------

    def style(self, name: str, fallback: str = "Normal") -> str:
        return name if name in self.style_names else fallback

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(text, level=level)
        self.last_heading = text

    def para(self, text: str, style: str = "Normal") -> None:
        self.doc.add_paragraph(text, style=self.style(style))

    def typed(self, paragraphs: Sequence[str]) -> None:
        """The VSH's paragraphs: a single line break typed is a line break in Word."""
        for text in paragraphs:
            paragraph = self.doc.add_paragraph(style=self.style("Normal"))
            first, *rest = text.split("\n")
            paragraph.add_run(first)
            for line in rest:
                run = paragraph.add_run()
                run.add_break()
                run.add_text(line)

    def table(self, header: Sequence[str] | None, rows: Sequence[Sequence], footer: Sequence | None = None) -> Table:
        """A table; ``header`` its header row (None: a list of labels and values, the cover's)."""
        body = [*([list(header)] if header else []), *[list(r) for r in rows], *([list(footer)] if footer else [])]
        # Row by row: python-docx's table.cell(r, c) walks the whole grid on each call.
        table = self.doc.add_table(rows=0, cols=len(body[0]))
        table.style = self.style("Table Grid", "Normal Table")
        for r, values in enumerate(body):
            bold = bool((header and r == 0) or (footer and r == len(body) - 1))
            for col, (cell, value) in enumerate(zip(table.add_row().cells, values, strict=True)):
                cell.text = "" if value is None else str(value)
                paragraph = cell.paragraphs[0]
                if col:  # the numbers, right aligned as in the PDF
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                if bold:
                    for run in paragraph.runs:
                        run.bold = True
        if header:
            _repeat_as_header(table.rows[0])
        _describe(table, self.last_heading, header)
        self.doc.add_paragraph(style=self.style("Normal"))  # Word runs adjacent tables together
        return table

    # --- the report ------------------------------------------------------------------

    def write(self) -> bytes:
        c, doc = self.c, self.doc
        term = c["term"]
        props = doc.core_properties
        props.title = f"Personal Education Plans: completion and quality – {term}"
        props.author = c["virtual_school_name"]
        props.last_modified_by = c["virtual_school_name"]
        props.subject = f"Report to the Corporate Parenting Board, {term}"
        props.category = CLASSIFICATION
        props.keywords = "Personal Education Plans; Corporate Parenting Board; Virtual School"
        props.language = LANGUAGE
        _set_language(doc)
        self.running()
        self.cover()
        self.summary()
        self.completion_and_quality()
        self.trend()
        self.breakdowns()
        self.social_work()
        self.assurance()
        self.gold()
        self.actions()
        self.notes()
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()

    def running(self) -> None:
        section = self.doc.sections[0]
        header = _empty_paragraph(section.header)
        header.text = f"{CLASSIFICATION} · {self.c['authority_name']} · {self.c['virtual_school_name']}"
        footer = _empty_paragraph(section.footer)
        footer.text = f"{CLASSIFICATION} · Page "
        _page_number(footer)

    def cover(self) -> None:
        c = self.c
        term = c["term"]
        self.para(c["authority_name"], "Subtitle")
        self.para(c["virtual_school_name"])
        self.para("Report to the Corporate Parenting Board")
        self.heading("Personal Education Plans: completion and quality", 0)
        self.para(str(term), "Subtitle")
        self.table(
            None,
            [
                ["Report of", f"Virtual School Head, {c['virtual_school_name']}"],
                ["Term", f"{term} ({_day(term.start_date)} to {_day(term.end_date)})"],
                ["PEP deadline", _day(term.pep_deadline)],
                ["Date of report", _day(c["report_date"])],
                [
                    "Classification",
                    "Public. Counts and shares only: no child is named or otherwise identified, and "
                    "no officer is named with their figures.",
                ],
            ],
        )

    def summary(self) -> None:
        c = self.c
        self.heading("Summary", 1)
        self.heading(f"Headlines for {c['term']}", 2)
        for line in c["headlines"]:
            self.para(line, "List Bullet")
        if c["vsh_commentary"]:
            self.heading("Commentary from the Virtual School Head", 2)
            self.typed(c["vsh_commentary"])
        term = c["term"]
        if c["has_peps"]:
            gold = ", and the practice rated Gold" if c["gold"] else ""
            text = (
                f"The Board is asked to note the completion and quality of Personal Education Plans "
                f"for {term}, the trend over recent terms{gold}."
            )
        else:
            text = (
                f"The Board is asked to note that no Personal Education Plans are recorded for {term} "
                "yet; the trend over recent terms is in section 3."
            )
        self.heading("Recommendation", 2)
        self.para(text)

    def completion_and_quality(self) -> None:
        c = self.c
        self.heading("1. Completion of PEPs", 1)
        if c["has_peps"]:
            done = c["completion"]
            self.table(
                ["Measure", "PEPs", "Share of PEPs due"],
                [
                    ["PEPs due", done["due"], "100%"],
                    ["Completed by the deadline", done["on_time"], done["on_time_share"]],
                    ["Completed after the deadline", done["late"], done["late_share"]],
                    ["Not yet completed", done["outstanding"], done["outstanding_share"]],
                ],
            )
        else:
            self.para(f"{c['no_data']}: no PEPs are recorded for {c['term']}.")
        self.heading("2. Quality of PEPs", 1)
        quality = c["quality"]
        if quality["judged"]:
            self.para(
                f"Each PEP sampled for quality assurance is given an overall judgement: Gold, Green, "
                f'Amber or Red. Gold and Green are "good or better". {quality["judged"]} of '
                f"{c['completion']['due']} PEPs have been judged this term; {quality['good_or_better']} "
                f"of them ({quality['good_or_better_share']}) were good or better."
            )
            self.table(
                ["Judgement", "PEPs", "Share of judged PEPs"],
                [[row["label"], row["count"], row["share"]] for row in quality["rows"]],
                footer=[
                    "Good or better (Gold or Green)",
                    quality["good_or_better"],
                    quality["good_or_better_share"],
                ],
            )
        else:
            self.para(f"{c['no_data']}: no PEP has been quality assured.")

    def trend(self) -> None:
        c = self.c
        self.heading("3. The trend over recent terms", 1)
        if c["has_trend"]:
            self.table(
                ["Term", "PEPs due", "Completed", "By the deadline", "Judged", "Good or better"],
                [
                    [r["term"], r["due"], r["completed"], r["on_time"], r["judged"], r["good_or_better"]]
                    for r in c["trend_rows"]
                ],
            )
        else:
            self.para(f"{c['no_data']}: no PEPs are recorded for this or the previous terms.")

    def breakdowns(self) -> None:
        c = self.c
        self.heading("4. Quality by phase, key stage, school and officer", 1)
        if not c["has_peps"]:
            self.para(f"{c['no_data']}: no PEPs are recorded for {c['term']}.")
            return
        for key, caption, first in (
            ("by_phase", "By phase", "Phase"),
            ("by_key_stage", "By key stage", "Key stage"),
            ("by_school", "By school", "School"),
            ("by_officer", "By Virtual School officer", "Officer"),
        ):
            self.heading(caption, 2)
            self.table(
                [first, "PEPs", "Judged", *c["rating_labels"], "Good or better"],
                [[row.label, row.peps, row.judged, *row.counts, row.good_or_better] for row in c[key]],
            )
        if c["schools_combined"]:
            self.para(
                f"Schools and settings with fewer than {c['minimum_judged']} judged PEPs this term are "
                "shown together, so that no child can be identified from a small setting's figures."
            )
        self.para(
            "Officers are not named in this public report: each is given a letter for this report "
            "only, in an order drawn at random for the term."
        )
        hidden = "" if c["any_suppressed"] else " No row is hidden this term."
        self.para(
            f"{c['suppressed_mark']}: not shown. A row with fewer than {c['minimum_judged']} judged PEPs "
            "shows none of its counts, so that no child can be identified from it; where only one row "
            f"of a table would be hidden, the next smallest is hidden too.{hidden}"
        )

    def social_work(self) -> None:
        c = self.c
        self.heading("5. Social workers' contribution", 1)
        if not c["social_work"]:
            self.para(f"{c['no_data']}: no submitted PEPs.")
            return
        total = c["social_work_total"]
        self.table(
            ["Social care team", "Meetings", "SW attended", "PEPs", "SW section updated"],
            [[r["team"], r["meetings"], r["attended"], r["peps"], r["updated"]] for r in c["social_work"]],
            footer=[
                "All teams",
                total["meetings"],
                f"{total['attended']} ({total['attended_share']})",
                total["peps"],
                f"{total['updated']} ({total['updated_share']})",
            ],
        )

    def assurance(self) -> None:
        c = self.c
        self.heading("6. Amendments, QA coverage and moderation", 1)
        self.heading("PEPs returned for amendment", 2)
        if c["has_peps"]:
            amendments = c["amendments"]
            self.table(
                ["Measure", "PEPs"],
                [
                    ["Returned to the school for amendment this term", amendments.returned],
                    ["Amended and submitted again", amendments.amended],
                    ["Still with the school for amendment", amendments.still_returned],
                ],
            )
        else:
            self.para(f"{c['no_data']}.")
        self.heading("Quality assurance coverage", 2)
        coverage = c["coverage"]
        if c["has_peps"] and coverage.officers:
            previous = (
                f"{coverage.previous_amber_reviewed} of {coverage.previous_amber}"
                if coverage.previous_amber
                else "None to review"
            )
            self.table(
                ["Measure", "Figure"],
                [
                    ["Officers whose sample met the policy", f"{coverage.officers_met} of {coverage.officers}"],
                    ["PEPs the policy requires to be quality assured (the minimum)", coverage.minimum_total],
                    ["PEPs quality assured so far", coverage.reviewed_total],
                    ["Children whose previous PEP was Amber or Red, reviewed again", previous],
                ],
            )
        else:
            self.para(f"{c['no_data']}: no PEPs to quality assure.")
        self.heading("Moderation", 2)
        moderation = c["moderation"]
        if moderation.pairs:
            self.table(
                ["Measure", "Figure"],
                [
                    ["PEPs moderated", moderation.pairs],
                    ["Same overall judgement", c["moderation_exact"]],
                    ["Agreement beyond chance (Cohen's kappa)", c["moderation_kappa"]],
                    ["Disagreements, of which settled", f"{moderation.disagreements}, {moderation.settled} settled"],
                ],
            )
        else:
            self.para(f"{c['no_data']}: no PEPs have been moderated.")

    def gold(self) -> None:
        c = self.c
        self.heading("7. Gold practice", 1)
        if c["gold"]:
            self.para(
                f"{c['gold']} PEP{'s' if c['gold'] != 1 else ''} rated Gold this term ({c['gold_share']} of "
                "quality-assured PEPs): plans the Virtual School holds up as examples of outstanding practice."
            )
            self.table(["School", "Gold PEPs"], [[school, count] for school, count in c["gold_by_school"]])
        elif c["quality"]["judged"]:
            self.para("No PEP was rated Gold this term.")
        else:
            self.para(f"{c['no_data']}: no PEP has been quality assured.")

    def actions(self) -> None:
        c = self.c
        term, actions = c["term"], c["actions"]
        self.heading("8. Actions arising", 1)
        self.para(
            f"Actions agreed to improve practice at one-to-one supervisions and peer review meetings "
            f"held during {term} ({_day(term.start_date)} to {_day(term.end_date)}), and where they "
            f"stand on {_day(c['report_date'])}."
        )
        if actions["agreed"]:
            self.table(
                ["Actions", "Number", "Share of actions agreed"],
                [
                    ["Agreed", actions["agreed"], "100%"],
                    *[[r["label"], r["count"], r["share"]] for r in actions["rows"]],
                ],
            )
            self.table(
                ["Theme", "Actions", "Share of actions agreed"],
                [[t["title"], t["count"], t["share"]] for t in actions["themes"]],
            )
        else:
            self.para(f"No actions were agreed at a supervision or peer review meeting during {term}.")
        if c["vsh_next_steps"]:
            self.heading("Actions arising: next steps", 2)
            self.typed(c["vsh_next_steps"])

    def notes(self) -> None:
        c = self.c
        self.heading("9. About these figures", 1)
        self.para(
            "PEPs due: every PEP recorded for the term. Completed by the deadline: the PEP's completion "
            f"date is on or before the term's PEP deadline ({_day(c['term'].pep_deadline)}). Quality: the "
            "overall judgement of the latest line-management quality assurance. Percentages are whole "
            "numbers; shares of one whole add up to exactly 100%."
        )
        self.para(
            "This report contains counts and shares only. It names no child and gives no date of birth "
            f"or reference, and it names no officer with their figures. Figures produced by "
            f"{c['virtual_school_name']} on {_day(c['report_date'])}."
        )


def _blank_document() -> WordDocument:
    """python-docx's default document, or the council's template emptied of its body (its
    styles, headers, footers and page set-up kept)."""
    path = settings.BOARD_REPORT_DOCX_TEMPLATE
    if not path:
        return Document()
    doc = Document(path)
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


def _empty_paragraph(part):
    """The header's (or footer's) empty first paragraph; after a template's own, a new one."""
    paragraphs = part.paragraphs
    if paragraphs and not paragraphs[0].text and len(paragraphs) == 1:
        return paragraphs[0]
    return part.add_paragraph()


def _repeat_as_header(row) -> None:
    """Mark ``row`` as the table's header row: Word repeats it at the top of each page, and
    screen readers read it as the columns' headers."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _describe(table: Table, title: str, header: Sequence[str] | None) -> None:
    """The table's alternative text (Word's Table Properties, Alt Text): its title, the
    section it sits in, and what its columns are, read by screen readers before the table."""
    properties = table._tbl.tblPr
    caption = OxmlElement("w:tblCaption")
    caption.set(qn("w:val"), title or "Report details")
    description = OxmlElement("w:tblDescription")
    description.set(
        qn("w:val"),
        f"Columns: {', '.join(header)}." if header else "Each row a label and its value.",
    )
    # In the schema's order: after the style, width and look the table already has.
    properties.append(caption)
    properties.append(description)


def _set_language(doc: WordDocument) -> None:
    """British English as the document's language (the default run properties), so that
    screen readers pronounce it, and spelling is checked, as such."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        doc.styles.element.insert(0, defaults)
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run_defaults.append(properties)
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    language.set(qn("w:val"), LANGUAGE)


def _page_number(paragraph) -> None:
    """A PAGE field at the end of ``paragraph`` (Word fills in the number)."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"
