"""imports.rules and imports.columns: pure Python, no database."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from core.vocabulary import Phase, Role, Season
from imports import columns, rules
from imports.models import ImportKind

Invalid = rules.Invalid


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2025-09-01", date(2025, 9, 1)),
        ("2025-9-1", date(2025, 9, 1)),
        ("2025-09-01 00:00:00", date(2025, 9, 1)),
        ("2025-09-01T10:30:00Z", date(2025, 9, 1)),
        ("01/09/2025", date(2025, 9, 1)),
        ("1/9/2025", date(2025, 9, 1)),
        ("01-09-2025", date(2025, 9, 1)),
        ("01.09.2025", date(2025, 9, 1)),
        ("01/09/2025 14:05", date(2025, 9, 1)),
        ("1 Sep 2025", date(2025, 9, 1)),
        ("1st September 2025", date(2025, 9, 1)),
        ("01-Sep-2025", date(2025, 9, 1)),
        (" 13/03/2014 ", date(2014, 3, 13)),
        # Excel serial numbers: a number cell of an XLSX, or text in a CSV saved from Excel.
        (45901, date(2025, 9, 1)),
        (45901.5, date(2025, 9, 1)),
        ("45901", date(2025, 9, 1)),
        ("45901.0", date(2025, 9, 1)),
        (datetime(2025, 9, 1, 12, 0), date(2025, 9, 1)),
        (date(2025, 9, 1), date(2025, 9, 1)),
        ("", None),
        (None, None),
        ("   ", None),
    ],
)
def test_dates_in_every_accepted_form(value, expected):
    assert rules.parse_date(value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ("01/09/25", "two digits"),  # a two-digit year: refused, not guessed
        ("1 Sep 25", "two digits"),
        ("09/13/2025", "month-first"),  # a US date
        ("31/02/2025", "no such date"),
        ("2025-02-30", "no such date"),
        ("next Tuesday", "not a date"),
        ("1 Smarch 2025", "not a month"),
        ("2025", "not a date"),  # a year alone is no date, nor a serial
    ],
)
def test_dates_refused_with_a_reason(value, message):
    with pytest.raises(Invalid, match=message):
        rules.parse_date(value)


def test_excel_serial_dates_around_the_1900_leap_year_bug():
    assert rules.excel_serial_date(1) == date(1900, 1, 1)
    assert rules.excel_serial_date(59) == date(1900, 2, 28)
    assert rules.excel_serial_date(61) == date(1900, 3, 1)
    assert rules.excel_serial_date(43831) == date(2020, 1, 1)
    with pytest.raises(Invalid):
        rules.excel_serial_date(0)


def test_academic_year_runs_september_to_august():
    assert rules.academic_year_of(date(2025, 9, 1)) == 2025
    assert rules.academic_year_of(date(2026, 8, 31)) == 2025


# --- year groups and phases -------------------------------------------------------------


@pytest.mark.parametrize(
    "born, academic_year, year_group",
    [
        (date(2014, 9, 1), 2019, 0),  # the oldest of the Reception year 2019/20
        (date(2015, 8, 31), 2019, 0),  # the youngest of it: a birthday before 1 September
        (date(2015, 9, 1), 2019, -1),  # a day later: Nursery
        (date(2016, 9, 1), 2019, -2),  # the two-year-old room
        (date(2013, 12, 25), 2025, 7),  # turned five in December 2018: Reception in 2018/19
        (date(2014, 3, 13), 2025, 7),
        (date(2010, 1, 1), 2025, 11),
        (date(2005, 1, 1), 2025, 13),  # older than Year 13 counts as Year 13 (Post 16)
    ],
)
def test_year_group_from_the_date_of_birth(born, academic_year, year_group):
    assert rules.year_group_for(born, academic_year) == year_group


def test_too_young_for_a_year_group():
    with pytest.raises(Invalid, match="under two"):
        rules.year_group_for(date(2018, 9, 1), 2019)


def test_phase_follows_the_year_group():
    assert Phase.for_year_group(rules.year_group_for(date(2015, 8, 31), 2019)) == Phase.EYFS
    assert Phase.for_year_group(rules.year_group_for(date(2012, 1, 1), 2019)) == Phase.SSA
    assert Phase.for_year_group(rules.year_group_for(date(2002, 1, 1), 2019)) == Phase.POST16


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Year 7", 7),
        ("Y7", 7),
        ("7", 7),
        (7, 7),
        (7.0, 7),
        ("NCY 7", 7),
        ("year_13", 13),
        ("R", 0),
        ("Reception", 0),
        ("N", -1),
        ("Nursery", -1),
        ("N2", -1),
        ("N1", -2),
        ("-2", -2),
        ("14", 13),
        ("", None),
    ],
)
def test_year_groups_as_written(value, expected):
    assert rules.parse_year_group(value) == expected


@pytest.mark.parametrize("value", ["Year 15", "Y-3", "Sixth form", "3.5"])
def test_not_year_groups(value):
    with pytest.raises(Invalid, match="not a year group"):
        rules.parse_year_group(value)


@pytest.mark.parametrize(
    "value, phase",
    [
        ("EYFS", Phase.EYFS),
        ("Early years", Phase.EYFS),
        ("SSA", Phase.SSA),
        ("Statutory school age", Phase.SSA),
        ("Post 16", Phase.POST16),
        ("post-16", Phase.POST16),
        ("", None),
    ],
)
def test_phases(value, phase):
    assert rules.parse_phase(value) == phase


# --- terms -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Autumn 2025/26", (Season.AUTUMN, 2025)),
        ("Spring 2025-26", (Season.SPRING, 2025)),
        ("Summer term 2025/2026", (Season.SUMMER, 2025)),
        ("Autumn 2025", (Season.AUTUMN, 2025)),
        # One calendar year: the spring and summer terms of 2026 are those of 2025/26.
        ("Spring 2026", (Season.SPRING, 2025)),
        ("summer 2026", (Season.SUMMER, 2025)),
    ],
)
def test_a_term_in_one_column(value, expected):
    assert rules.parse_term(value) == expected


def test_seasons_and_academic_years():
    assert rules.parse_season("Aut") == Season.AUTUMN
    assert rules.parse_season("Spring term") == Season.SPRING
    assert rules.parse_academic_year("2025/26") == 2025
    assert rules.parse_academic_year("2025-2026") == 2025
    assert rules.parse_academic_year(2025) == 2025
    with pytest.raises(Invalid, match="follow each other"):
        rules.parse_academic_year("2025/27")
    with pytest.raises(Invalid, match="not a term"):
        rules.parse_season("Winter")


def test_terms_an_import_adds_have_the_usual_dates():
    start, end, deadline = rules.default_term_dates(2025, Season.SPRING)
    assert (start, end) == (date(2026, 1, 1), date(2026, 3, 31))
    assert deadline.weekday() == 4 and start < deadline <= date(2026, 2, 12)


# --- UPNs --------------------------------------------------------------------------------


def test_a_valid_upn_and_the_dfe_unknown_codes():
    assert rules.parse_upn("B801200005001") == "B801200005001"
    assert rules.parse_upn(" b801 2000 05001 ") == "B801200005001"
    for code in ("UN1", "UN2", "UN3", "UN4", "UN5", "un3"):
        assert rules.parse_upn(code) == code.upper()
    assert rules.parse_upn("") == ""


@pytest.mark.parametrize(
    "value, message",
    [
        ("A801200005001", "the check letter does not match"),
        ("B80120000500", "13 characters"),
        ("X80120000A001", "a letter, 11 digits"),
        ("E000200005001", "000 is not a local authority number"),
        ("UN6", "13 characters"),
    ],
)
def test_invalid_upns_say_why(value, message):
    with pytest.raises(Invalid, match=message):
        rules.parse_upn(value)


def test_upns_of_the_newer_local_authorities():
    from stdnum.gb import upn

    body = "940200005001"  # North Northamptonshire, not in python-stdnum's list of 2011
    assert rules.parse_upn(upn.calc_check_digit(body) + body) == upn.calc_check_digit(body) + body
    wrong = "A" if upn.calc_check_digit(body) != "A" else "B"
    with pytest.raises(Invalid, match="check letter"):
        rules.parse_upn(wrong + body)


# --- the ePEP's status ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Not started", "In progress", "draft", "IN PROGRESS", "Returned", "Open"])
def test_epep_statuses_that_are_drafts(value):
    assert rules.epep_status(value) == "draft"


@pytest.mark.parametrize(
    "value",
    [
        "Submitted",
        "Ready for QA",
        "Review again",
        "Complete",
        "Completed",
        "Finalised",
        "finalized",
        "Signed off",
        "Approved",
    ],
)
def test_epep_statuses_that_await_qa_here(value):
    # A PEP complete in the ePEP has had no QA here: it is submitted for QA, never finalised.
    assert rules.epep_status(value) == "submitted"


def test_unknown_epep_status():
    assert rules.epep_status("") is None
    with pytest.raises(Invalid, match="not an ePEP status"):
        rules.epep_status("With the carer")


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("x", True),
        ("✓", True),
        (True, True),
        (1, True),
        ("no", False),
        ("N", False),
        ("false", False),
        ("0", False),
        ("", False),
        (None, False),
        (0, False),
    ],
)
def test_booleans(value, expected):
    assert rules.parse_bool(value) is expected


def test_not_a_boolean():
    with pytest.raises(Invalid, match="not yes or no"):
        rules.parse_bool("maybe")


def test_send_takes_the_census_codes():
    assert rules.parse_send("K") and rules.parse_send("E") and rules.parse_send("yes")
    assert not rules.parse_send("N") and not rules.parse_send("")


@pytest.mark.parametrize(
    "value, expected",
    [
        ("£1,200.00", Decimal("1200.00")),
        ("1200", Decimal("1200.00")),
        ("1,200", Decimal("1200.00")),
        ("GBP 600", Decimal("600.00")),
        (600.0, Decimal("600.00")),
        ("", None),
    ],
)
def test_money(value, expected):
    assert rules.parse_money(value) == expected


@pytest.mark.parametrize("value", ["-5", "abc", "£", "1e400000", "2000000"])
def test_not_money(value):
    if value == "£":
        assert rules.parse_money(value) is None
        return
    with pytest.raises(Invalid):
        rules.parse_money(value)


def test_percentages():
    assert rules.parse_percent("95.5%") == Decimal("95.5")
    assert rules.parse_percent(" 96 ") == Decimal("96.0")
    assert rules.parse_percent(0.955, is_fraction=True) == Decimal("95.5")
    assert rules.parse_percent("") is None
    with pytest.raises(Invalid, match="between 0 and 100"):
        rules.parse_percent("101")


def test_roles_as_written():
    assert rules.parse_role("VS manager") == Role.MANAGER
    assert rules.parse_role("Virtual School Head") == Role.VSH
    assert rules.parse_role("Lead practitioner") == Role.LEAD
    assert rules.parse_role("officer") == Role.OFFICER
    assert rules.parse_role("Admin") == Role.ADMINISTRATOR
    with pytest.raises(Invalid, match="not a role"):
        rules.parse_role("Caretaker")


def test_names_and_emails_and_links():
    assert rules.split_name("Sam Kowalski") == ("Sam", "Kowalski")
    assert rules.split_name("Kowalski, Sam") == ("Sam", "Kowalski")
    assert rules.split_name("Mary Jane  Smith") == ("Mary Jane", "Smith")
    assert rules.parse_email(" Sam.K@Example.org ") == "sam.k@example.org"
    with pytest.raises(Invalid):
        rules.parse_email("not-an-email")
    assert rules.parse_url("https://epep.example.com/pep/1") == "https://epep.example.com/pep/1"
    for bad in ("javascript:alert(1)", "https://a b", "ftp://x.example.org"):
        with pytest.raises(Invalid, match="web address"):
            rules.parse_url(bad)


def test_who_attended_in_one_cell():
    assert rules.parse_attendees("SW; DT; Carer") == {"sw", "dt", "carer"}
    assert rules.parse_attendees("Social worker, Young person and Foster carer, interpreter") == {
        "sw",
        "child",
        "carer",
    }
    assert rules.parse_attendees("") == set()


def test_headings_match_ignoring_case_spaces_and_punctuation():
    assert rules.normalise_heading(" Date of Birth ") == "dateofbirth"
    assert rules.normalise_heading("date_of_birth") == "dateofbirth"
    assert rules.normalise_heading("\ufeffCHILD") == "child"
    assert rules.normalise_heading("E-mail") == rules.normalise_heading("email")


def test_values_are_shown_the_uk_way():
    assert rules.shown(date(2025, 9, 1)) == "01/09/2025"
    assert rules.shown(True) == "yes" and rules.shown(None) == ""


# --- the templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ImportKind.values)
def test_no_heading_names_two_fields(kind):
    fields_of = defaultdict(set)
    for field in columns.fields(kind):
        for heading in field.headings:
            fields_of[rules.normalise_heading(heading)].add(field.name)
    assert {h: names for h, names in fields_of.items() if len(names) > 1} == {}


def test_ssda903_and_epep_headings_are_known():
    children = columns.heading_index(ImportKind.CHILDREN)
    assert children["child"] == "la_reference" and children["dob"] == "date_of_birth"
    assert children["upn"] == "upn" and children["decom"] == "entered_care_on"
    peps = columns.heading_index(ImportKind.PEPS)
    assert peps["pupilvoice"] == "child_views" and peps["pepid"] == "epep_reference"


@pytest.mark.parametrize("kind", ImportKind.values)
def test_the_template_has_the_required_columns(kind):
    headings = columns.template_csv(kind).splitlines()[0].split(",")
    present = {columns.heading_index(kind)[rules.normalise_heading(h)] for h in headings}
    assert columns.missing_fields(kind, present) == []


def test_missing_required_columns_are_described():
    assert columns.missing_fields(ImportKind.CHILDREN, {"la_reference"}) == [
        "First name and Last name, or Name",
        "Date of birth",
    ]


def test_the_template_says_which_columns_a_file_needs():
    described = {d["field"]: d for d in columns.describe(ImportKind.CHILDREN)}
    assert described["la_reference"]["required"] == "yes"
    assert described["name"]["required"] == "First name and Last name, or Name"
    assert described["upn"]["required"] == "" and described["upn"]["aliases"] == ["Unique pupil number", "Pupil number"]
