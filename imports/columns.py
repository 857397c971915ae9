"""The import templates (the columns): for each kind, its fields, the headings each is known by, and
what each takes. Headings are matched ignoring case, spaces and punctuation ("Date of
Birth", "date_of_birth" and "DOB" are the same), so exports shaped like the DfE's
SSDA903 return (CHILD, DOB, UPN, DECOM...) and the common ePEP systems import without a
mapping; another system's headings are mapped once and the mapping is kept per source.

`template_csv(kind)` is the template a person downloads: the headings and an example row.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import rules
from .models import ImportKind


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # the template's heading
    aliases: tuple[str, ...]
    parse: Callable[[Any], Any]  # the cell -> the value, or raises rules.Invalid
    help: str
    example: str = ""

    @property
    def headings(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


def _text(max_length: int):
    def parse(value) -> str:
        value = rules.text(value)
        if len(value) > max_length:
            raise rules.Invalid(f"longer than {max_length} characters")
        return value

    parse.__name__ = f"text_{max_length}"
    return parse


def _long_text(value) -> str:
    return rules.text(value).replace("\r\n", "\n")


NAME = _text(100)
PERSON = _text(150)

STAFF = [
    Field(
        "username",
        "Username",
        ("User name", "Login", "User ID", "Network ID"),
        _text(150),
        "The sign-in name. The key: with no username, the e-mail address is.",
        "skowalski",
    ),
    Field(
        "email",
        "E-mail",
        ("Email address", "Work e-mail", "Mail"),
        rules.parse_email,
        "Their work e-mail address.",
        "sam.kowalski@example.gov.uk",
    ),
    Field(
        "name",
        "Name",
        ("Full name", "Staff name"),
        _text(300),
        'First and last name in one column ("Sam Kowalski" or "Kowalski, Sam"); or use First name and Last name.',
        "",
    ),
    Field("first_name", "First name", ("Forename", "Given name", "Firstname"), NAME, "", "Sam"),
    Field("last_name", "Last name", ("Surname", "Family name", "Lastname"), NAME, "", "Kowalski"),
    Field(
        "role",
        "Role",
        ("Job role", "User role", "HVS role"),
        rules.parse_role,
        "Officer, Manager, Lead (lead practitioner), VSH or Administrator.",
        "Officer",
    ),
    Field("job_title", "Job title", ("Title", "Position", "Post"), _text(120), "", "Virtual School Officer"),
    Field(
        "line_manager",
        "Line manager",
        ("Manager", "Reports to", "Supervisor", "Line manager username", "Line manager e-mail"),
        _text(254),
        "The line manager's username or e-mail: a manager or the VSH, already here or in the same file.",
        "pchauhan",
    ),
    Field(
        "start_date",
        "Start date",
        ("Date started", "Joined", "Date joined", "Start"),
        rules.parse_date,
        "The date they joined the Virtual School.",
        "01/09/2024",
    ),
    Field(
        "lead_areas",
        "Lead areas",
        ("Lead area", "Leads on"),
        _text(500),
        "A lead practitioner's areas, by code or name, separated by ; (e.g. early-years; send).",
        "",
    ),
]

CHILDREN = [
    Field(
        "la_reference",
        "LA reference",
        (
            "CHILD",
            "Child ID",
            "LA ref",
            "LA child ID",
            "Local authority reference",
            "Person ID",
            "Client ID",
            "LCS ID",
            "Mosaic ID",
            "Case reference",
            "Child reference",
            "Child LA reference",
        ),
        _text(20),
        "The child's reference in the case-management system: the key.",
        "HVS-012345",
    ),
    Field(
        "upn",
        "UPN",
        ("Unique pupil number", "Pupil number"),
        rules.parse_upn,
        "13 characters, the check letter first; or UN1 to UN5 when not known.",
        "A123456789012",
    ),
    Field(
        "name",
        "Name",
        ("Child name", "Full name", "Child's name"),
        _text(200),
        "First and last name in one column; or use First name and Last name.",
        "",
    ),
    Field("first_name", "First name", ("Forename", "Forenames", "Given name", "Firstname"), NAME, "", "Ava"),
    Field("last_name", "Last name", ("Surname", "Family name", "Lastname"), NAME, "", "Smith"),
    Field(
        "date_of_birth",
        "Date of birth",
        ("DOB", "Birth date", "Date of birth (dd/mm/yyyy)"),
        rules.parse_date,
        "dd/mm/yyyy, yyyy-mm-dd or an Excel date.",
        "14/03/2013",
    ),
    Field(
        "year_group",
        "Year group",
        ("NCY", "National curriculum year", "Year", "Year group (NCY)"),
        rules.parse_year_group,
        "-2 to 13, R or N. Blank or no column: from the date of birth and this academic year.",
        "Year 7",
    ),
    Field(
        "school_urn",
        "School URN",
        ("URN", "Setting URN", "School or setting URN", "Provision URN", "Establishment URN"),
        _text(10),
        "The URN of the school or setting (already here: admin, Schools). Blank: none.",
        "102345",
    ),
    Field(
        "entered_care_on",
        "Date entered care",
        (
            "POC_START",
            "Period of care start",
            "Date became looked after",
            "Entered care",
            "Start of care",
            "DECOM",
            "Date looked after",
            "Care start date",
        ),
        rules.parse_date,
        "",
        "02/11/2021",
    ),
    Field(
        "left_care_on",
        "Date left care",
        (
            "DEC",
            "Date ceased",
            "Left care",
            "Date ceased to be looked after",
            "End of care",
            "Care end date",
            "POC_END",
        ),
        rules.parse_date,
        "Blank while in care.",
        "",
    ),
    Field(
        "has_send",
        "SEND",
        ("SEN", "SEN status", "SEN provision", "Special educational needs", "SEND status"),
        rules.parse_send,
        "Yes or No; or the census codes N (none), K (SEN support), E (EHCP).",
        "No",
    ),
    Field(
        "has_ehcp",
        "EHCP",
        ("EHC plan", "Education health and care plan", "EHCP in place"),
        rules.parse_bool,
        "Yes or No (an EHCP is SEND too).",
        "No",
    ),
    Field(
        "allocated_officer",
        "Allocated officer",
        (
            "VS officer",
            "Virtual school officer",
            "Officer",
            "Caseworker",
            "Allocated worker",
            "VSO",
            "Education officer",
            "Allocated VS officer",
        ),
        _text(254),
        "The officer's username, e-mail or full name. Blank: not allocated.",
        "skowalski",
    ),
    Field(
        "social_worker_name",
        "Social worker",
        ("SW", "Social worker name", "SW name", "Allocated social worker"),
        PERSON,
        "",
        "Hannah Price",
    ),
    Field(
        "social_worker_email",
        "Social worker e-mail",
        ("SW e-mail", "Social worker email address", "SW email address"),
        rules.parse_email,
        "Finds the social worker; one not here yet is added.",
        "hannah.price@example.gov.uk",
    ),
    Field(
        "social_worker_team",
        "Social worker team",
        ("SW team", "Team", "Social care team", "Social work team"),
        PERSON,
        "For a social worker not here yet.",
        "Children in Care Team 1",
    ),
    Field(
        "designated_teacher_name",
        "Designated teacher",
        ("DT", "DT name", "Designated teacher name"),
        PERSON,
        "",
        "Claire Donovan",
    ),
    Field(
        "designated_teacher_email",
        "Designated teacher e-mail",
        ("DT e-mail", "DT email address", "Designated teacher email address"),
        rules.parse_email,
        "Finds the school's designated teacher; one not here yet is added.",
        "c.donovan@school.example.org",
    ),
]

PEPS = [
    Field(
        "la_reference",
        "Child LA reference",
        (
            "LA reference",
            "CHILD",
            "Child ID",
            "LA ref",
            "Child reference",
            "LA child ID",
            "Person ID",
            "Client ID",
            "Child's LA reference",
        ),
        _text(20),
        "The child's LA reference (the child must be here already).",
        "HVS-012345",
    ),
    Field(
        "term",
        "Term",
        ("Season", "PEP term", "Term name"),
        _text(40),
        "Autumn, Spring or Summer, or with the year: Autumn 2025/26.",
        "Autumn",
    ),
    Field(
        "academic_year",
        "Academic year",
        ("AY", "PEP academic year", "Academic year (e.g. 2025/26)"),
        rules.parse_academic_year,
        "2025/26 (not needed when Term has the year).",
        "2025/26",
    ),
    Field(
        "phase",
        "Phase",
        ("PEP phase", "PEP type"),
        rules.parse_phase,
        "EYFS, SSA or Post 16. Blank or no column: from the year group.",
        "",
    ),
    Field(
        "year_group",
        "Year group",
        ("NCY", "National curriculum year", "Year group (NCY)"),
        rules.parse_year_group,
        "The year group that term. Blank or no column: from the child's date of birth.",
        "",
    ),
    Field(
        "officer",
        "Officer",
        ("VS officer", "Virtual school officer", "Allocated officer", "VSO", "Caseworker", "Education officer"),
        _text(254),
        "Who held the case that term: username, e-mail or full name. No column: the child's officer.",
        "",
    ),
    Field(
        "status",
        "ePEP status",
        ("Status", "PEP status", "ePEP state"),
        rules.epep_status,
        "Draft / In progress -> draft; Submitted / Complete / Finalised -> submitted for QA here.",
        "Complete",
    ),
    Field(
        "meeting_date",
        "Meeting date",
        ("PEP meeting date", "Date of meeting", "PEP date", "Meeting held", "Date of PEP meeting"),
        rules.parse_date,
        "",
        "03/10/2025",
    ),
    Field(
        "next_meeting_date",
        "Next meeting date",
        ("Next PEP date", "Next PEP meeting", "Next review date", "Next PEP meeting date"),
        rules.parse_date,
        "",
        "09/01/2026",
    ),
    Field(
        "attendees",
        "Attended",
        ("Attendees", "Who attended", "Present", "Attendance at meeting"),
        _long_text,
        "Who attended, in one cell: SW; DT; Child; Carer (or use the four columns below).",
        "",
    ),
    Field(
        "sw_attended",
        "SW attended",
        ("Social worker attended", "Social worker present", "SW present"),
        rules.parse_bool,
        "Yes or No.",
        "Yes",
    ),
    Field(
        "dt_attended",
        "DT attended",
        ("Designated teacher attended", "DT present", "Designated teacher present"),
        rules.parse_bool,
        "Yes or No.",
        "Yes",
    ),
    Field(
        "child_attended",
        "Child attended",
        ("Young person attended", "YP attended", "Pupil attended", "Child present", "Child or young person attended"),
        rules.parse_bool,
        "Yes or No.",
        "No",
    ),
    Field(
        "carer_attended",
        "Carer attended",
        ("Foster carer attended", "Carer present", "Carers attended"),
        rules.parse_bool,
        "Yes or No.",
        "Yes",
    ),
    Field(
        "sw_section_updated",
        "SW section updated",
        ("Social worker section updated", "Social care section updated", "SW section complete", "SW section completed"),
        rules.parse_bool,
        "Yes or No.",
        "Yes",
    ),
    Field(
        "pp_plus_requested",
        "PP+ requested",
        ("PP plus requested", "Pupil premium plus requested", "PPG requested", "PP+ request"),
        rules.parse_bool,
        "Yes or No (no column: yes when an amount is given).",
        "Yes",
    ),
    Field(
        "pp_plus_amount",
        "PP+ amount",
        ("PP+ amount requested", "PP plus amount", "Pupil premium plus amount", "Amount requested", "PPG amount"),
        rules.parse_money,
        "In pounds: 1200 or £1,200.00.",
        "£600.00",
    ),
    Field(
        "attendance_percent",
        "Attendance %",
        ("Attendance", "Attendance percentage", "Attendance this term", "% attendance", "Attendance (%)"),
        rules.parse_percent,
        "0 to 100: 95.5 or 95.5%.",
        "96.5",
    ),
    Field(
        "date_completed",
        "Date completed",
        ("Completed date", "Completion date", "Date signed off", "Date finalised", "Completed on"),
        rules.parse_date,
        "",
        "10/10/2025",
    ),
    Field(
        "epep_reference",
        "ePEP reference",
        ("PEP ID", "PEP reference", "ePEP ID", "Record ID", "PEP ref"),
        _text(64),
        "The PEP's own reference in the ePEP system.",
        "EP-88231",
    ),
    Field(
        "epep_url",
        "ePEP link",
        ("Link", "URL", "PEP link", "PEP URL", "ePEP URL", "Link to PEP"),
        rules.parse_url,
        "A link to the PEP in the ePEP system (https://...).",
        "https://epep.example.com/pep/88231",
    ),
    Field(
        "child_views",
        "Child's views",
        (
            "Pupil voice",
            "Child voice",
            "Voice of the child",
            "Young person's views",
            "Views of the child",
            "My views",
            "Child views",
        ),
        _long_text,
        "",
        "",
    ),
    Field(
        "education_summary",
        "Education",
        ("Education summary", "Current education", "Educational provision", "School information"),
        _long_text,
        "",
        "",
    ),
    Field(
        "attainment_summary",
        "Attainment and progress",
        ("Attainment", "Progress", "Attainment summary", "Attainment and progress summary"),
        _long_text,
        "",
        "",
    ),
    Field("targets", "Targets", ("SMART targets", "PEP targets"), _long_text, "", ""),
    Field(
        "aspirations_summary",
        "Aspirations",
        ("Aspirations and hopes", "My aspirations", "Hopes and dreams", "Aspirations summary"),
        _long_text,
        "",
        "",
    ),
]

FIELDS: dict[str, list[Field]] = {ImportKind.STAFF: STAFF, ImportKind.CHILDREN: CHILDREN, ImportKind.PEPS: PEPS}

# The columns a file must have: each entry is satisfied by any one of its alternatives,
# and an alternative by all of its fields.
REQUIRED: dict[str, list[list[tuple[str, ...]]]] = {
    ImportKind.STAFF: [[("username",), ("email",)]],
    ImportKind.CHILDREN: [[("la_reference",)], [("first_name", "last_name"), ("name",)], [("date_of_birth",)]],
    ImportKind.PEPS: [[("la_reference",)], [("term",)]],
}


def fields(kind: str) -> list[Field]:
    return FIELDS[ImportKind(kind)]


def field_map(kind: str) -> dict[str, Field]:
    return {f.name: f for f in fields(kind)}


def heading_index(kind: str) -> dict[str, str]:
    """Normalised heading -> field name, for every accepted heading of the kind."""
    return {rules.normalise_heading(heading): f.name for f in fields(kind) for heading in f.headings}


def missing_fields(kind: str, present: set[str]) -> list[str]:
    """The required entries the fields present do not satisfy, described for a person:
    ["Date of birth", "First name and Last name, or Name"]."""
    labels = field_map(kind)
    missing = []
    for alternatives in REQUIRED[ImportKind(kind)]:
        if not any(set(alternative) <= present for alternative in alternatives):
            missing.append(
                ", or ".join(" and ".join(labels[name].label for name in alternative) for alternative in alternatives)
            )
    return missing


def required_names(kind: str) -> set[str]:
    return {name for alternatives in REQUIRED[ImportKind(kind)] for alternative in alternatives for name in alternative}


def template_csv(kind: str) -> str:
    """The downloadable template: the headings and one example row."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = [f for f in fields(kind) if f.example or f.name in required_names(kind)]
    writer.writerow([f.label for f in columns])
    writer.writerow([f.example for f in columns])
    return out.getvalue()


def requirement(kind: str, name: str) -> str:
    """Whether a file needs the field's column: "" (no), "yes", or the choice it is part
    of ("First name and Last name, or Name")."""
    labels = field_map(kind)
    for alternatives in REQUIRED[ImportKind(kind)]:
        if any(name in alternative for alternative in alternatives):
            if len(alternatives) == 1:
                return "yes"
            return ", or ".join(" and ".join(labels[n].label for n in alternative) for alternative in alternatives)
    return ""


def describe(kind: str) -> list[dict]:
    """The template as a list a page (or the README) shows: heading, other headings
    accepted, what it takes, and whether a file needs it (see `requirement`)."""
    return [
        {
            "field": f.name,
            "heading": f.label,
            "aliases": list(f.aliases),
            "help": f.help,
            "required": requirement(kind, f.name),
        }
        for f in fields(kind)
    ]
