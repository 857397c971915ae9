"""Example export files for the demo school (``seed_demo`` writes them), to try the import
from the page or from ``manage.py import_file``.

- ``staff.csv``: the demo staff, plus one new officer.
- ``children.csv``: the children, shaped like a case-management (SSDA903-like) export:
  CHILD, UPN, DOB, NCY, URN, DECOM, SEN codes. It matches the school except, on purpose,
  three allocations moved to another officer and two new children.
- ``peps.csv``: every PEP, shaped like an ePEP export ("PEP term", "Attendees",
  "Link to PEP"...). It matches the school except, on purpose, three of this term's draft
  PEPs now complete in the ePEP: importing submits them for QA (with a status change
  each) and tops up this term's samples.
- ``children-with-errors.csv``, ``peps-with-errors.csv``, ``staff-with-errors.csv``:
  each kind of error once, for the preview's error list (and its CSV).

Importing a clean file a second time changes nothing.
"""

import csv
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from accounts.models import User
from core.vocabulary import Role, term_label
from peps.models import Child, Pep, PepStatus

from .school import DEMO_USERNAMES, EMAIL_DOMAIN

CHILD_HEADINGS = [
    "CHILD",
    "UPN",
    "Forename",
    "Surname",
    "DOB",
    "NCY",
    "URN",
    "DECOM",
    "SEN",
    "EHCP",
    "VS officer",
    "SW name",
    "SW e-mail",
    "SW team",
    "DT name",
    "DT e-mail",
]
PEP_HEADINGS = [
    "LA child ID",
    "PEP term",
    "PEP ID",
    "Status",
    "Year group",
    "Phase",
    "VS officer",
    "PEP meeting date",
    "Next PEP date",
    "Attendees",
    "SW section complete",
    "PP+ requested",
    "PP+ amount",
    "Attendance (%)",
    "Completed date",
    "Link to PEP",
    "Pupil voice",
    "Education summary",
    "SMART targets",
]
STAFF_HEADINGS = [
    "Username",
    "E-mail",
    "First name",
    "Last name",
    "Role",
    "Job title",
    "Line manager",
    "Start date",
    "Lead areas",
]
EPEP_STATUS: dict[str, str] = {
    PepStatus.DRAFT: "In progress",
    PepStatus.SUBMITTED: "Complete",
    PepStatus.RETURNED: "Complete",
    PepStatus.FINALISED: "Complete",
}
ROLE_WORDS: dict[str, str] = {
    Role.OFFICER: "Officer",
    Role.MANAGER: "Manager",
    Role.LEAD: "Lead practitioner",
    Role.VSH: "VSH",
    Role.ADMINISTRATOR: "Administrator",
}
MOVED_ALLOCATIONS = 3
SUBMITTED_IN_EPEP = 3


def _uk(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _yes(flag) -> str:
    return "Yes" if flag else "No"


def _write(path: Path, headings: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(headings)
        writer.writerows(rows)
    return path


def _ncy(year_group: int) -> str:
    return {-2: "N1", -1: "N2", 0: "R"}.get(year_group, str(year_group))


def _send_code(child: Child) -> str:
    return "E" if child.has_ehcp else "K" if child.has_send else "N"


def child_row(child: Child) -> list:
    sw, dt = child.social_worker, child.designated_teacher
    return [
        child.la_reference,
        child.upn,
        child.first_name,
        child.last_name,
        _uk(child.date_of_birth),
        _ncy(child.year_group),
        child.school.urn if child.school else "",
        _uk(child.entered_care_on),
        _send_code(child),
        _yes(child.has_ehcp),
        child.allocated_officer.username if child.allocated_officer else "",
        sw.name if sw else "",
        sw.email if sw else "",
        sw.team.name if sw else "",
        dt.name if dt else "",
        dt.email if dt else "",
    ]


def pep_row(pep: Pep, status: str | None = None) -> list:
    attendees = [
        who
        for who, flag in (
            ("SW", pep.sw_attended),
            ("DT", pep.dt_attended),
            ("Child", pep.child_attended),
            ("Carer", pep.carer_attended),
        )
        if flag
    ]
    return [
        pep.child.la_reference,
        term_label(pep.term.season, pep.term.academic_year),
        pep.epep_reference,
        status or EPEP_STATUS[pep.status],
        "" if pep.year_group is None else pep.year_group,
        pep.get_phase_display(),
        pep.officer.username if pep.officer else "",
        _uk(pep.meeting_date),
        _uk(pep.next_meeting_date),
        "; ".join(attendees),
        _yes(pep.sw_section_updated),
        _yes(pep.pp_plus_requested),
        f"£{pep.pp_plus_amount:,.2f}" if pep.pp_plus_amount is not None else "",
        "" if pep.attendance_percent is None else f"{pep.attendance_percent}",
        _uk(pep.date_completed),
        pep.epep_url,
        pep.child_views,
        pep.education_summary,
        pep.targets,
    ]


def write_demo_exports(directory: Path, today=None) -> dict[str, Path]:
    """Write the example files into `directory` (made if need be); their paths by name."""
    today = today or timezone.localdate()
    directory.mkdir(parents=True, exist_ok=True)
    children = list(
        Child.objects.select_related(
            "school", "allocated_officer", "social_worker__team", "designated_teacher"
        ).order_by("la_reference")
    )
    officers = list(User.objects.filter(role=Role.OFFICER, username__in=DEMO_USERNAMES).order_by("username"))
    paths: dict[str, Path] = {}

    rows = [child_row(child) for child in children]
    for index, row in enumerate(rows[:MOVED_ALLOCATIONS]):  # allocations moved, on purpose
        others = [o.username for o in officers if o.username != row[10]]
        row[10] = others[index % len(others)]
    for number in range(2 if children else 0):  # two new children
        new = child_row(children[0])
        new[0], new[1] = f"HVS-9{number:05d}", "UN4"
        new[2], new[3] = ["Amara", "Jonah"][number], ["Okafor", "Lindqvist"][number]
        rows.append(new)
    paths["children"] = _write(directory / "children.csv", CHILD_HEADINGS, rows)

    peps = list(
        Pep.objects.select_related("child", "term", "officer").order_by("term__start_date", "child__la_reference")
    )
    current = max((p.term for p in peps), key=lambda t: t.start_date, default=None)
    now_complete = {p.pk for p in peps if current and p.term_id == current.pk and p.status == PepStatus.DRAFT}
    now_complete = set(sorted(now_complete)[:SUBMITTED_IN_EPEP])
    rows = []
    for pep in peps:
        row = pep_row(pep)
        if current is not None and pep.pk in now_complete:  # completed in the ePEP since: submitted here
            met = max(current.start_date, today - timedelta(days=7))
            row[3], row[7], row[8] = "Complete", _uk(met), _uk(met + timedelta(weeks=13))
            row[9], row[10], row[14] = "SW; DT; Child; Carer", "Yes", _uk(max(met, today - timedelta(days=1)))
        rows.append(row)
    paths["peps"] = _write(directory / "peps.csv", PEP_HEADINGS, rows)

    staff = list(
        User.objects.filter(username__in=DEMO_USERNAMES)
        .select_related("line_manager")
        .prefetch_related("lead_areas")
        .order_by("username")
    )
    rows = [
        [
            u.username,
            u.email,
            u.first_name,
            u.last_name,
            ROLE_WORDS[u.role],
            u.job_title,
            u.line_manager.username if u.line_manager else "",
            _uk(u.start_date),
            "; ".join(sorted(a.code for a in u.lead_areas.all())),
        ]
        for u in staff
    ]
    rows.append(
        [
            "officer7",
            f"noor.haddad@{EMAIL_DOMAIN}",
            "Noor",
            "Haddad",
            "Officer",
            "Virtual School Officer",
            "manager2",
            _uk(today),
            "",
        ]
    )
    paths["staff"] = _write(directory / "staff.csv", STAFF_HEADINGS, rows)

    paths.update(_write_error_files(directory, children, peps, current))
    return paths


def _write_error_files(directory: Path, children, peps, current) -> dict[str, Path]:
    """Each kind of error once: the row's comment says which."""
    paths: dict[str, Path] = {}
    if not children:
        return paths
    good = [child_row(child) for child in children[:4]]
    wrong_letter = next((c.upn for c in children if len(c.upn) == 13), "B801200005001")
    wrong_letter = ("A" if wrong_letter[0] != "A" else "B") + wrong_letter[1:]
    broken = []
    for index, (column, value) in enumerate(
        [
            (10, "j.bloggs"),  # an officer who is not here
            (6, "999999"),  # a school URN that is not here
            (4, "01/01/2099"),  # a date of birth in the future
            (4, "31/02/2014"),  # a date that does not exist
            (1, wrong_letter),  # a UPN whose check letter does not match
            (7, "14/3/21"),  # a two-digit year
        ]
    ):
        row = child_row(children[(index + 4) % len(children)])
        row[column] = value
        broken.append(row)
    broken.append(child_row(children[0]))  # the same child twice
    paths["children-with-errors"] = _write(directory / "children-with-errors.csv", CHILD_HEADINGS, good + broken)

    if peps and current:
        rows = [pep_row(p) for p in peps[:3]]
        broken = [pep_row(peps[(index + 3) % len(peps)]) for index in range(6)]
        broken[0][0] = "HVS-000000"  # a child who is not here
        broken[1][7] = "next Tuesday"  # not a date
        broken[2][3] = "With the carer"  # a status the import does not know
        broken[3][7], broken[3][8] = "10/10/2024", "01/01/2001"  # the next meeting before this one
        broken[4][1] = f"Winter {current.academic_year_label}"  # not a term
        broken[5] = pep_row(peps[0])  # the same PEP twice
        paths["peps-with-errors"] = _write(directory / "peps-with-errors.csv", PEP_HEADINGS, rows + broken)

    rows = [
        ["officer8", f"lee.morgan@{EMAIL_DOMAIN}", "Lee", "Morgan", "Caretaker", "", "manager", "", ""],
        ["officer9", f"kim.tran@{EMAIL_DOMAIN}", "Kim", "Tran", "Officer", "", "nobody", "", ""],
        ["officer10", f"ali.rees@{EMAIL_DOMAIN}", "Ali", "Rees", "Officer", "", "officer", "", ""],
        ["officer11", "not-an-email", "Jo", "Pike", "Officer", "", "manager", "32/13/2024", ""],
    ]
    paths["staff-with-errors"] = _write(directory / "staff-with-errors.csv", STAFF_HEADINGS, rows)
    return paths
