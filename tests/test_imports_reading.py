"""imports.reading: every kind of file an export can be, read streaming or refused with a
clear message. No database."""

import io
import tracemalloc
import zipfile
from datetime import datetime

import openpyxl
import pytest

from imports import reading
from imports.reading import FileRefused

HEADINGS = ["CHILD", "Forename", "Surname", "DOB"]


def read(data: bytes, kind="children", name="export.csv"):
    with reading.open_table(io.BytesIO(data), kind=kind, file_name=name) as table:
        return table.headings, list(table.rows), table.notes


def refused(data: bytes, name="export.csv", kind="children") -> str:
    with pytest.raises(FileRefused) as caught:
        read(data, kind=kind, name=name)
    return caught.value.message


def xlsx(sheets: dict[str, list[list]], percent_cells=()) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for coordinate in percent_cells:
            if title == next(iter(sheets)):
                sheet[coordinate].number_format = "0.0%"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- encodings and delimiters --------------------------------------------------------------


def test_utf8_with_a_bom_has_clean_headings():
    headings, rows, notes = read("\ufeffCHILD,Forename\r\nA1,Zoë\r\n".encode())
    assert headings == ["CHILD", "Forename"]
    assert rows == [(2, ["A1", "Zoë"])]
    assert notes == []


def test_windows_1252_is_read_as_such_and_said():
    headings, rows, notes = read("CHILD,Forename,Note\r\nA1,Zoë,“quoted” – £5\r\n".encode("cp1252"))
    assert rows == [(2, ["A1", "Zoë", "“quoted” – £5"])]
    assert notes == ["Read as Windows-1252 text (not UTF-8)."]


def test_a_late_non_utf8_byte_still_means_windows_1252():
    # Detection reads the whole file (in chunks), not its first block only.
    data = ("CHILD,Forename\r\n" + "A1,Ann\r\n" * 20000 + "A2,Zoë\r\n").encode("cp1252")
    headings, rows, notes = read(data)
    assert rows[-1][1] == ["A2", "Zoë"] and "Windows-1252" in notes[0]


def test_utf16_as_excel_saves_unicode_text():
    headings, rows, notes = read("CHILD\tForename\r\nA1\tZoë\r\n".encode("utf-16"))
    assert headings == ["CHILD", "Forename"] and rows == [(2, ["A1", "Zoë"])]
    assert "UTF-16" in notes[0] and "tabs" in notes[1]


@pytest.mark.parametrize("delimiter, name", [(";", "semicolon"), ("\t", "tab"), ("|", "vertical bar")])
def test_delimiters_are_sniffed_from_the_headings(delimiter, name):
    data = delimiter.join(HEADINGS) + "\n" + delimiter.join(["A1", "Ann", "Lee, Jr", "01/02/2015"]) + "\n"
    headings, rows, notes = read(data.encode())
    assert headings == HEADINGS
    assert rows == [(2, ["A1", "Ann", "Lee, Jr", "01/02/2015"])]
    assert notes == [f"Columns separated by {name}s."]


def test_a_delimiter_inside_quotes_does_not_count():
    headings, rows, _ = read(b'"Surname; Forename",CHILD\n"Lee; Ann",A1\n')
    assert headings == ["Surname; Forename", "CHILD"] and rows == [(2, ["Lee; Ann", "A1"])]


def test_blank_rows_are_skipped_and_rows_keep_their_numbers():
    headings, rows, _ = read(b'\n\nCHILD,Note\n\nA1,"two\nlines"\n,\nA2,x\n')
    assert headings == ["CHILD", "Note"]
    assert rows == [(5, ["A1", "two\nlines"]), (7, ["A2", "x"])]


def test_trailing_empty_headings_are_dropped():
    headings, _, _ = read(b"CHILD,Forename,,\nA1,Ann,,\n")
    assert headings == ["CHILD", "Forename"]


# --- refused files -------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n  ", b",,,\n,,\n"])
def test_an_empty_file(data):
    assert "empty" in refused(data)


def test_a_file_over_the_limit_is_refused_before_it_is_read(settings):
    settings.IMPORT_MAX_BYTES = 1000
    assert refused(b"CHILD\n" + b"A1\n" * 500) == (
        "The file is 1 KB: the most this import takes is 1 KB. Export fewer years or split it into several files."
    )


class CountingFile(io.FileIO):
    """A file that counts the bytes read from it."""

    read_bytes = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_bytes += len(data)
        return data


def test_a_50_mb_file_is_refused_under_the_default_limit_without_reading_it(tmp_path, settings):
    assert settings.IMPORT_MAX_BYTES == 20 * 1024 * 1024  # the real default
    path = tmp_path / "huge.csv"
    with path.open("wb") as out:  # sparse: 50 MB on paper, next to nothing on disk
        out.write(b"CHILD,Forename\n")
        out.truncate(50 * 1024 * 1024)
    with CountingFile(path, "r") as upload, pytest.raises(FileRefused) as caught:
        with reading.open_table(upload, kind="children"):
            pass
    assert caught.value.message.startswith("The file is 50 MB: the most this import takes is 20 MB.")
    assert upload.read_bytes == 0


@pytest.mark.parametrize(
    "data, words",
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel 97-2003"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "an image"),
        (bytes(range(256)) * 40, "not text"),
    ],
)
def test_files_that_are_not_spreadsheets(data, words):
    assert words in refused(data)


def _zip(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return out.getvalue()


def test_a_zip_that_is_not_a_workbook():
    assert "a ZIP archive" in refused(_zip({"export.csv": b"CHILD\nA1\n"}), name="export.zip")
    assert "a Word document" in refused(_zip({"word/document.xml": b"<w/>"}), name="export.docx")
    assert "damaged" in refused(b"PK\x03\x04" + bytes(100), name="export.xlsx")


def test_a_text_file_named_xlsx():
    assert "not an Excel workbook" in refused(b"CHILD\nA1\n", name="export.xlsx")


def test_a_damaged_workbook():
    assert "cannot be read" in refused(_zip({"xl/workbook.xml": b"<not a workbook"}), name="export.xlsx")


def test_too_many_columns():
    assert "columns" in refused(",".join(f"c{n}" for n in range(300)).encode() + b"\n")


# --- XLSX -----------------------------------------------------------------------------------


def test_an_xlsx_sheet_with_dates_serials_and_percentages():
    data = xlsx(
        {
            "Sheet1": [
                HEADINGS + ["Attendance"],
                ["A1", "Ann", "Lee", datetime(2015, 2, 1), 0.955],
                [None, None, None, None, None],
                ["A2", "Bo", "Ng", 42036, 0.9],
            ]
        },
        percent_cells=("E2", "E4"),
    )
    headings, rows, notes = read(data, name="export.xlsx")
    assert headings == HEADINGS + ["Attendance"]
    assert rows == [(2, ["A1", "Ann", "Lee", datetime(2015, 2, 1), "95.5%"]), (4, ["A2", "Bo", "Ng", 42036, "90%"])]
    assert notes == []


def test_a_workbook_with_several_sheets_of_data_is_refused():
    data = xlsx({"Export": [HEADINGS, ["A1", "Ann", "Lee", "01/02/2015"]], "Notes": [["Exported by Mosaic"]]})
    assert refused(data, name="export.xlsx") == (
        "The workbook has 2 sheets with data ('Export', 'Notes'): keep only the sheet to import, or name it 'Children'."
    )


def test_of_several_sheets_the_one_named_like_the_kind_is_read_and_said():
    data = xlsx(
        {
            "Notes": [["Exported by Mosaic"]],
            "Children": [HEADINGS, ["A1", "Ann", "Lee", "01/02/2015"]],
            "Lookups": [["N", "none"]],
        }
    )
    headings, rows, notes = read(data, name="export.xlsx")
    assert headings == HEADINGS and rows[0][0] == 2
    assert notes == ["Read the sheet 'Children'; not read: 'Notes', 'Lookups'."]


def test_empty_sheets_do_not_count():
    data = xlsx({"Blank": [], "Data": [HEADINGS, ["A1", "Ann", "Lee", "01/02/2015"]]})
    headings, rows, notes = read(data, name="export.xlsx")
    assert rows == [(2, ["A1", "Ann", "Lee", "01/02/2015"])]
    assert notes == ["Read the sheet 'Data'."]


def test_an_empty_workbook():
    assert "empty" in refused(xlsx({"Sheet1": []}), name="export.xlsx")


# --- streaming --------------------------------------------------------------------------------


def _peak_reading(rows: int) -> int:
    line = b"A123456,Annabelle,Lee-Whitfield,01/02/2015,some notes about the row\r\n"
    data = b"CHILD,Forename,Surname,DOB,Note\r\n" + line * rows
    tracemalloc.start()
    try:
        with reading.open_table(io.BytesIO(data), kind="children") as table:
            assert sum(1 for _ in table.rows) == rows
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_rows_stream_memory_does_not_follow_the_file():
    small, large = _peak_reading(10000), _peak_reading(40000)  # 0.7 MB and 2.8 MB
    assert large < 1.2 * small + 100 * 1024
    assert large < 1.5 * 1024 * 1024
