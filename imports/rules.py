"""The rules of reading an export's values, in pure Python (no database).

Each parser takes a cell as read (text from a CSV; text, a number, a date or None from an
XLSX) and returns the value to store, or raises `Invalid` with a message a person
understands, which the import shows as "Row 14, UPN 'A12345678901X': the check letter
does not match".

Decisions worth knowing (also in the README, "Importing ..."):

- **Dates**: ISO (2025-09-01, with or without a time), UK day first (01/09/2025,
  1/9/2025, 01-09-2025, 01.09.2025, 1 Sep 2025, 1 September 2025), Excel serial numbers
  (45901, in an XLSX number cell or as text in a CSV). A two-digit year (01/09/25) is
  refused: a date of birth in the wrong century is worse than a question. Month-first US
  dates are refused when the "month" is over 12, and otherwise read day first (UK).
- **Year group**: England's: a child is in Reception (0) in the academic year (September
  to August) in which they turn five, so year group = academic year - 5 - the year the
  child's school cohort starts (the birth year, less one for a birthday from January to
  August). Nursery is -1, the two-year-old room -2; older than Year 13 counts as Year 13
  (Post 16); younger than two has no year group (an error: give it in the file).
- **ePEP status**: not started / in progress / draft / returned... -> draft; submitted /
  ready for QA / complete / completed / finalised / approved... -> submitted for QA. A PEP
  the ePEP calls complete has had no QA here yet: it awaits it, so it is "submitted for
  QA", never "finalised" (only a QA review here finalises a PEP).
- **Booleans**: yes/no, y/n, true/false, 1/0, x or a tick; blank is no.
"""

import functools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.gb import upn as stdnum_upn

from core.vocabulary import Phase, Role, Season


class Invalid(ValueError):
    """A value that cannot be imported; str() is the message for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text(value) -> str:
    """A cell as trimmed text: numbers without a spurious ".0" (XLSX), dates in ISO."""
    if type(value) is str:  # the usual case, first: called for every cell
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def normalise_heading(heading) -> str:
    """ "Date of Birth " -> "dateofbirth", "LA_Ref" -> "laref": headings are matched
    ignoring case, spaces and punctuation. (Also the words of a status, a term, a role.)"""
    if type(heading) is str and len(heading) <= 100:
        return _normalise(heading)
    return _NOT_ALNUM.sub("", text(heading).lower())


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=4096)
def _normalise(heading: str) -> str:
    # A column's few distinct values ("Complete", "Autumn", "SW"), read on every row.
    return _NOT_ALNUM.sub("", heading.lower())


# --- dates ----------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1 January 1900 (after Excel's 1900 leap-year bug)
# Serials read from text: five digits, 1927-05-18 (10000) to 2173-10-14 (99999).
_SERIAL_TEXT = re.compile(r"^\d{5}(\.0+)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/]+([a-z]{3,9})\.?[\s\-/,]+(\d{2}|\d{4})$")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            (),
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
DATE_HELP = "write it as dd/mm/yyyy (e.g. 01/09/2025) or yyyy-mm-dd"
TWO_DIGIT_YEAR = "the year has two digits: write it in full, as dd/mm/yyyy (e.g. 01/09/2025)"


def excel_serial_date(serial: float) -> date:
    if not 1 <= serial < 2958466:
        raise Invalid(f"not a date: {DATE_HELP}")
    whole = int(serial)
    # Excel counts 29 February 1900, which never was: serials before it are a day later.
    return EXCEL_EPOCH + timedelta(days=whole + (1 if whole < 61 else 0))


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid(f"there is no such date: {DATE_HELP}") from None


def parse_date(value) -> date | None:
    """A date from any of the accepted forms (module docstring); None for a blank cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial_date(value)
    raw = str(value).strip()
    if not raw:
        return None
    match = _ISO.match(raw)
    if match:
        return _make_date(*map(int, match.groups()))
    match = _DAY_FIRST.match(raw)
    if match:
        day, month, year = match.groups()
        if len(year) == 2:
            raise Invalid(TWO_DIGIT_YEAR)
        if int(month) > 12 and int(day) <= 12:
            raise Invalid(f"the month is {month}: this looks like a month-first (US) date; {DATE_HELP}")
        return _make_date(int(year), int(month), int(day))
    match = _WORDS.match(raw.lower())
    if match:
        day, month_name, year = match.groups()
        if month_name not in MONTHS:
            raise Invalid(f"'{month_name}' is not a month: {DATE_HELP}")
        if len(year) == 2:
            raise Invalid(TWO_DIGIT_YEAR)
        return _make_date(int(year), MONTHS[month_name], int(day))
    if _SERIAL_TEXT.match(raw):
        return excel_serial_date(float(raw))
    raise Invalid(f"not a date: {DATE_HELP}")


def academic_year_of(day: date) -> int:
    """The academic year (the year it starts) a day falls in: September to August."""
    return day.year if day.month >= 9 else day.year - 1


# --- year groups and phases -----------------------------------------------------------

YEAR_GROUP_MIN, YEAR_GROUP_MAX = -2, 13


def year_group_for(date_of_birth: date, academic_year: int) -> int:
    """England's year group of a child born on `date_of_birth`, in `academic_year`
    (the year it starts: 2025 for 2025/26). See the module docstring."""
    cohort = date_of_birth.year if date_of_birth.month >= 9 else date_of_birth.year - 1
    year_group = academic_year - 5 - cohort
    if year_group < YEAR_GROUP_MIN:
        raise Invalid(
            "the child is under two in that academic year: too young for a year group; give the year group in the file"
        )
    return min(year_group, YEAR_GROUP_MAX)


_YEAR_WORDS = {
    "r": 0,
    "rec": 0,
    "reception": 0,
    "yr": 0,
    "fs2": 0,
    "f2": 0,
    "n": -1,
    "nursery": -1,
    "n2": -1,
    "fs1": -1,
    "f1": -1,
    "pre-school": -1,
    "preschool": -1,
    "n1": -2,
    "ey": -2,
    "eyfs2": -2,
    "twoyearolds": -2,
    "2yearolds": -2,
}


def parse_year_group(value) -> int | None:
    """ "Year 7", "Y7", "7", "NCY 7" -> 7; "R"/"Reception" -> 0; "N"/"N2"/"Nursery" -> -1;
    "N1" (the school census's first nursery year) -> -2. Blank -> None."""
    raw = text(value).lower()
    if not raw:
        return None
    compact = re.sub(r"[\s_]+", "", raw)
    if compact in _YEAR_WORDS:
        return _YEAR_WORDS[compact]
    match = re.fullmatch(r"(?:year|yr|y|ncy)?(-?\d{1,2})", compact)
    if match:
        number = int(match.group(1))
        if YEAR_GROUP_MIN <= number <= YEAR_GROUP_MAX:
            return number
        if 13 < number <= 14:  # NCY 14: a further year of sixth form
            return YEAR_GROUP_MAX
    raise Invalid("not a year group: use -2 to 13, R (Reception) or N (Nursery), e.g. 'Year 7' or 7")


_PHASES = {
    "eyfs": Phase.EYFS,
    "earlyyears": Phase.EYFS,
    "ey": Phase.EYFS,
    "earlyyearsfoundationstage": Phase.EYFS,
    "ssa": Phase.SSA,
    "statutoryschoolage": Phase.SSA,
    "schoolage": Phase.SSA,
    "compulsoryschoolage": Phase.SSA,
    "post16": Phase.POST16,
    "p16": Phase.POST16,
    "postsixteen": Phase.POST16,
    "ks5": Phase.POST16,
}


def parse_phase(value) -> str | None:
    raw = normalise_heading(value)
    if not raw:
        return None
    if raw in _PHASES:
        return _PHASES[raw]
    raise Invalid("not a phase: use EYFS, SSA (statutory school age) or Post 16")


# --- terms ----------------------------------------------------------------------------

_SEASONS = {
    "autumn": Season.AUTUMN,
    "aut": Season.AUTUMN,
    "autumnterm": Season.AUTUMN,
    "t1": Season.AUTUMN,
    "spring": Season.SPRING,
    "spr": Season.SPRING,
    "springterm": Season.SPRING,
    "t2": Season.SPRING,
    "summer": Season.SUMMER,
    "sum": Season.SUMMER,
    "summerterm": Season.SUMMER,
    "t3": Season.SUMMER,
}


def parse_season(value) -> str | None:
    raw = normalise_heading(value)
    if not raw:
        return None
    if raw in _SEASONS:
        return _SEASONS[raw]
    raise Invalid("not a term: use Autumn, Spring or Summer")


_ACADEMIC_YEAR = re.compile(r"^(\d{4})(?:\s*[/\-]\s*(\d{2}|\d{4}))?$")


def parse_academic_year(value) -> int | None:
    """ "2025/26", "2025-26", "2025/2026" or "2025" -> 2025 (the year it starts)."""
    raw = text(value)
    if not raw:
        return None
    match = _ACADEMIC_YEAR.match(raw)
    if not match:
        raise Invalid("not an academic year: write it as 2025/26")
    start, end = int(match.group(1)), match.group(2)
    if end is not None and int(end) % 100 != (start + 1) % 100:
        raise Invalid("the two years of an academic year follow each other: write it as 2025/26")
    if not 1990 <= start <= 2100:
        raise Invalid("not an academic year: write it as 2025/26")
    return start


def parse_term(value) -> tuple[str, int] | None:
    """One column holding both: "Autumn 2025/26", "Spring 2025-26", "Summer term 2026".

    With a single calendar year, the autumn term is that year's and the spring and
    summer terms are of the academic year that started the September before: "Spring
    2026" is the spring term of 2025/26."""
    raw = text(value)
    if not raw:
        return None
    match = re.fullmatch(r"([A-Za-z]+(?:\s+term)?)[\s,:\-]+(\d{4}(?:\s*[/\-]\s*\d{2,4})?)", raw, re.IGNORECASE)
    if not match:
        raise Invalid("not a term: write it as 'Autumn 2025/26'")
    season = parse_season(match.group(1))
    year_text = match.group(2)
    year = parse_academic_year(year_text)
    if season is None or year is None:
        raise Invalid("not a term: write it as 'Autumn 2025/26'")
    if re.fullmatch(r"\d{4}", year_text) and season != Season.AUTUMN:
        year -= 1
    return season, year


# --- people ---------------------------------------------------------------------------

_ROLES = {
    "officer": Role.OFFICER,
    "vso": Role.OFFICER,
    "virtualschoolofficer": Role.OFFICER,
    "practitioner": Role.OFFICER,
    "virtualschoolpractitioner": Role.OFFICER,
    "educationofficer": Role.OFFICER,
    "vsofficer": Role.OFFICER,
    "caseworker": Role.OFFICER,
    "manager": Role.MANAGER,
    "vsmanager": Role.MANAGER,
    "virtualschoolmanager": Role.MANAGER,
    "teammanager": Role.MANAGER,
    "lead": Role.LEAD,
    "leadpractitioner": Role.LEAD,
    "lp": Role.LEAD,
    "vsh": Role.VSH,
    "head": Role.VSH,
    "virtualschoolhead": Role.VSH,
    "headteacher": Role.VSH,
    "administrator": Role.ADMINISTRATOR,
    "admin": Role.ADMINISTRATOR,
    "businesssupport": Role.ADMINISTRATOR,
}
_ROLES.update({normalise_heading(role.label): role for role in Role})
_ROLES.update({role.value: role for role in Role})


def parse_role(value) -> str | None:
    raw = normalise_heading(value)
    if not raw:
        return None
    if raw in _ROLES:
        return _ROLES[raw]
    raise Invalid("not a role: use officer, manager, lead, VSH or administrator")


def split_name(value) -> tuple[str, str]:
    """ "Sam Kowalski" -> ("Sam", "Kowalski"); "Kowalski, Sam" -> ("Sam", "Kowalski")."""
    raw = " ".join(text(value).split())
    if "," in raw:
        last, _, first = raw.partition(",")
        return first.strip(), last.strip()
    first, _, last = raw.rpartition(" ")
    return (first, last) if first else (raw, "")


def parse_email(value) -> str:
    raw = text(value).lower()
    if not raw:
        return ""
    try:
        validate_email(raw)
    except ValidationError:
        raise Invalid("not an e-mail address") from None
    return raw


_ATTENDEES = {
    "sw": "sw",
    "socialworker": "sw",
    "dt": "dt",
    "designatedteacher": "dt",
    "teacher": "dt",
    "school": "dt",
    "child": "child",
    "yp": "child",
    "youngperson": "child",
    "pupil": "child",
    "student": "child",
    "carer": "carer",
    "fostercarer": "carer",
    "carers": "carer",
    "keyworker": "carer",
    "residentialkeyworker": "carer",
    "placement": "carer",
}


def parse_attendees(value) -> set[str]:
    """Who attended, as one cell: "SW; DT; Carer", "Social worker, Child". Others
    (an interpreter, the officer) are allowed and not recorded."""
    raw = text(value)
    return {
        _ATTENDEES[key] for part in re.split(r"[;,/|+\n]| and ", raw) if (key := normalise_heading(part)) in _ATTENDEES
    }


# --- values ---------------------------------------------------------------------------

_TRUE = {"yes", "y", "true", "t", "1", "x", "✓", "✔", "ticked", "on"}
_FALSE = {"no", "n", "false", "f", "0", "", "-", "none", "off"}


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise Invalid("not yes or no: use Yes, No, Y, N, 1, 0, x, or leave it blank for no")


SEND_CODES = {"k": True, "e": True, "s": True, "a": True, "p": True}  # school census SEN provision


def parse_send(value) -> bool:
    """SEND: yes/no, or the school census's SEN provision codes (N none; K SEN support;
    E EHCP; and the older S, A, P)."""
    raw = text(value).lower()
    if raw in SEND_CODES:
        return True
    return parse_bool(raw)


def parse_money(value) -> Decimal | None:
    """ "£1,200.00", "1200", "1,200" -> Decimal("1200.00"); blank -> None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        raw = text(value).replace("£", "").replace(",", "").replace(" ", "")
        if raw.upper().startswith("GBP"):
            raw = raw[3:]
        if not raw:
            return None
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise Invalid("not an amount of money: write it as 1200 or £1,200.00") from None
    if not amount.is_finite() or amount < 0:
        raise Invalid("not an amount of money: write it as 1200 or £1,200.00")
    if amount >= 1_000_000:
        raise Invalid("an amount of a million pounds or more is not a PP+ request")
    return amount.quantize(Decimal("0.01"))


def parse_percent(value, *, is_fraction: bool = False) -> Decimal | None:
    """ "95.5", "95.5%" -> Decimal("95.5"). `is_fraction`: a spreadsheet cell in a
    percentage format holds 0.955 for 95.5%."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value)) * (100 if is_fraction else 1)
    else:
        raw = text(value).replace("%", "").strip()
        if not raw:
            return None
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise Invalid("not a percentage: write it as 95.5 or 95.5%") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise Invalid("a percentage is between 0 and 100")
    return number.quantize(Decimal("0.1"))


_URL = re.compile(r"^https?://([^\s/?#:@]+)(:\d{1,5})?([/?#]\S*)?$", re.IGNORECASE)
_PLAIN_HOST = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)+", re.IGNORECASE)


def parse_url(value) -> str:
    """An http(s) address: a cheap check of its shape (Django's URLValidator costs
    100 µs a call: seconds for an ePEP export), then the validator only if in doubt."""
    raw = text(value)
    if not raw:
        return ""
    if len(raw) > 500:
        raise Invalid("a web address of more than 500 characters")
    match = _URL.match(raw)
    if not match:
        raise Invalid("not a web address (https://...)")
    if not _PLAIN_HOST.fullmatch(match.group(1)):
        try:
            URLValidator(schemes=["http", "https"])(raw)
        except ValidationError:
            raise Invalid("not a web address (https://...)") from None
    return raw


# UPNs ---------------------------------------------------------------------------------

# The DfE's codes for a UPN not known (SSDA903 guidance): UN1 to UN5.
UPN_UNKNOWN_CODES = {"UN1", "UN2", "UN3", "UN4", "UN5"}
# Local authority numbers issued since python-stdnum's list (2011): North and West
# Northamptonshire (2021), Cumberland, Westmorland and Furness (2023).
NEWER_LA_NUMBERS = {940, 941, 942, 943}


def parse_upn(value) -> str:
    """A UPN (13 characters, check letter first) or one of the DfE unknown codes."""
    raw = re.sub(r"\s+", "", text(value)).upper()
    if not raw:
        return ""
    if raw in UPN_UNKNOWN_CODES:
        return raw
    try:
        return stdnum_upn.validate(raw)
    except InvalidLength:
        raise Invalid(
            f"a UPN has 13 characters, this has {len(raw)} (or use UN1 to UN5 when it is not known)"
        ) from None
    except InvalidFormat:
        raise Invalid("a UPN is a letter, 11 digits, and a digit or letter") from None
    except InvalidComponent:
        if int(raw[1:4]) in NEWER_LA_NUMBERS:
            if stdnum_upn.calc_check_digit(raw[1:]) == raw[0]:
                return raw
            raise Invalid("the check letter does not match") from None
        raise Invalid(f"{raw[1:4]} is not a local authority number") from None
    except InvalidChecksum:
        raise Invalid("the check letter does not match") from None


# --- ePEP status ----------------------------------------------------------------------

EPEP_DRAFT = {
    "draft",
    "notstarted",
    "inprogress",
    "started",
    "open",
    "incomplete",
    "new",
    "pending",
    "meetingbooked",
    "scheduled",
    "booked",
    "awaitingmeeting",
    "returned",
    "reopened",
    "returnedforamendment",
    "awaitingamendment",
    "amendmentsrequired",
    "rejected",
}
EPEP_SUBMITTED = {
    "submitted",
    "submittedforqa",
    "readyforqa",
    "readyforreview",
    "awaitingqa",
    "forqa",
    "awaitingapproval",
    "pendingapproval",
    "awaitingsignoff",
    "reviewagain",
    "resubmitted",
    "complete",
    "completed",
    "finalised",
    "finalized",
    "final",
    "signedoff",
    "approved",
    "closed",
    "locked",
    "qad",
    "qualityassured",
}


def epep_status(value) -> str | None:
    """The ePEP's status -> "draft" or "submitted" (peps.models.PepStatus values);
    None for a blank cell. See the module docstring."""
    raw = normalise_heading(value)
    if not raw:
        return None
    if raw in EPEP_DRAFT:
        return "draft"
    if raw in EPEP_SUBMITTED:
        return "submitted"
    raise Invalid("not an ePEP status this import knows: use Draft, In progress, Submitted or Complete")


# --- terms added by an import ---------------------------------------------------------


def default_term_dates(academic_year: int, season: str) -> tuple[date, date, date]:
    """Start, end and PEP deadline of a term an import adds (the admin may correct them):
    autumn from 1 September to 31 December, spring 1 January to 31 March, summer 1 April
    to 31 August; the PEP deadline the Friday on or before six weeks in."""
    if season == Season.AUTUMN:
        start, end = date(academic_year, 9, 1), date(academic_year, 12, 31)
    elif season == Season.SPRING:
        start, end = date(academic_year + 1, 1, 1), date(academic_year + 1, 3, 31)
    else:
        start, end = date(academic_year + 1, 4, 1), date(academic_year + 1, 8, 31)
    deadline = start + timedelta(weeks=6)
    deadline -= timedelta(days=(deadline.weekday() - 4) % 7)
    return start, end, deadline


def shown(value) -> str:
    """A value as the preview shows it: dates dd/mm/yyyy, booleans yes/no, blank ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, set | frozenset | list | tuple):
        return "; ".join(sorted(str(v) for v in value))
    return str(value)
