"""The row engine of an import: each row parsed, checked and compared with the database,
a chunk of rows at a time, and (when applying) written in bulk.

One pass over the file, 2,000 rows a chunk: the existing records of a chunk are read in
one query, the new ones created with one bulk insert and the changed ones updated with
one bulk update, so the queries grow with the number of chunks, never per row, and the
memory with the chunk, never with the file (what is kept for the whole file: the keys
seen, to find a row given twice, and the database's small directories - staff,
schools, social workers, children, terms).

The same code previews (`apply=False`: counts, errors and planned changes recorded on
the run; no domain data written) and applies (`apply=True`, inside the caller's
transaction: the first error raises `ApplyFailed`, and the caller rolls everything back).
"""

from array import array
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db.models import Q
from django.utils import timezone

from accounts.models import LeadArea, User
from core.signals import bulk_written
from core.vocabulary import Phase, Role, term_label
from peps.models import Child, DesignatedTeacher, Pep, PepStatus, School, SocialCareTeam, SocialWorker, Term
from peps.submissions import record_arrival_submitted, submit_peps

from . import columns, rules
from .models import ImportKind, ImportRowChange, ImportRowError, RowAction, error_sentence
from .reading import FileRefused

CHUNK = 2000
MAX_STORED_ERRORS = 5000
MAX_STAFF_ROWS = 5000
TEAM_NOT_RECORDED = "Team not recorded"


class ApplyFailed(Exception):
    """Applying found a problem: nothing is written. str() is for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class New:
    """A record the import adds (a social worker, a term...), not yet in the database."""

    kind: str
    key: Any

    def __str__(self):
        return f"{self.key} (new)" if not isinstance(self.key, tuple) else f"{self.key[-1]} (new)"


@dataclass(slots=True)
class Row:
    number: int
    cells: list
    values: dict
    invalid: set = field(default_factory=set)
    errors: list = field(default_factory=list)  # (column, value, message)
    key: str = ""
    action: str = ""
    target: dict = field(default_factory=dict)  # model field -> value to store
    changes: dict = field(default_factory=dict)  # model field -> [before, after] as text
    instance: object = None
    extra: dict = field(default_factory=dict)


class StaffDirectory:
    """Staff found by username, e-mail or full name (case-insensitive)."""

    def __init__(self, users: Sequence[Mapping[str, Any]]):
        self.by_pk = {u["pk"]: u for u in users}
        self.by_username = {u["username"].lower(): u for u in users}
        self.by_email: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        self.by_name: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for user in users:
            if user["email"]:
                self.by_email[user["email"].lower()].append(user)
            full = f"{user['first_name']} {user['last_name']}".strip().lower()
            if full:
                self.by_name[full].append(user)
                self.by_name[f"{user['last_name']}, {user['first_name']}".lower()].append(user)

    @classmethod
    def load(cls) -> "StaffDirectory":
        return cls(
            list(
                User.objects.values(
                    "pk", "username", "email", "first_name", "last_name", "role", "is_active", "line_manager_id"
                )
            )
        )

    def find(self, ref: str) -> Mapping[str, Any] | None:
        key = " ".join(ref.split()).lower()
        if key in self.by_username:
            return self.by_username[key]
        for matches in (self.by_email.get(key), self.by_name.get(key)):
            if matches:
                if len(matches) > 1:
                    raise rules.Invalid(f"{len(matches)} members of staff match: use their username")
                return matches[0]
        return None

    def officer(self, ref: str) -> int:
        user = self.find(ref)
        if user is None:
            raise rules.Invalid("no member of staff here has this username, e-mail or name (import the staff first)")
        if not user["is_active"]:
            raise rules.Invalid(f"{_person(user)} has left (their account is inactive)")
        if user["role"] != Role.OFFICER:
            raise rules.Invalid(
                f"{_person(user)} is a {Role(user['role']).label}, not an officer: caseloads are held by officers"
            )
        return user["pk"]

    def label(self, pk) -> str:
        user = self.by_pk.get(pk)
        return user["username"] if user else ("" if pk is None else str(pk))


def _person(user: Mapping[str, Any]) -> str:
    return f"{user['first_name']} {user['last_name']}".strip() or user["username"]


class Importer:
    kind: str
    # Model fields a change is shown for, in order.
    shown_fields: tuple[str, ...] = ()

    def __init__(self, run, *, column_fields: dict[int, str], headings: list[str], apply: bool, user):
        self.run = run
        self.apply = apply
        self.user = user
        self.fields = columns.field_map(self.kind)
        self.columns = [(index, name, self.fields[name].parse) for index, name in column_fields.items()]
        self.heading_of = {name: headings[index] for index, name in column_fields.items()}
        self.index_of = {name: index for index, name in column_fields.items()}
        self.present = set(column_fields.values())
        self.counts: Counter = Counter()
        self.error_count = 0
        self.notes: list[str] = []
        self._errors: list[ImportRowError] = []
        self._changes: list[ImportRowChange] = []
        self._stored_errors = 0
        self.today = timezone.localdate()
        self.academic_year = rules.academic_year_of(self.today)

    # --- the pass -------------------------------------------------------------------

    def run_rows(self, rows) -> None:
        self.prepare()
        chunk: list[Row] = []
        for number, cells in rows:
            row = self.parse(number, cells)
            self.check(row)
            chunk.append(row)
            if len(chunk) >= CHUNK:
                self._process(chunk)
                chunk = []
        if chunk:
            self._process(chunk)
        self.finish()
        self._flush()

    def parse(self, number: int, cells: list) -> Row:
        values: dict[str, Any] = {}
        row = Row(number=number, cells=cells, values=values)
        count = len(cells)
        for index, name, parse in self.columns:
            cell = cells[index] if index < count else None
            try:
                values[name] = parse(cell)
            except rules.Invalid as exc:
                values[name] = None
                row.invalid.add(name)
                row.errors.append((self.heading_of[name], rules.text(cell), exc.message))
        return row

    def error(self, row: Row, name: str, message: str, value: str | None = None) -> None:
        """An error on the column of field `name` (or on the row, if the file has no such
        column)."""
        row.invalid.add(name)
        column = self.heading_of.get(name, "")
        row.errors.append((column, self.raw_text(row, name) if value is None else value, message))

    def raw_text(self, row: Row, name: str) -> str:
        """The row's cell of field `name` as it is in the file ("" without the column)."""
        index = self.index_of.get(name)
        return rules.text(row.cells[index]) if index is not None and index < len(row.cells) else ""

    def ok(self, row: Row, name: str) -> bool:
        """The file has the column and the row's value parsed."""
        return name in self.present and name not in row.invalid

    def _process(self, chunk: list[Row]) -> None:
        self.resolve([row for row in chunk if not row.errors])
        writes = []
        for row in chunk:
            self.counts["rows"] += 1
            if row.errors:
                self._record_errors(row)
                continue
            self.counts[row.action] += 1
            if row.action in (RowAction.NEW, RowAction.CHANGED):
                writes.append(row)
                self._changes.append(
                    ImportRowChange(
                        run=self.run,
                        row=row.number,
                        key=row.key[:200],
                        action=row.action,
                        fields=row.changes if row.action == RowAction.CHANGED else {},
                    )
                )
        if self.apply and writes:
            self.write(writes)
        if len(self._changes) >= CHUNK or len(self._errors) >= CHUNK:
            self._flush()

    def _record_errors(self, row: Row) -> None:
        self.counts["errors"] += 1
        self.error_count += len(row.errors)
        if self.apply:
            column, value, message = row.errors[0]
            more = f" (and {self.error_count - 1} more)" if self.error_count > 1 else ""
            raise ApplyFailed(f"{error_sentence(row.number, column, value, message)}{more}. Nothing was imported.")
        for column, value, message in row.errors:
            if self._stored_errors >= MAX_STORED_ERRORS:
                return
            self._stored_errors += 1
            self._errors.append(
                ImportRowError(run=self.run, row=row.number, column=column[:200], value=value[:1000], message=message)
            )

    def _flush(self) -> None:
        ImportRowError.objects.bulk_create(self._errors, batch_size=CHUNK)
        ImportRowChange.objects.bulk_create(self._changes, batch_size=CHUNK)
        self._errors, self._changes = [], []

    def diff(self, row: Row, instance, labels: dict | None = None) -> None:
        """Compare the row's target with the record (a model instance, or a dict of its
        values): new, changed or unchanged."""
        if instance is None:
            row.action = RowAction.NEW
            return
        row.instance = instance
        labels = labels or {}
        read = instance.get if isinstance(instance, dict) else lambda name: getattr(instance, name)
        for name in self.shown_fields:
            if name not in row.target:
                continue
            before, after = read(name), row.target[name]
            if before == after or _same(before, after):
                continue
            show = labels.get(name, rules.shown)
            row.changes[name] = [show(before), show(after)]
        row.action = RowAction.CHANGED if row.changes else "unchanged"

    # --- what each kind does --------------------------------------------------------

    def prepare(self) -> None:
        pass

    def check(self, row: Row) -> None:
        """The row's own checks, and those against the small directories."""

    def resolve(self, rows: list[Row]) -> None:
        """Each row's record found in the database (one query a chunk) and compared."""

    def write(self, rows: list[Row]) -> None:
        """Apply: the chunk's new and changed rows written in bulk."""

    def finish(self) -> None:
        pass

    # helpers

    def first_seen(self, seen: dict, key, row: Row, name: str, what: str) -> bool:
        if key in seen:
            self.error(row, name, f"{what} is on row {seen[key]} too: a file gives each once")
            return False
        seen[key] = row.number
        return True

    def name_parts(self, row: Row, what: str) -> tuple[str, str] | None:
        if {"first_name", "last_name"} <= self.present:
            first, last = row.values.get("first_name") or "", row.values.get("last_name") or ""
            blank = "first_name" if not first else "last_name" if not last else None
        elif "name" in self.present:
            first, last = rules.split_name(row.values.get("name") or "")
            blank = "name" if not (first and last) else None
        else:
            return None
        if blank and blank not in row.invalid:
            self.error(row, blank, f"{what} needs a first and a last name")
            return None
        if len(first) > 100 or len(last) > 100:
            self.error(row, "name" if "name" in self.present else "first_name", "a name of more than 100 characters")
            return None
        return first, last


def _same(before, after) -> bool:
    if isinstance(before, str) or isinstance(after, str):
        return (before or "").replace("\r\n", "\n").strip() == (after or "").replace("\r\n", "\n").strip()
    if isinstance(before, Decimal) or isinstance(after, Decimal):
        return before == after or (before is not None and after is not None and Decimal(before) == Decimal(after))
    return before == after


# --- children -----------------------------------------------------------------------


class ChildrenImporter(Importer):
    kind = ImportKind.CHILDREN
    shown_fields = (
        "upn",
        "first_name",
        "last_name",
        "date_of_birth",
        "year_group",
        "school_id",
        "entered_care_on",
        "left_care_on",
        "has_send",
        "has_ehcp",
        "allocated_officer_id",
        "social_worker_id",
        "designated_teacher_id",
    )

    def prepare(self):
        self.staff = StaffDirectory.load()
        self.schools = {urn.strip().upper(): pk for pk, urn in School.objects.exclude(urn="").values_list("pk", "urn")}
        self.school_urns = {pk: urn for urn, pk in self.schools.items()}
        self.teams = {name.lower(): pk for pk, name in SocialCareTeam.objects.values_list("pk", "name")}
        self.social_workers: dict = {}
        self.social_workers_by_name: dict = defaultdict(list)
        self.social_worker_emails: dict = {}
        for pk, name, email in SocialWorker.objects.values_list("pk", "name", "email"):
            self.social_workers.setdefault(email.lower(), pk)
            self.social_workers_by_name[name.lower()].append(pk)
            self.social_worker_emails[pk] = email.lower()
        self.dts: dict = {}
        self.dts_by_name: dict = defaultdict(list)
        self.dt_emails: dict = {}
        for pk, school_id, name, email in DesignatedTeacher.objects.values_list("pk", "school_id", "name", "email"):
            self.dts.setdefault((school_id, email.lower()), pk)
            self.dts_by_name[(school_id, name.lower())].append(pk)
            self.dt_emails[pk] = email.lower()
        self.seen: dict = {}
        self.new_teams: dict = {}  # lower name -> name
        self.new_social_workers: dict = {}  # email -> (name, team key)
        self.new_dts: dict = {}  # (school, email) -> name
        self.created: dict = {}  # New -> pk, once written

    def check(self, row):
        v = row.values
        reference = v.get("la_reference") or ""
        if "la_reference" not in row.invalid:
            if not reference:
                self.error(row, "la_reference", "the LA reference is blank")
            else:
                self.first_seen(self.seen, reference, row, "la_reference", "the same child")
        row.key = reference
        target = row.target
        names = self.name_parts(row, "a child")
        if names:
            target["first_name"], target["last_name"] = names
        if "upn" in self.present and "upn" not in row.invalid:
            target["upn"] = v["upn"]
        birth = v.get("date_of_birth")
        if "date_of_birth" not in row.invalid:
            if birth is None:
                self.error(row, "date_of_birth", "the date of birth is blank")
            elif birth > self.today:
                self.error(row, "date_of_birth", "the date of birth is in the future")
            elif birth < self.today.replace(year=self.today.year - 27, day=min(self.today.day, 28)):
                self.error(row, "date_of_birth", "born more than 26 years ago: a Virtual School's children are younger")
            else:
                target["date_of_birth"] = birth
        if self.ok(row, "year_group") and v["year_group"] is not None:
            target["year_group"] = v["year_group"]
        elif "date_of_birth" in target:
            try:
                target["year_group"] = rules.year_group_for(birth, self.academic_year)
            except rules.Invalid as exc:
                self.error(row, "year_group" if "year_group" in self.present else "date_of_birth", exc.message)
        self._check_care_dates(row, target.get("date_of_birth"))
        if self.ok(row, "school_urn"):
            urn = (v["school_urn"] or "").upper()
            if not urn:
                target["school_id"] = None
            elif urn in self.schools:
                target["school_id"] = self.schools[urn]
            else:
                self.error(row, "school_urn", "no school or setting here has this URN: add it first (admin, Schools)")
        for name in ("has_send", "has_ehcp"):
            if self.ok(row, name):
                target[name] = v[name]
        code = self.raw_text(row, "has_send").upper() if self.ok(row, "has_send") else ""
        if code in ("N", "K", "E") and "has_ehcp" not in self.present:
            target["has_ehcp"] = code == "E"  # the census's SEN provision: E is an EHCP
        if target.get("has_ehcp"):
            target["has_send"] = True  # an EHCP is SEND
        if self.ok(row, "allocated_officer"):
            ref = v["allocated_officer"]
            try:
                target["allocated_officer_id"] = self.staff.officer(ref) if ref else None
            except rules.Invalid as exc:
                self.error(row, "allocated_officer", exc.message)
        self._check_social_worker(row)

    def _check_care_dates(self, row, birth):
        v, target = row.values, row.target
        entered, left = v.get("entered_care_on"), v.get("left_care_on")
        if self.ok(row, "entered_care_on"):
            if entered and entered > self.today:
                self.error(row, "entered_care_on", "the date entered care is in the future")
            elif entered and birth and entered < birth:
                self.error(row, "entered_care_on", "the date entered care is before the date of birth")
            else:
                target["entered_care_on"] = entered
        if self.ok(row, "left_care_on"):
            if left and entered and left < entered:
                self.error(row, "left_care_on", "the date left care is before the date entered care")
            else:
                target["left_care_on"] = left

    def _check_social_worker(self, row):
        names = ("social_worker_name", "social_worker_email", "social_worker_team")
        if not any(n in self.present for n in names) or any(n in row.invalid for n in names):
            return
        v = row.values
        name, email, team = (
            v.get("social_worker_name") or "",
            v.get("social_worker_email") or "",
            v.get("social_worker_team") or "",
        )
        if email:
            if email in self.social_workers:
                row.target["social_worker_id"] = self.social_workers[email]
                return
            if not name:
                self.error(
                    row, "social_worker_email", "a social worker not here yet needs a name (the Social worker column)"
                )
                return
            if email not in self.new_social_workers:
                team_name = team or TEAM_NOT_RECORDED
                if team_name.lower() not in self.teams:
                    self.new_teams.setdefault(team_name.lower(), team_name)
                self.new_social_workers[email] = (name, team_name.lower())
            row.target["social_worker_id"] = New("social_worker", email)
        elif name:
            matches = self.social_workers_by_name.get(name.lower(), [])
            if len(matches) == 1:
                row.target["social_worker_id"] = matches[0]
            else:
                self.error(
                    row,
                    "social_worker_name",
                    "give the social worker's e-mail: "
                    + (
                        "no social worker here has this name"
                        if not matches
                        else f"{len(matches)} social workers here have this name"
                    ),
                )
        elif "social_worker_name" in self.present or "social_worker_email" in self.present:
            row.target["social_worker_id"] = None

    def _check_designated_teacher(self, row, school_id):
        names = ("designated_teacher_name", "designated_teacher_email")
        if not any(n in self.present for n in names) or any(n in row.invalid for n in names):
            return
        v = row.values
        name, email = v.get("designated_teacher_name") or "", v.get("designated_teacher_email") or ""
        if not (name or email):
            row.target["designated_teacher_id"] = None
            return
        if school_id is None or isinstance(school_id, New):
            self.error(
                row,
                "designated_teacher_email" if email else "designated_teacher_name",
                "a designated teacher belongs to a school: the child has no school",
            )
            return
        if email:
            if (school_id, email) in self.dts:
                row.target["designated_teacher_id"] = self.dts[(school_id, email)]
                return
            if not name:
                self.error(
                    row,
                    "designated_teacher_email",
                    "a designated teacher not here yet needs a name (the Designated teacher column)",
                )
                return
            self.new_dts.setdefault((school_id, email), name)
            row.target["designated_teacher_id"] = New("designated_teacher", (school_id, email))
            return
        matches = self.dts_by_name.get((school_id, name.lower()), [])
        if len(matches) == 1:
            row.target["designated_teacher_id"] = matches[0]
        else:
            self.error(
                row,
                "designated_teacher_name",
                "give the designated teacher's e-mail: "
                + (
                    "the school has no designated teacher of this name here"
                    if not matches
                    else f"{len(matches)} designated teachers of the school have this name"
                ),
            )

    def resolve(self, rows):
        existing = {c.la_reference: c for c in Child.objects.filter(la_reference__in=[r.key for r in rows])}
        labels = {
            "school_id": lambda pk: self.school_urns.get(pk, "") if not isinstance(pk, New) else str(pk),
            "allocated_officer_id": self.staff.label,
            "social_worker_id": lambda pk: str(pk) if isinstance(pk, New) else self.social_worker_emails.get(pk, ""),
            "designated_teacher_id": lambda pk: str(pk) if isinstance(pk, New) else self.dt_emails.get(pk, ""),
            "year_group": lambda y: "" if y is None else str(y),
        }
        for row in rows:
            child = existing.get(row.key)
            school_id = row.target["school_id"] if "school_id" in row.target else (child.school_id if child else None)
            self._check_designated_teacher(row, school_id)
            if row.errors:
                continue
            if child is None:
                missing = [
                    label
                    for name, label in (("first_name", "a first and last name"), ("date_of_birth", "a date of birth"))
                    if name not in row.target
                ]
                if missing:
                    self.error(row, "la_reference", f"a new child needs {' and '.join(missing)}")
                    continue
            self.diff(row, child, labels)

    def _create_pending(self):
        if self.new_teams:
            created = SocialCareTeam.objects.bulk_create(
                [SocialCareTeam(name=name) for name in self.new_teams.values()]
            )
            self.teams.update({team.name.lower(): team.pk for team in created})
            self.new_teams = {}
        if self.new_social_workers:
            workers = [
                (email, SocialWorker(name=name, email=email, team_id=self.teams[team]))
                for email, (name, team) in self.new_social_workers.items()
                if New("social_worker", email) not in self.created
            ]
            SocialWorker.objects.bulk_create([sw for _, sw in workers])
            for email, sw in workers:
                self.created[New("social_worker", email)] = sw.pk
                self.social_workers[email] = sw.pk
            self.new_social_workers = {}
        if self.new_dts:
            teachers = [
                (key, DesignatedTeacher(name=name, email=key[1], school_id=key[0]))
                for key, name in self.new_dts.items()
                if New("designated_teacher", key) not in self.created
            ]
            DesignatedTeacher.objects.bulk_create([dt for _, dt in teachers])
            for key, dt in teachers:
                self.created[New("designated_teacher", key)] = dt.pk
                self.dts[key] = dt.pk
            self.new_dts = {}

    def _real(self, value):
        return self.created[value] if isinstance(value, New) else value

    def write(self, rows):
        self._create_pending()
        new, changed, changed_fields = [], [], set()
        for row in rows:
            values = {name: self._real(value) for name, value in row.target.items()}
            if row.action == RowAction.NEW:
                new.append(Child(la_reference=row.key, **values))
            else:
                for name in row.changes:
                    setattr(row.instance, name, values[name])
                changed_fields.update(row.changes)
                changed.append(row.instance)
        Child.objects.bulk_create(new, batch_size=1000)
        if changed:
            Child.objects.bulk_update(changed, sorted(changed_fields), batch_size=500)
        _announce(Child, new, rows)

    def finish(self):
        added = []
        teams = len(self.new_teams)
        workers = len(self.new_social_workers)
        dts = len(self.new_dts)
        if workers:
            added.append(f"{workers} social worker{'s' if workers != 1 else ''}")
        if teams:
            added.append(f"{teams} social care team{'s' if teams != 1 else ''}")
        if dts:
            added.append(f"{dts} designated teacher{'s' if dts != 1 else ''}")
        if added and not self.apply:
            self.notes.append("To be added with the children: " + ", ".join(added) + ".")


# --- PEPs ---------------------------------------------------------------------------

PEP_FIELDS = (
    "officer_id",
    "phase",
    "year_group",
    "meeting_date",
    "next_meeting_date",
    "sw_attended",
    "dt_attended",
    "child_attended",
    "carer_attended",
    "sw_section_updated",
    "pp_plus_requested",
    "pp_plus_amount",
    "attendance_percent",
    "date_completed",
    "epep_reference",
    "epep_url",
    "child_views",
    "education_summary",
    "attainment_summary",
    "targets",
    "aspirations_summary",
)
ATTENDED = {"sw": "sw_attended", "dt": "dt_attended", "child": "child_attended", "carer": "carer_attended"}
TEXTS = (
    "epep_reference",
    "epep_url",
    "child_views",
    "education_summary",
    "attainment_summary",
    "targets",
    "aspirations_summary",
    "date_completed",
    "meeting_date",
    "next_meeting_date",
    "attendance_percent",
)


class PepsImporter(Importer):
    kind = ImportKind.PEPS
    shown_fields = (*PEP_FIELDS, "status")

    def prepare(self):
        self.staff = StaffDirectory.load()
        self.children = {
            ref: (pk, dob, officer, index)
            for index, (pk, ref, dob, officer) in enumerate(
                Child.objects.values_list("pk", "la_reference", "date_of_birth", "allocated_officer_id")
            )
        }
        self.terms = {(t.academic_year, t.season): t for t in Term.objects.all()}
        self.new_terms: dict = {}  # (year, season) -> New
        # The row each (child, term) was first seen on, to find a PEP given twice: an array
        # of children x terms, so memory follows the database, not the file.
        self.term_slots: dict = {}
        self.seen = array("I")
        self.affected_terms: set = set()
        self.to_submit: list = []
        self.note = f"Submitted for QA in the ePEP system: imported by {self.run.source.name}, import #{self.run.pk}."

    def check(self, row):
        v, target = row.values, row.target
        reference = v.get("la_reference") or ""
        child = None
        if "la_reference" not in row.invalid:
            child = self.children.get(reference)
            if not reference:
                self.error(row, "la_reference", "the child's LA reference is blank")
            elif child is None:
                self.error(row, "la_reference", "no child here has this LA reference: import the children first")
        season, year = self._term_of(row)
        row.key = f"{reference} {term_label(season, year)}" if season and year else reference
        if child is None or season is None or year is None:
            return
        child_id, birth, allocated, child_index = child
        if not self._first_seen(child_index, (year, season), row, season, year):
            return
        term = self.terms.get((year, season))
        if term is None:
            if year > self.academic_year + 1:
                self.error(
                    row, "academic_year" if row.values.get("academic_year") else "term", "a term more than a year ahead"
                )
                return
            term = self.new_terms.setdefault((year, season), New("term", (year, season)))
        row.extra["child_id"], row.extra["term"] = child_id, term

        # The year group that term: given, else from the date of birth; the phase: given,
        # else from the year group.
        phase = v.get("phase") if self.ok(row, "phase") else None
        year_group = v.get("year_group") if self.ok(row, "year_group") else None
        if year_group is None:
            try:
                year_group = rules.year_group_for(birth, year)
            except rules.Invalid as exc:
                if not phase:
                    self.error(
                        row,
                        "year_group" if "year_group" in self.present else "la_reference",
                        f"{exc.message} (born {rules.shown(birth)})",
                    )
                    return
        if not phase:
            assert year_group is not None  # derived above, or the row returned
            phase = Phase.for_year_group(year_group)
        row.extra["new_only"] = {
            "year_group": year_group,
            "phase": phase,
            "officer_id": allocated,
            "status": PepStatus.DRAFT,
        }
        if "year_group" in self.present:
            target["year_group"] = year_group
        if "phase" in self.present:
            target["phase"] = phase
        if self.ok(row, "officer"):
            ref = v["officer"]
            try:
                target["officer_id"] = self.staff.officer(ref) if ref else None
            except rules.Invalid as exc:
                self.error(row, "officer", exc.message)
        if self.ok(row, "status") and v["status"]:
            target["status"] = v["status"]
        for name in TEXTS:
            if self.ok(row, name):
                target[name] = v[name]
        if target.get("date_completed", "") is None:
            del target["date_completed"]  # a blank never clears the date a PEP was completed
        meeting, following = target.get("meeting_date"), target.get("next_meeting_date")
        if meeting and following and following < meeting:
            self.error(row, "next_meeting_date", "the next meeting is before this meeting")
        completed = target.get("date_completed")
        if completed and completed > self.today:
            self.error(row, "date_completed", "the date completed is in the future")
        if "attendees" in self.present and "attendees" not in row.invalid:
            attended = rules.parse_attendees(v["attendees"])
            for who, name in ATTENDED.items():
                if name not in self.present:
                    target[name] = who in attended
        for name in (*ATTENDED.values(), "sw_section_updated"):
            if self.ok(row, name):
                target[name] = v[name]
        self._check_pp_plus(row)

    def _first_seen(self, child_index, term_key, row, season, year) -> bool:
        if term_key not in self.term_slots:
            self.term_slots[term_key] = len(self.term_slots)
            self.seen.extend(array("I", bytes(self.seen.itemsize * len(self.children))))
        slot = self.term_slots[term_key] * len(self.children) + child_index
        if self.seen[slot]:
            self.error(
                row,
                "la_reference",
                f"the same child's {term_label(season, year)} PEP is on row "
                f"{self.seen[slot]} too: a file gives each once",
            )
            return False
        self.seen[slot] = row.number
        return True

    def _term_of(self, row):
        v = row.values
        season = year = None
        if "term" in row.invalid:
            return None, None
        raw = v.get("term") or ""
        if not raw:
            self.error(row, "term", "the term is blank")
            return None, None
        try:
            if any(ch.isdigit() for ch in raw):
                season, year = rules.parse_term(raw) or (None, None)
            else:
                season = rules.parse_season(raw)
        except rules.Invalid as exc:
            self.error(row, "term", exc.message)
            return None, None
        if "academic_year" in self.present and "academic_year" not in row.invalid and v.get("academic_year"):
            if season is not None and year is not None and year != v["academic_year"]:
                self.error(row, "academic_year", f"the term says {term_label(season, year)}")
                return None, None
            year = v["academic_year"]
        elif "academic_year" in row.invalid:
            return None, None
        if year is None:
            self.error(
                row,
                "academic_year" if "academic_year" in self.present else "term",
                "the academic year is not given (add an Academic year column, or write the term as 'Autumn 2025/26')",
            )
        return season, year

    def _check_pp_plus(self, row):
        v, target = row.values, row.target
        amount = v.get("pp_plus_amount") if self.ok(row, "pp_plus_amount") else None
        if self.ok(row, "pp_plus_amount"):
            target["pp_plus_amount"] = amount
        if self.ok(row, "pp_plus_requested"):
            target["pp_plus_requested"] = v["pp_plus_requested"]
            if amount and not v["pp_plus_requested"]:
                self.error(row, "pp_plus_amount", "an amount is given but PP+ is not requested")
        elif self.ok(row, "pp_plus_amount"):
            target["pp_plus_requested"] = bool(amount)

    def resolve(self, rows):
        by_term = defaultdict(list)
        for row in rows:
            term = row.extra["term"]
            if not isinstance(term, New):
                by_term[term.pk].append(row.extra["child_id"])
        existing = {}
        if by_term:
            query = Q()
            for term_id, child_ids in by_term.items():
                query |= Q(term_id=term_id, child_id__in=child_ids)
            # Plain values of the columns the file has (model instances cost seconds a file).
            wanted = {"id", "child_id", "term_id", "status", "date_completed"} | {n for row in rows for n in row.target}
            existing = {(p["child_id"], p["term_id"]): p for p in Pep.objects.filter(query).values(*sorted(wanted))}
        labels = {
            "officer_id": self.staff.label,
            "status": lambda s: PepStatus(s).label if s else "",
            "phase": lambda p: Phase(p).label if p else "",
            "year_group": lambda y: "" if y is None else str(y),
        }
        for row in rows:
            term = row.extra["term"]
            pep = None if isinstance(term, New) else existing.get((row.extra["child_id"], term.pk))
            if pep is not None and "status" in row.target:
                # Only a draft moves on (to submitted for QA); the QA statuses here are not
                # the ePEP's to change.
                if not (pep["status"] == PepStatus.DRAFT and row.target["status"] == PepStatus.SUBMITTED):
                    del row.target["status"]
            if pep is None:
                for name, value in row.extra["new_only"].items():
                    row.target.setdefault(name, value)
            submitting = row.target.get("status") == PepStatus.SUBMITTED
            if submitting and not row.target.get("date_completed") and not (pep and pep["date_completed"]):
                # As on the PEP's page: submitted now, completed now; but a past term's PEP
                # with no date in the export keeps none (not "late" by years).
                if self._is_open(term):
                    row.target["date_completed"] = self.today
            self.diff(row, pep, labels)

    def _is_open(self, term) -> bool:
        if isinstance(term, New):
            start, end, _deadline = rules.default_term_dates(*term.key)
        else:
            start, end = term.start_date, term.end_date
        return start <= self.today <= end

    def _term(self, term):
        if isinstance(term, New):
            year, season = term.key
            if (year, season) not in self.terms:
                start, end, deadline = rules.default_term_dates(year, season)
                self.terms[(year, season)] = Term.objects.create(
                    academic_year=year, season=season, start_date=start, end_date=end, pep_deadline=deadline
                )
            return self.terms[(year, season)]
        return term

    def write(self, rows):
        new, changed, submit = [], [], []
        for row in rows:
            term = self._term(row.extra["term"])
            self.affected_terms.add(term.pk)
            fields = dict(row.target)
            status = fields.pop("status", None)
            if row.action == RowAction.NEW:
                pep = Pep(child_id=row.extra["child_id"], term=term, status=status or PepStatus.DRAFT, **fields)
                new.append(pep)
            else:
                changed.append(row)
                if status == PepStatus.SUBMITTED:
                    submit.append(Pep(id=row.instance["id"], term_id=row.instance["term_id"]))
        Pep.objects.bulk_create(new, batch_size=1000)
        self._update(changed)
        _announce(Pep, new, changed, key=lambda row: row.instance["id"], skip={"status"})
        if submit:
            submit_peps(submit, self.user, self.note)
        # A new PEP complete in the ePEP is created submitted; its history says so.
        record_arrival_submitted([pep for pep in new if pep.status == PepStatus.SUBMITTED], self.user, self.note)

    def _update(self, rows):
        """The changed PEPs, in one bulk update of the fields any of them changed (each PEP
        carries its current value of the fields it did not change)."""
        fields = sorted({name for row in rows for name in row.changes if name != "status"})
        if not fields:
            return
        now = timezone.now()
        peps = []
        for row in rows:
            values = {name: row.target[name] if name in row.changes else row.instance[name] for name in fields}
            peps.append(Pep(id=row.instance["id"], updated_at=now, **values))
        Pep.objects.bulk_update(peps, [*fields, "updated_at"], batch_size=500)

    def finish(self):
        if self.new_terms and not self.apply:
            labels = ", ".join(term_label(season, year) for year, season in sorted(self.new_terms))
            self.notes.append(f"Terms to be added: {labels} (the usual dates; correct them in the admin if need be).")


# --- staff --------------------------------------------------------------------------

STAFF_FIELDS = ("first_name", "last_name", "email", "role", "job_title", "line_manager_id", "start_date")
LINE_MANAGER_ROLES = (Role.MANAGER, Role.VSH)


class StaffImporter(Importer):
    """Staff files are small (a Virtual School has tens of staff): the rows are read
    first (at most 5,000), so that a line manager may be anyone in the same file.

    New staff get no password: they set one with "Forgotten your password?" (or sign in
    through the council's single sign-on). Access to the Django admin is not imported."""

    kind = ImportKind.STAFF
    shown_fields = (*STAFF_FIELDS, "lead_area_ids")

    def run_rows(self, rows):
        self.prepare()
        parsed: list[Row] = []
        for number, cells in rows:
            if len(parsed) >= MAX_STAFF_ROWS:
                raise FileRefused(f"A staff file of more than {MAX_STAFF_ROWS:,} rows: is it the right file?")
            parsed.append(self.parse(number, cells))
        # Everyone the file names, by username and by e-mail, with the role it gives them.
        self.file_roles: dict[str, str | None] = {}
        for row in parsed:
            role = row.values.get("role") if self.ok(row, "role") else None
            for name in ("username", "email"):
                if self.ok(row, name) and row.values.get(name):
                    self.file_roles.setdefault(row.values[name].lower(), role)
        for row in parsed:
            self.check(row)
        for start in range(0, len(parsed), CHUNK):
            self._process(parsed[start : start + CHUNK])
        self.finish()
        self._flush()

    def prepare(self):
        self.staff = StaffDirectory.load()
        self.areas = {}
        for pk, code, name in LeadArea.objects.values_list("pk", "code", "name"):
            self.areas[code.lower()] = pk
            self.areas[name.lower()] = pk
        self.area_codes = dict(LeadArea.objects.values_list("pk", "code"))
        self.current_areas = defaultdict(set)
        for user_id, area_id in User.lead_areas.through.objects.values_list("user_id", "leadarea_id"):
            self.current_areas[user_id].add(area_id)
        self.seen: dict = {}
        self.line_managers: list = []  # (user, manager id or New), set once everyone exists
        self.created: dict = {}  # lower username and e-mail -> new User

    def check(self, row):
        v, target = row.values, row.target
        username = (v.get("username") or "") if self.ok(row, "username") else ""
        email = (v.get("email") or "") if self.ok(row, "email") else ""
        key_field = "username" if username else "email"
        if not (username or email):
            if not (row.invalid & {"username", "email"}):
                self.error(
                    row,
                    "username" if "username" in self.present else "email",
                    "a member of staff needs a username or an e-mail",
                )
            return
        if not self.first_seen(self.seen, (username or email).lower(), row, key_field, "the same person"):
            return
        row.key = username or email
        try:
            user = self.staff.find(row.key)
        except rules.Invalid as exc:
            self.error(row, key_field, exc.message)
            return
        others = [u for u in self.staff.by_email.get(email, []) if user is None or u["pk"] != user["pk"]]
        if email and others:
            if user is None and username:
                self.error(
                    row, "username", f"the e-mail is {others[0]['username']}'s: a username does not change by import"
                )
            else:
                self.error(row, "email", "another member of staff has this e-mail")
            return
        row.extra["user"] = user
        names = self.name_parts(row, "a member of staff")
        if names:
            target["first_name"], target["last_name"] = names
        if email:
            target["email"] = email
        if self.ok(row, "role") and v["role"]:
            target["role"] = v["role"]
        for name in ("job_title", "start_date"):
            if self.ok(row, name):
                target[name] = v[name]
        if user is None:
            missing = [what for name, what in (("first_name", "a name"), ("role", "a role")) if name not in target]
            if missing and not row.errors:
                self.error(row, key_field, f"a new member of staff needs {' and '.join(missing)}")
        if self.ok(row, "line_manager"):
            self._check_line_manager(row, {username.lower(), email.lower()} - {""}, v["line_manager"] or "")
        if self.ok(row, "lead_areas"):
            self._check_lead_areas(row, v["lead_areas"] or "")

    def _check_line_manager(self, row, own_keys, ref):
        if not ref:
            row.target["line_manager_id"] = None
            return
        if ref.lower() in own_keys:
            self.error(row, "line_manager", "a person is not their own line manager")
            return
        try:
            manager = self.staff.find(ref)
        except rules.Invalid as exc:
            self.error(row, "line_manager", exc.message)
            return
        in_file = ref.lower() in self.file_roles
        if manager is None and not in_file:
            self.error(row, "line_manager", "no member of staff here or in the file has this username or e-mail")
            return
        role = (self.file_roles.get(ref.lower()) if in_file else None) or (manager["role"] if manager else None)
        if role not in LINE_MANAGER_ROLES:
            self.error(
                row,
                "line_manager",
                f"{_person(manager) if manager else ref} is not a manager or the VSH: a line manager is one of them",
            )
            return
        row.target["line_manager_id"] = manager["pk"] if manager else New("user", ref.lower())

    def _check_lead_areas(self, row, value):
        areas = set()
        for part in value.replace(",", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            if part.lower() not in self.areas:
                codes = ", ".join(sorted(self.area_codes.values()))
                self.error(row, "lead_areas", f"no lead area '{part}': use {codes}")
                return
            areas.add(self.areas[part.lower()])
        row.target["lead_area_ids"] = frozenset(areas)

    def resolve(self, rows):
        users = {
            u.pk: u for u in User.objects.filter(pk__in=[r.extra["user"]["pk"] for r in rows if r.extra.get("user")])
        }
        labels = {
            "line_manager_id": lambda pk: str(pk) if isinstance(pk, New) else self.staff.label(pk),
            "role": lambda role: Role(role).label if role else "",
            "lead_area_ids": lambda ids: "; ".join(sorted(self.area_codes.get(i, "") for i in ids or ())),
        }
        for row in rows:
            user = users.get(row.extra["user"]["pk"]) if row.extra.get("user") else None
            if user is None:
                self.diff(row, None, labels)
                continue
            # Compared as plain values, the lead areas as any other field; written to the user.
            values = {name: getattr(user, name) for name in STAFF_FIELDS}
            values["lead_area_ids"] = frozenset(self.current_areas.get(user.pk, ()))
            self.diff(row, values, labels)
            row.instance = user

    def write(self, rows):
        new = [
            (
                row,
                User(
                    username=row.key,
                    password=make_password(None),
                    **{k: v for k, v in row.target.items() if k in STAFF_FIELDS and k != "line_manager_id"},
                ),
            )
            for row in rows
            if row.action == RowAction.NEW
        ]
        User.objects.bulk_create([user for _, user in new])
        for _, user in new:
            self.created[user.username.lower()] = user
            if user.email:
                self.created.setdefault(user.email.lower(), user)
        through = User.lead_areas.through
        changed, changed_fields = [], set()
        for row in rows:
            is_new = row.action == RowAction.NEW
            user = self.created[row.key.lower()] if is_new else row.instance
            simple = [] if is_new else [n for n in row.changes if n in STAFF_FIELDS and n != "line_manager_id"]
            for name in simple:
                setattr(user, name, row.target[name])
            if simple:
                changed_fields.update(simple)
                changed.append(user)
            if "line_manager_id" in row.target and (is_new or "line_manager_id" in row.changes):
                self.line_managers.append((user, row.target["line_manager_id"]))
            if "lead_area_ids" in row.target and (is_new or "lead_area_ids" in row.changes):
                through.objects.filter(user_id=user.pk).delete()
                through.objects.bulk_create(
                    [through(user_id=user.pk, leadarea_id=pk) for pk in row.target["lead_area_ids"]]
                )
        if changed:
            User.objects.bulk_update(changed, sorted(changed_fields))
        _announce(User, [user for _, user in new], rows)

    def finish(self):
        if not (self.apply and self.line_managers):
            return
        for user, manager in self.line_managers:
            user.line_manager_id = self.created[manager.key].pk if isinstance(manager, New) else manager
        User.objects.bulk_update([user for user, _ in self.line_managers], ["line_manager_id"])
        bulk_written.send(
            sender=User,
            updated=[(user.pk, {"line_manager": ["", user.line_manager_id]}) for user, _ in self.line_managers],
        )


def _announce(model, created, rows, key=lambda row: row.instance.pk, skip=frozenset()) -> None:
    """The records an import wrote in bulk, for the audit trail: those created, and each
    changed one with its changes (before and after, as the preview showed them). A status
    in ``skip`` is announced by what writes it (submit_peps)."""
    updated = [
        (key(row), {name: change for name, change in row.changes.items() if name not in skip})
        for row in rows
        if row.action == RowAction.CHANGED and row.changes
    ]
    bulk_written.send(sender=model, created=created, updated=updated)


IMPORTERS = {ImportKind.STAFF: StaffImporter, ImportKind.CHILDREN: ChildrenImporter, ImportKind.PEPS: PepsImporter}
