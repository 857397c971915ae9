"""Reading an export, streaming: a CSV or XLSX file becomes its headings and an iterator
of rows, and memory does not grow with the file (csv over a text wrapper; openpyxl in
read-only mode, which parses the sheet's XML as it goes).

A file that cannot be read is refused with `FileRefused`, whose message says why in
words for the person who uploaded it: empty, too big, not a spreadsheet (binary junk, a
PDF, an old .xls, a ZIP or Word document), an XLSX with several sheets of data.

- **CSV**: the encoding is detected (UTF-8, UTF-8 with a BOM, UTF-16 with a BOM as
  Excel's "Unicode text" saves it, else Windows-1252, which Excel on Windows writes),
  and the delimiter sniffed from the heading line (comma, semicolon, tab or |).
- **XLSX**: the one sheet with data; with several, the one named like the kind
  ("Children", "PEPs", "Staff"...), else refused, naming the sheets.
- Rows are numbered as a spreadsheet shows them: the headings are row 1 (or the first
  row that is not blank), the first row of data row 2. Blank rows are skipped.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import openpyxl
from django.conf import settings

from .rules import normalise_heading

MAX_COLUMNS = 200
SNIFF_BYTES = 64 * 1024
DETECT_CHUNK = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
# Sheet names taken from a workbook of several sheets, by kind (normalised).
SHEET_NAMES = {
    "staff": {"staff", "users", "team", "people"},
    "children": {
        "children",
        "child",
        "cla",
        "childrenlookedafter",
        "lookedafterchildren",
        "header",
        "children_in_care",
        "childrenincare",
        "cic",
        "pupils",
    },
    "peps": {"peps", "pep", "epep", "epeps", "personaleducationplans"},
}


class FileRefused(Exception):
    """The file cannot be imported at all; str() says why, for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    headings: list[str]
    rows: Iterator[tuple[int, list]]  # (row number in the file, cells)
    format: str  # "CSV" or "XLSX"
    notes: list[str] = field(default_factory=list)


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def file_size(fileobj) -> int:
    """The size without reading the file: the upload's size, or a seek to its end."""
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    position = fileobj.tell()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return (
            f"{size / (1024 * 1024):.0f} MB"
            if size % (1024 * 1024) == 0 or size > 10 * 1024 * 1024
            else f"{size / (1024 * 1024):.1f} MB"
        )
    return f"{size / 1024:.0f} KB"


def check_size(size: int) -> None:
    if size == 0:
        raise FileRefused("The file is empty.")
    limit = max_bytes()
    if size > limit:
        raise FileRefused(
            f"The file is {human_size(size)}: the most this import takes is {human_size(limit)}. "
            "Export fewer years or split it into several files."
        )


@contextmanager
def open_table(fileobj, *, kind: str, file_name: str = ""):
    """Open a binary, seekable file as a `Table` (a context manager: the rows stream
    from the file while it is open)."""
    check_size(file_size(fileobj))
    fileobj.seek(0)
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(0)
    if not head.strip():
        raise FileRefused("The file is empty.")
    kind_of_file = _sniff_kind(fileobj, head, file_name)
    if kind_of_file == "xlsx":
        with _open_xlsx(fileobj, kind) as table:
            yield table
    else:
        yield _open_csv(fileobj, head)


def _sniff_kind(fileobj, head: bytes, file_name: str) -> str:
    lower = file_name.lower()
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(fileobj).namelist())
        except zipfile.BadZipFile:
            raise FileRefused("The file is a damaged ZIP archive, not a spreadsheet.") from None
        finally:
            fileobj.seek(0)
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "word/document.xml" in names:
            raise FileRefused("The file is a Word document, not a spreadsheet: export a CSV or XLSX file.")
        if "content.xml" in names:
            raise FileRefused("The file is an OpenDocument file: save it as CSV or XLSX (Excel) first.")
        raise FileRefused("The file is a ZIP archive, not a spreadsheet: unzip it and import the CSV or XLSX.")
    if head.startswith(b"%PDF"):
        raise FileRefused("The file is a PDF, not a spreadsheet: export a CSV or XLSX file from the system.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("The file is an old Excel 97-2003 (.xls) workbook: save it as .xlsx or CSV first.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text, Excel's "Unicode text"
    if b"\x00" in head or _control_share(head) > 0.01:
        what = "an image" if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) else "not text"
        raise FileRefused(f"The file is {what}: it is not a spreadsheet. Export a CSV or XLSX file.")
    if lower.endswith((".xlsx", ".xlsm")):
        raise FileRefused("The file is called .xlsx but is not an Excel workbook: export it again.")
    return "csv"


def _control_share(head: bytes) -> float:
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32 or byte == 127)
    return controls / max(len(head), 1)


# --- CSV ------------------------------------------------------------------------------


def detect_encoding(fileobj, head: bytes) -> str:
    """UTF-8 (with or without a BOM) if the whole file decodes as such, UTF-16 with its
    BOM, else Windows-1252 (else Latin-1, which decodes anything). Reads the file once
    in chunks: memory stays constant."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig", "cp1252"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        fileobj.seek(0)
        try:
            while chunk := fileobj.read(DETECT_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            fileobj.seek(0)
        return encoding
    return "latin-1"


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of the heading line: the one of comma, semicolon, tab and | found
    most often outside quotes (comma when none is)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with a BOM)",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1",
}


class _Unwrapped(io.TextIOWrapper):
    """A text wrapper that leaves the binary file open when it is done."""

    def close(self):
        if not self.closed:
            self.detach()


def _open_csv(fileobj, head: bytes) -> Table:
    encoding = detect_encoding(fileobj, head)
    fileobj.seek(0)
    stream = _Unwrapped(fileobj, encoding=encoding, newline="")
    sample = stream.read(SNIFF_BYTES)
    stream.seek(0)
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    delimiter = sniff_delimiter(first_line)
    reader = csv.reader(stream, delimiter=delimiter)
    notes = []
    if encoding not in ("utf-8", "utf-8-sig"):
        notes.append(f"Read as {ENCODING_NAMES[encoding]} text (not UTF-8).")
    if delimiter != ",":
        notes.append(f"Columns separated by {DELIMITER_NAMES[delimiter]}s.")
    try:
        row_number, headings = _first_row(reader)
    except csv.Error as exc:
        raise FileRefused(f"The file is not a readable CSV file ({exc}).") from None
    return Table(headings=_clean_headings(headings), rows=_csv_rows(reader, row_number), format="CSV", notes=notes)


def _first_row(rows) -> tuple[int, list]:
    for number, row in enumerate(rows, start=1):
        if any(str(cell).strip() for cell in row if cell is not None):
            return number, list(row)
    raise FileRefused("The file is empty.")


def _csv_rows(reader, heading_row: int) -> Iterator[tuple[int, list]]:
    number = heading_row
    try:
        for row in reader:
            number += 1
            if any(cell.strip() for cell in row):
                yield number, row
    except csv.Error as exc:
        raise FileRefused(f"Row {number + 1} cannot be read as CSV ({exc}).") from None


def _clean_headings(headings: list) -> list[str]:
    cleaned = [("" if h is None else str(h)).replace("\ufeff", "").strip() for h in headings]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    if len(cleaned) > MAX_COLUMNS:
        raise FileRefused(
            f"The file has {len(cleaned)} columns: an export for this import has at most "
            f"{MAX_COLUMNS}. Is the first row the headings?"
        )
    return cleaned


# --- XLSX -----------------------------------------------------------------------------


@contextmanager
def _open_xlsx(fileobj, kind: str):
    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise FileRefused(
            f"The Excel workbook cannot be read ({type(exc).__name__}): save it again as .xlsx, or export a CSV file."
        ) from None
    try:
        sheet, notes = _choose_sheet(workbook, kind)
        rows = _xlsx_rows(sheet)
        row_number, headings = _first_row_numbered(rows)
        yield Table(
            headings=_clean_headings([_cell_text(h) for h in headings]),
            rows=_skip_blank(rows),
            format="XLSX",
            notes=notes,
        )
    finally:
        workbook.close()


def _has_data(sheet) -> bool:
    for row in sheet.iter_rows(values_only=True):
        if any(value not in (None, "") for value in row):
            return True
    return False


def _choose_sheet(workbook, kind: str):
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
    with_data = [ws for ws in sheets if _has_data(ws)]
    if not with_data:
        raise FileRefused("The file is empty: no sheet of the workbook has data.")
    if len(with_data) == 1:
        sheet = with_data[0]
        notes = [f"Read the sheet '{sheet.title}'."] if len(sheets) > 1 else []
        return sheet, notes
    names = ", ".join(f"'{ws.title}'" for ws in with_data)
    named = [ws for ws in with_data if normalise_heading(ws.title) in SHEET_NAMES.get(kind, ())]
    if len(named) == 1:
        others = ", ".join(f"'{ws.title}'" for ws in with_data if ws is not named[0])
        return named[0], [f"Read the sheet '{named[0].title}'; not read: {others}."]
    raise FileRefused(
        f"The workbook has {len(with_data)} sheets with data ({names}): keep only the sheet to "
        f"import, or name it '{_KIND_SHEET[kind]}'."
    )


_KIND_SHEET = {"staff": "Staff", "children": "Children", "peps": "PEPs"}


def _xlsx_rows(sheet) -> Iterator[tuple[int | None, list]]:
    for row in sheet.iter_rows():
        cells = [_cell_value(cell) for cell in row]
        number = next((cell.row for cell in row if getattr(cell, "row", None)), None)
        yield number, cells


def _first_row_numbered(rows) -> tuple[int | None, list]:
    for number, cells in rows:
        if any(value not in (None, "") for value in cells):
            return number, cells
    raise FileRefused("The file is empty.")


def _skip_blank(rows) -> Iterator[tuple[int, list]]:
    for number, cells in rows:
        # A row of no cells at all has no number either: it is blank.
        if number is not None and any(value not in (None, "") and str(value).strip() for value in cells):
            yield number, cells


def _cell_value(cell):
    value = getattr(cell, "value", None)
    if isinstance(value, float | int) and not isinstance(value, bool):
        if "%" in (getattr(cell, "number_format", "") or ""):
            # 0.955 shown as 95.5%: keep what the person sees.
            return f"{round(value * 100, 6):g}%"
    return value


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
