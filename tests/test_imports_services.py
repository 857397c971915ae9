"""imports.services: preview (nothing written), the mapping step, apply (all or nothing),
idempotence, updates through the services (status history, samples topped up), the
errors a person reads, and the nightly drop."""

import csv
import io
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import LeadArea, User
from core.vocabulary import Phase, Role, Season
from imports import drop, importers, rules, selectors, services
from imports.models import ImportKind, ImportRowChange, ImportRun, ImportSource, ImportStatus
from imports.tasks import import_dropped_files
from peps.models import Child, Pep, PepStatus, PepStatusChange, School, SocialWorker, Term
from peps.signals import pep_submitted
from sampling.models import SampleEntry

from .factories import ChildFactory, PepFactory, SchoolFactory, SocialWorkerFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db

CHILD_HEADINGS = ["LA reference", "UPN", "First name", "Last name", "Date of birth", "School URN", "Allocated officer"]
PEP_HEADINGS = [
    "Child LA reference",
    "Term",
    "Academic year",
    "ePEP status",
    "Meeting date",
    "SW attended",
    "PP+ amount",
    "ePEP link",
]
UPN = "B801200005001"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def school(db):
    return SchoolFactory(urn="100001", name="Brookside Primary")


def csv_bytes(headings, rows, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headings)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def upload(data: bytes, name="export.csv") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def child_row(ref="C-1", upn=UPN, first="Ann", last="Lee", dob="01/02/2015", urn="100001", officer="officer"):
    return [ref, upn, first, last, dob, urn, officer]


def preview_children(rows, vsh, headings=CHILD_HEADINGS, source="Mosaic", **options):
    return services.preview_import("children", upload(csv_bytes(headings, rows)), source=source, user=vsh, **options)


def this_academic_year() -> int:
    return rules.academic_year_of(timezone.localdate())


def errors_of(run) -> list[str]:
    return [str(error) for error in run.row_errors.all()]


# --- children ---------------------------------------------------------------------------


def test_a_preview_counts_and_writes_nothing(vsh, officer, school):
    born = date(2014, 9, 5)
    ChildFactory(
        la_reference="C-2",
        first_name="Bo",
        last_name="Ng",
        allocated_officer=officer,
        school=school,
        upn="",
        date_of_birth=born,
        year_group=rules.year_group_for(born, this_academic_year()),
    )
    children_before = Child.objects.count()
    run = preview_children([child_row(), child_row(ref="C-2", upn="", first="Bo", last="Ng", dob="05/09/2014")], vsh)
    assert run.status == ImportStatus.PREVIEWED and run.can_apply
    assert (run.rows, run.new, run.changed, run.unchanged, run.errors) == (2, 1, 0, 1, 0)
    assert Child.objects.count() == children_before
    assert run.file_name == "export.csv" and len(run.sha256) == 64 and run.file.name.startswith("imports/")
    assert run.uploaded_by == vsh and run.source.name == "Mosaic"
    assert list(run.row_changes.values_list("row", "key", "action")) == [(2, "C-1", "new")]


def test_apply_creates_the_children_and_the_same_file_again_changes_nothing(vsh, officer, school):
    rows = [child_row(), child_row(ref="C-2", upn="UN2", first="Bo", last="Ng", dob="05/09/2014", urn="")]
    run = services.apply_import(preview_children(rows, vsh), vsh)
    assert run.status == ImportStatus.APPLIED and run.applied_by == vsh and run.applied_at
    ann = Child.objects.get(la_reference="C-1")
    assert (ann.first_name, ann.upn, ann.date_of_birth, ann.school, ann.allocated_officer) == (
        "Ann",
        UPN,
        date(2015, 2, 1),
        school,
        officer,
    )
    # From the date of birth: the file has no year group.
    assert ann.year_group == rules.year_group_for(date(2015, 2, 1), this_academic_year())
    assert Child.objects.get(la_reference="C-2").school is None

    again = preview_children(rows, vsh)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 2)
    services.apply_import(again, vsh)
    assert not ImportRowChange.objects.filter(run=again).exists()


def test_a_later_export_updates_what_changed(vsh, officer, school):
    services.apply_import(preview_children([child_row()], vsh), vsh)
    other = UserFactory(role=Role.OFFICER, username="officer2")
    run = preview_children([child_row(officer="officer2")], vsh)
    assert (run.new, run.changed, run.unchanged) == (0, 1, 0)
    change = run.row_changes.get()
    assert change.fields == {"allocated_officer_id": ["officer", "officer2"]}
    assert services.change_lines(run.kind, change) == [("Allocated officer", "officer", "officer2")]
    services.apply_import(run, vsh)
    assert Child.objects.get(la_reference="C-1").allocated_officer == other


def test_social_workers_and_designated_teachers_are_found_or_added(vsh, officer, school):
    known = SocialWorkerFactory(email="known@sc.example.org")
    headings = [*CHILD_HEADINGS, "SW name", "SW e-mail", "SW team", "DT name", "DT e-mail"]
    rows = [
        child_row() + ["Known", "KNOWN@sc.example.org", "", "Claire Donovan", "c.donovan@school.example.org"],
        child_row(ref="C-2")
        + ["Hannah Price", "hannah@sc.example.org", "Team 1", "Claire Donovan", "c.donovan@school.example.org"],
        child_row(ref="C-3") + ["Hannah Price", "hannah@sc.example.org", "Team 1", "", ""],
    ]
    run = preview_children(rows, vsh, headings=headings)
    assert run.errors == 0, errors_of(run)
    assert "To be added with the children: 1 social worker, 1 social care team, 1 designated teacher." in run.notes
    assert not SocialWorker.objects.filter(email="hannah@sc.example.org").exists()
    services.apply_import(run, vsh)
    hannah = SocialWorker.objects.get(email="hannah@sc.example.org")
    assert hannah.team.name == "Team 1"
    children = {c.la_reference: c for c in Child.objects.select_related("designated_teacher")}
    assert children["C-1"].social_worker == known and children["C-2"].social_worker == hannah
    assert children["C-1"].designated_teacher == children["C-2"].designated_teacher
    assert children["C-1"].designated_teacher.school == school and children["C-3"].designated_teacher is None
    assert (preview_children(rows, vsh, headings=headings).unchanged) == 3


def test_each_bad_row_says_where_and_why(vsh, officer, school):
    manager = User.objects.get(username="manager")
    future = (timezone.localdate() + timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [
        child_row(ref="C-1", officer="j.bloggs"),
        child_row(ref="C-2", urn="999999"),
        child_row(ref="C-3", dob=future),
        child_row(ref="C-4", upn="A801200005001"),
        child_row(ref="C-5", dob="31/02/2014"),
        child_row(ref="C-6", dob="14/3/14"),
        child_row(ref="C-1"),
        child_row(ref="C-7", officer=manager.username),
        child_row(ref="", first=""),
        child_row(ref="C-8"),
    ]
    run = preview_children(rows, vsh)
    assert (run.rows, run.errors, run.new) == (10, 9, 1) and not run.can_apply
    assert errors_of(run) == [
        "Row 2, Allocated officer 'j.bloggs': no member of staff here has this username, e-mail or name "
        "(import the staff first)",
        "Row 3, School URN '999999': no school or setting here has this URN: add it first (admin, Schools)",
        f"Row 4, Date of birth '{future}': the date of birth is in the future",
        "Row 5, UPN 'A801200005001': the check letter does not match",
        "Row 6, Date of birth '31/02/2014': there is no such date: write it as dd/mm/yyyy (e.g. 01/09/2025) "
        "or yyyy-mm-dd",
        "Row 7, Date of birth '14/3/14': the year has two digits: write it in full, as dd/mm/yyyy (e.g. 01/09/2025)",
        "Row 8, LA reference 'C-1': the same child is on row 2 too: a file gives each once",
        f"Row 9, Allocated officer '{manager.username}': {manager.get_full_name()} is a VS manager, not an officer: "
        "caseloads are held by officers",
        "Row 10, LA reference: the LA reference is blank",
        "Row 10, First name: a child needs a first and a last name",
    ]
    error = run.row_errors.first()
    assert (error.row, error.column, error.value) == (2, "Allocated officer", "j.bloggs")
    with pytest.raises(services.ImportNotApplicable):
        services.apply_import(run, vsh)
    assert not Child.objects.filter(la_reference="C-8").exists()


def test_the_errors_download_as_csv(vsh, officer, school):
    run = preview_children([child_row(officer="=HYPERLINK(1)")], vsh)
    rows = list(csv.reader(io.StringIO(services.errors_csv(run))))
    assert rows[0] == ["Row", "Column", "Value", "Error"]
    assert rows[1][:3] == ["2", "Allocated officer", "'=HYPERLINK(1)"]  # never a formula in Excel
    assert services.error_file_name(run) == "export-errors.csv"


def test_ssda903_headings_windows_1252_and_semicolons(vsh, officer, school):
    headings = ["CHILD", "UPN", "Forename", "Surname", "DOB", "URN", "VS officer", "SEN", "EHCP", "DECOM"]
    rows = [["C-1", "UN1", "Zoë", "Lee", "2015-02-01", "100001", "officer", "K", "N", "45000"]]
    data = csv_bytes(headings, rows, delimiter=";", encoding="cp1252")
    run = services.preview_import("children", upload(data), source="LCS", user=vsh)
    assert run.status == ImportStatus.PREVIEWED and run.errors == 0, (run.message, errors_of(run))
    assert run.notes == ["Read as Windows-1252 text (not UTF-8).", "Columns separated by semicolons."]
    services.apply_import(run, vsh)
    child = Child.objects.get()
    assert (child.first_name, child.has_send, child.has_ehcp, child.entered_care_on) == (
        "Zoë",
        True,
        False,
        date(2023, 3, 15),
    )  # an Excel serial date in a CSV


def test_an_xlsx_export(vsh, officer, school):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Children"
    sheet.append(CHILD_HEADINGS)
    sheet.append(["C-1", UPN, "Ann", "Lee", date(2015, 2, 1), 100001, "officer"])
    sheet.append(["C-2", "", "Bo", "Ng", 41957, 100001, "officer"])  # a date as a serial number
    data = io.BytesIO()
    workbook.save(data)
    run = services.preview_import("children", upload(data.getvalue(), "export.xlsx"), source="Mosaic", user=vsh)
    assert (run.status, run.new, run.errors) == (ImportStatus.PREVIEWED, 2, 0), errors_of(run)
    services.apply_import(run, vsh)
    assert Child.objects.get(la_reference="C-2").date_of_birth == date(2014, 11, 14)


def test_an_xlsx_with_several_sheets_is_refused(vsh):
    workbook = openpyxl.Workbook()
    workbook.active.append(CHILD_HEADINGS)
    workbook.create_sheet("Other").append(["x"])
    data = io.BytesIO()
    workbook.save(data)
    run = services.preview_import("children", upload(data.getvalue(), "export.xlsx"), source="Mosaic", user=vsh)
    assert run.status == ImportStatus.REFUSED and "2 sheets with data ('Sheet', 'Other')" in run.message
    assert not run.can_apply


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "The file is empty."),
        (b"%PDF-1.4 not a spreadsheet", "a PDF"),
        (bytes(range(256)) * 10, "not a spreadsheet"),
        (csv_bytes(CHILD_HEADINGS, []), "headings but no rows"),
        (
            csv_bytes(["CHILD", "DOB", "DOB", "Forename", "Surname"], [["C-1", "", "", "", ""]]),
            "The heading 'DOB' is on columns B and C: keep one of them.",
        ),
    ],
)
def test_bad_files_are_refused_and_write_nothing(vsh, data, words):
    run = services.preview_import("children", upload(data), source="Mosaic", user=vsh)
    assert run.status == ImportStatus.REFUSED and words in run.message
    assert not run.row_errors.exists() and not Child.objects.exists()
    with pytest.raises(services.ImportNotApplicable):
        services.apply_import(run, vsh)


def test_a_file_over_the_limit_is_refused_and_not_stored(vsh, settings):
    settings.IMPORT_MAX_BYTES = 100
    run = services.preview_import(
        "children", upload(csv_bytes(CHILD_HEADINGS, [child_row()] * 5)), source="Mosaic", user=vsh
    )
    assert run.status == ImportStatus.REFUSED and run.message.startswith("The file is")
    assert not run.file and run.size > 100


def test_only_the_vsh_and_administrators_import(officer, manager, administrator, vsh):
    for user in (officer, manager):
        with pytest.raises(PermissionDenied):
            services.preview_import("children", upload(b"x"), source="Mosaic", user=user)
    for user in (administrator, vsh):
        assert services.preview_import("children", upload(b""), source="Mosaic", user=user).pk


# --- the mapping step ---------------------------------------------------------------------


def test_other_headings_need_a_mapping_kept_for_the_source(vsh, officer, school):
    headings = ["Client Ref", "Given", "Family", "Born", "School URN"]
    rows = [["C-1", "Ann", "Lee", "01/02/2015", "100001"]]
    run = preview_children(rows, vsh, headings=headings)
    assert run.status == ImportStatus.NEEDS_MAPPING
    request = services.mapping_request(run)
    assert request.missing == ["LA reference", "First name and Last name, or Name", "Date of birth"]
    assert request.unknown == ["Client Ref", "Given", "Family", "Born"]
    assert request.mapping["School URN"] == "school_urn"
    assert {f.name for f in request.fields if f.required} >= {"la_reference", "date_of_birth"}
    assert "The file has no column for: LA reference; First name and Last name, or Name; Date of birth." in run.message

    mapping = {"Client Ref": "la_reference", "Given": "first_name", "Family": "last_name", "Born": "date_of_birth"}
    run = services.preview_again(run, user=vsh, mapping=mapping)
    assert (run.status, run.new) == (ImportStatus.PREVIEWED, 1)
    source = ImportSource.objects.get(name="Mosaic", kind=ImportKind.CHILDREN)
    assert source.mapping == {
        "clientref": "la_reference",
        "given": "first_name",
        "family": "last_name",
        "born": "date_of_birth",
    }
    # The next export from the same system needs no mapping.
    assert preview_children(rows, vsh, headings=headings).status == ImportStatus.PREVIEWED
    # Another system's does.
    assert preview_children(rows, vsh, headings=headings, source="Eclipse").status == ImportStatus.NEEDS_MAPPING


def test_two_columns_for_one_field_need_a_choice(vsh, officer, school):
    headings = ["CHILD", "Forename", "Surname", "DOB", "Date of birth"]
    run = preview_children([["C-1", "Ann", "Lee", "01/02/2015", "01/02/2015"]], vsh, headings=headings)
    assert run.status == ImportStatus.NEEDS_MAPPING
    assert "The columns 'DOB' (D) and 'Date of birth' (E) are both the date of birth" in run.message
    run = services.preview_again(run, user=vsh, mapping={"Date of birth": ""})
    assert run.status == ImportStatus.PREVIEWED and run.ignored_headings == ["Date of birth"]
    assert "Columns not imported: 'Date of birth'." in run.notes


def test_columns_not_in_the_template_are_listed_not_imported(vsh, officer, school):
    run = preview_children([child_row() + ["White British"]], vsh, headings=[*CHILD_HEADINGS, "Ethnicity"])
    assert run.status == ImportStatus.PREVIEWED and run.ignored_headings == ["Ethnicity"]
    assert services.mapping_request(run).unknown == ["Ethnicity"]


def test_resolve_columns_prefers_the_given_then_the_saved_then_the_template():
    resolution = services.resolve_columns(
        "children", ["CHILD", "Ref", "Name", "Forename", "Surname"], saved={"ref": "upn"}, given={"child": ""}
    )
    assert resolution.column_fields == {1: "upn", 3: "first_name", 4: "last_name"}
    assert resolution.unknown == ["CHILD"]
    assert "The column 'Name' is not imported: the first and last names are." in resolution.notes
    with pytest.raises(ValueError):
        services.resolve_columns("children", ["CHILD"], given={"CHILD": "nonsense"})


# --- apply: all or nothing, once ------------------------------------------------------------


def test_an_error_on_the_last_row_at_apply_writes_nothing(vsh, officer, school, monkeypatch):
    monkeypatch.setattr(importers, "CHUNK", 2)  # three chunks: the first two are written first
    other = SchoolFactory(urn="100002")
    rows = [child_row(ref=f"C-{n}") for n in range(4)] + [child_row(ref="C-9", urn="100002")]
    run = preview_children(rows, vsh)
    assert run.can_apply
    other.delete()  # the database changed since the preview
    run = services.apply_import(run, vsh)
    assert run.status == ImportStatus.FAILED
    assert run.message == (
        "Row 6, School URN '100002': no school or setting here has this URN: add it first "
        "(admin, Schools). Nothing was imported."
    )
    assert not Child.objects.exists()
    assert run.row_changes.count() == 5  # as previewed


def test_a_database_failure_mid_apply_writes_nothing(vsh, officer, school, monkeypatch):
    monkeypatch.setattr(importers, "CHUNK", 2)
    writes = []
    original = importers.ChildrenImporter.write

    def failing_write(self, rows):
        writes.append(len(rows))
        if len(writes) == 3:
            raise IntegrityError("forced")
        original(self, rows)

    monkeypatch.setattr(importers.ChildrenImporter, "write", failing_write)
    run = services.apply_import(preview_children([child_row(ref=f"C-{n}") for n in range(5)], vsh), vsh)
    assert writes == [2, 2, 1]
    assert run.status == ImportStatus.FAILED and "nothing was imported" in run.message
    assert not Child.objects.exists()


def test_a_double_click_applies_once(vsh, officer, school):
    run = preview_children([child_row()], vsh)
    first = services.apply_import(run, vsh)
    second = services.apply_import(run, vsh)  # the same, stale, object
    assert first.status == second.status == ImportStatus.APPLIED and first.applied_at == second.applied_at
    assert Child.objects.count() == 1


def test_a_stored_file_that_changed_is_not_applied(vsh, officer, school):
    run = preview_children([child_row()], vsh)
    with open(run.file.path, "ab") as stored:
        stored.write(b"C-2,,Bo,Ng,01/02/2015,100001,officer\n")
    run = services.apply_import(run, vsh)
    assert run.status == ImportStatus.FAILED and "changed since the preview" in run.message
    assert not Child.objects.exists()


def test_applying_one_preview_supersedes_the_others(vsh, officer, school):
    older = preview_children([child_row()], vsh)
    newer = preview_children([child_row(ref="C-2")], vsh)
    services.apply_import(newer, vsh)
    older.refresh_from_db()
    assert older.status == ImportStatus.SUPERSEDED
    with pytest.raises(services.ImportNotApplicable, match="superseded"):
        services.apply_import(older, vsh)
    older = services.preview_again(older, user=vsh)
    assert older.status == ImportStatus.PREVIEWED and older.new == 1
    assert services.apply_import(older, vsh).status == ImportStatus.APPLIED


# --- PEPs ----------------------------------------------------------------------------------


@pytest.fixture
def open_term(db):
    today = timezone.localdate()
    return TermFactory(
        academic_year=2090,
        season=Season.AUTUMN,
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=60),
        pep_deadline=today + timedelta(days=10),
    )


def pep_row(
    ref,
    status="Complete",
    term="Autumn",
    year="2090/91",
    met="01/10/2090",
    amount="£600.00",
    link="https://epep.example.com/pep/1",
):
    return [ref, term, year, status, met, "Yes", amount, link]


def preview_peps(rows, user, headings=PEP_HEADINGS):
    return services.preview_import("peps", upload(csv_bytes(headings, rows)), source="ePEP", user=user)


def test_peps_are_created_with_their_phase_and_a_status_change_when_complete(vsh, officer, open_term):
    born = date(2085, 10, 1)  # Reception (Year 0) in 2090/91
    ChildFactory(la_reference="C-1", date_of_birth=born, allocated_officer=officer)
    ChildFactory(la_reference="C-2", date_of_birth=date(2080, 3, 1), allocated_officer=officer)
    run = preview_peps([pep_row("C-1"), pep_row("C-2", status="In progress", amount="")], vsh)
    assert (run.new, run.errors) == (2, 0), errors_of(run)
    assert not Pep.objects.exists()
    services.apply_import(run, vsh)
    peps = {p.child.la_reference: p for p in Pep.objects.select_related("child")}
    first = peps["C-1"]
    assert (first.term, first.officer, first.status, first.phase, first.year_group) == (
        open_term,
        officer,
        PepStatus.SUBMITTED,
        Phase.EYFS,
        0,
    )
    assert (first.meeting_date, first.sw_attended, first.pp_plus_requested, first.pp_plus_amount) == (
        date(2090, 10, 1),
        True,
        True,
        600,
    )
    assert first.epep_url == "https://epep.example.com/pep/1"
    change = first.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == (PepStatus.DRAFT, PepStatus.SUBMITTED, vsh)
    assert "ePEP" in change.note and f"import #{run.pk}" in change.note
    assert peps["C-2"].status == PepStatus.DRAFT and peps["C-2"].phase == Phase.SSA
    assert not peps["C-2"].status_changes.exists() and not peps["C-2"].pp_plus_requested


def test_the_same_pep_file_again_changes_nothing_and_records_no_history(vsh, officer, open_term):
    ChildFactory(la_reference="C-1", allocated_officer=officer)
    rows = [pep_row("C-1")]
    services.apply_import(preview_peps(rows, vsh), vsh)
    changes = PepStatusChange.objects.count()
    again = services.apply_import(preview_peps(rows, vsh), vsh)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 1)
    assert PepStatusChange.objects.count() == changes


def test_a_pep_now_submitted_goes_through_the_service_and_tops_up_the_sample(vsh, officer, open_term):
    children = [ChildFactory(la_reference=f"C-{n}", allocated_officer=officer) for n in range(4)]
    for child in children:
        PepFactory(child=child, term=open_term, officer=officer, status=PepStatus.DRAFT)
    entries = SampleEntry.objects.filter(sample__term=open_term).count()
    run = preview_peps([pep_row("C-0", status="In progress"), pep_row("C-1")], vsh)
    assert (run.changed, run.errors) == (2, 0), errors_of(run)
    assert "status" in run.row_changes.get(key="C-1 Autumn 2090/91").fields
    services.apply_import(run, vsh)
    submitted = Pep.objects.get(child__la_reference="C-1")
    assert submitted.status == PepStatus.SUBMITTED
    assert submitted.status_changes.get().changed_by == vsh
    assert Pep.objects.get(child__la_reference="C-0").status == PepStatus.DRAFT
    assert SampleEntry.objects.filter(sample__term=open_term).count() > entries
    assert any(note.startswith("QA samples topped up") for note in ImportRun.objects.get(pk=run.pk).notes)


def test_the_epep_never_moves_a_pep_back_or_out_of_qa(vsh, officer, open_term):
    child = ChildFactory(la_reference="C-1", allocated_officer=officer)
    pep = PepFactory(
        child=child,
        term=open_term,
        status=PepStatus.RETURNED,
        meeting_date=date(2090, 10, 1),
        sw_attended=True,
        pp_plus_requested=True,
        pp_plus_amount=600,
        epep_url="https://epep.example.com/pep/1",
    )
    for status in ("In progress", "Complete"):
        run = preview_peps([pep_row("C-1", status=status)], vsh)
        assert (run.changed, run.unchanged) == (0, 1), list(run.row_changes.values_list("fields", flat=True))
    pep.refresh_from_db()
    assert pep.status == PepStatus.RETURNED


def test_missing_terms_are_added_with_the_usual_dates(vsh, officer):
    ChildFactory(la_reference="C-1", date_of_birth=date(2010, 1, 1), allocated_officer=officer)
    run = preview_peps([pep_row("C-1", term="Spring 2016", year="", met="")], vsh)
    assert "Terms to be added: Spring 2015/16" in run.notes[-1] and not Term.objects.exists()
    services.apply_import(run, vsh)
    term = Term.objects.get()
    assert (term.academic_year, term.season, term.start_date) == (2015, Season.SPRING, date(2016, 1, 1))
    assert Pep.objects.get().year_group == 1  # from the date of birth


def test_pep_errors(vsh, officer, open_term):
    ChildFactory(la_reference="C-1", allocated_officer=officer)
    rows = [
        pep_row("C-9"),
        pep_row("C-1", met="soon"),
        pep_row("C-1"),
        pep_row("C-1", status="With the carer"),
        pep_row("C-1", term="Winter"),
        pep_row("C-1", year="2090/92"),
        pep_row("C-1", term="Spring", year=""),
        pep_row("C-1", term="Spring 2092", year=""),
    ]
    run = preview_peps(rows, vsh)
    assert errors_of(run) == [
        "Row 2, Child LA reference 'C-9': no child here has this LA reference: import the children first",
        "Row 3, Meeting date 'soon': not a date: write it as dd/mm/yyyy (e.g. 01/09/2025) or yyyy-mm-dd",
        "Row 4, Child LA reference 'C-1': the same child's Autumn 2090/91 PEP is on row 3 too: a file gives each once",
        "Row 5, ePEP status 'With the carer': not an ePEP status this import knows: use Draft, In progress, "
        "Submitted or Complete",
        "Row 5, Child LA reference 'C-1': the same child's Autumn 2090/91 PEP is on row 3 too: a file gives each once",
        "Row 6, Term 'Winter': not a term: use Autumn, Spring or Summer",
        "Row 7, Academic year '2090/92': the two years of an academic year follow each other: write it as 2025/26",
        "Row 8, Academic year: the academic year is not given (add an Academic year column, or write the term as "
        "'Autumn 2025/26')",
        "Row 9, Term 'Spring 2092': a term more than a year ahead",
    ]


def test_officer_and_texts_of_a_pep(vsh, officer, open_term):
    other = UserFactory(role=Role.OFFICER, username="officer2", first_name="Aisha", last_name="Rahman")
    ChildFactory(la_reference="C-1", allocated_officer=officer)
    headings = ["LA child ID", "PEP term", "VS officer", "Attendees", "Pupil voice", "Attainment", "Aspirations"]
    run = preview_peps(
        [["C-1", "Autumn 2090/91", "Aisha Rahman", "SW; Child", "I like maths.", "On track.", "To be a vet."]],
        vsh,
        headings=headings,
    )
    assert run.errors == 0, errors_of(run)
    services.apply_import(run, vsh)
    pep = Pep.objects.get()
    assert pep.officer == other and (pep.sw_attended, pep.dt_attended, pep.child_attended) == (True, False, True)
    assert (pep.child_views, pep.attainment_summary, pep.aspirations_summary) == (
        "I like maths.",
        "On track.",
        "To be a vet.",
    )


# --- staff -----------------------------------------------------------------------------------


STAFF_HEADINGS = ["Username", "E-mail", "Name", "Role", "Line manager", "Start date", "Lead areas"]


def test_staff_with_a_line_manager_in_the_same_file(vsh):
    rows = [
        ["sam", "sam@example.org", "Sam Kowalski", "Officer", "priya", "01/09/2024", ""],
        ["priya", "priya@example.org", "Chauhan, Priya", "VS manager", vsh.username, "", ""],
        ["rebecca", "rebecca@example.org", "Rebecca Osei", "Lead practitioner", vsh.username, "", "early-years; SEND"],
    ]
    run = services.preview_import("staff", upload(csv_bytes(STAFF_HEADINGS, rows)), source="HR", user=vsh)
    assert (run.new, run.errors) == (3, 0), errors_of(run)
    services.apply_import(run, vsh)
    sam, priya, rebecca = (User.objects.get(username=name) for name in ("sam", "priya", "rebecca"))
    assert (sam.first_name, sam.role, sam.line_manager, sam.start_date) == (
        "Sam",
        Role.OFFICER,
        priya,
        date(2024, 9, 1),
    )
    assert (priya.first_name, priya.last_name, priya.line_manager) == ("Priya", "Chauhan", vsh)
    assert not sam.has_usable_password()
    assert set(rebecca.lead_areas.values_list("code", flat=True)) == set(
        LeadArea.objects.filter(code__in=["early-years", "send"]).values_list("code", flat=True)
    )
    again = services.preview_import("staff", upload(csv_bytes(STAFF_HEADINGS, rows)), source="HR", user=vsh)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)


def test_staff_errors(vsh, officer):
    rows = [
        ["lee", "lee@example.org", "Lee Morgan", "Caretaker", "", "", ""],
        ["kim", "kim@example.org", "Kim Tran", "Officer", "nobody", "", ""],
        ["ali", "ali@example.org", "Ali Rees", "Officer", "officer", "", ""],
        ["jo", "jo@example.org", "Jo Pike", "", "", "", ""],
        ["max", "max@example.org", "Max Bell", "Lead", "", "", "astrology"],
    ]
    run = services.preview_import("staff", upload(csv_bytes(STAFF_HEADINGS, rows)), source="HR", user=vsh)
    assert errors_of(run)[:4] == [
        "Row 2, Role 'Caretaker': not a role: use officer, manager, lead, VSH or administrator",
        "Row 3, Line manager 'nobody': no member of staff here or in the file has this username or e-mail",
        f"Row 4, Line manager 'officer': {officer.get_full_name()} is not a manager or the VSH: a line manager is "
        "one of them",
        "Row 5, Username 'jo': a new member of staff needs a role",
    ]
    assert errors_of(run)[4].startswith("Row 6, Lead areas 'astrology': no lead area 'astrology': use ")


def test_a_staff_change_of_role_and_manager(vsh, officer, manager):
    rows = [["officer", "Manager", vsh.username]]  # only what changes
    run = services.preview_import(
        "staff", upload(csv_bytes(["Username", "Role", "Line manager"], rows)), source="HR", user=vsh
    )
    assert run.errors == 0, errors_of(run)
    assert run.row_changes.get().fields == {
        "role": ["Virtual School Officer / Practitioner", "VS manager"],
        "line_manager_id": ["manager", vsh.username],
    }
    services.apply_import(run, vsh)
    officer.refresh_from_db()
    assert (officer.role, officer.line_manager) == (Role.MANAGER, vsh)


# --- the nightly drop ------------------------------------------------------------------------


def test_the_drop_folder_imports_clean_files_and_sets_aside_the_others(tmp_path, settings, officer, school):
    settings.IMPORT_DROP_DIR = str(tmp_path / "drop")
    folder = tmp_path / "drop" / "Mosaic" / "children"
    folder.mkdir(parents=True)
    (folder / "2026-03-01.csv").write_bytes(csv_bytes(CHILD_HEADINGS, [child_row()]))
    (folder / "2026-03-02.csv").write_bytes(csv_bytes(CHILD_HEADINGS, [child_row(ref="C-2", urn="999999")]))
    lines = import_dropped_files.apply().get()
    assert len(lines) == 2 and "applied: 1 new" in lines[0] and "previewed: 1 rows in error" in lines[1]
    assert Child.objects.get().la_reference == "C-1"
    run = ImportRun.objects.get(status=ImportStatus.APPLIED)
    assert run.uploaded_by is None and run.source.name == "Mosaic" and run.uploaded_by_label == "the system"
    assert [p.name for p in (folder / "done").iterdir()] == [f"2026-03-01.import-{run.pk}.csv"]
    assert len(list((folder / "failed").iterdir())) == 1 and not list(folder.glob("*.csv"))
    assert drop.import_dropped_files() == []  # nothing left to import


def test_no_drop_folder_no_import(settings):
    settings.IMPORT_DROP_DIR = ""
    assert drop.import_dropped_files() == []


def test_the_nightly_import_is_scheduled_before_the_sample_draw():
    task = PeriodicTask.objects.select_related("crontab").get(task="imports.tasks.import_dropped_files")
    assert task.enabled and (task.crontab.minute, task.crontab.hour) == ("0", "5")


def test_school_urns_match_ignoring_case_and_spaces(vsh, officer):
    School.objects.create(name="Academy", urn="AB123")
    run = preview_children([child_row(urn=" ab123 ")], vsh)
    assert run.errors == 0, errors_of(run)


def test_a_pep_submitted_now_without_a_date_is_completed_today_in_an_open_term_only(vsh, officer, open_term):
    ChildFactory(la_reference="C-1", allocated_officer=officer)
    ChildFactory(la_reference="C-2", allocated_officer=officer, date_of_birth=date(2010, 1, 1))
    headings = ["Child LA reference", "Term", "ePEP status", "Date completed"]
    rows = [["C-1", "Autumn 2090/91", "Complete", ""], ["C-2", "Autumn 2016/17", "Complete", ""]]
    services.apply_import(preview_peps(rows, vsh, headings=headings), vsh)
    assert Pep.objects.get(term=open_term).date_completed == timezone.localdate()
    assert Pep.objects.exclude(term=open_term).get().date_completed is None  # a past term: not "late" by years
    again = preview_peps(rows, vsh, headings=headings)
    assert (again.changed, again.unchanged) == (0, 2)  # a blank never clears the date


def test_a_bulk_submission_is_announced_for_each_pep(vsh, officer, open_term):
    heard = []

    def receiver(sender, pep, by, **kwargs):
        heard.append((pep.term_id, by))

    child = ChildFactory(la_reference="C-1", allocated_officer=officer)
    PepFactory(child=child, term=open_term, status=PepStatus.DRAFT)
    ChildFactory(la_reference="C-2", allocated_officer=officer)
    pep_submitted.connect(receiver, dispatch_uid="test-import-announced")
    try:
        services.apply_import(preview_peps([pep_row("C-1"), pep_row("C-2")], vsh), vsh)
    finally:
        pep_submitted.disconnect(dispatch_uid="test-import-announced")
    assert heard == [(open_term.pk, vsh), (open_term.pk, vsh)]


def test_an_unexpected_error_in_a_preview_leaves_a_failed_run_not_an_error_page(vsh, officer, school, monkeypatch):
    def broken(self, row):
        raise RuntimeError("a bug")

    monkeypatch.setattr(importers.ChildrenImporter, "check", broken)
    run = preview_children([child_row()], vsh)
    assert run.status == ImportStatus.FAILED and not run.can_apply
    assert run.message == services.UNEXPECTED_PREVIEW
    monkeypatch.undo()
    assert services.preview_again(run, user=vsh).status == ImportStatus.PREVIEWED  # once mended


def test_an_unexpected_error_in_an_apply_writes_nothing(vsh, officer, school, monkeypatch):
    run = preview_children([child_row()], vsh)

    def broken(self, rows):
        Child.objects.create(
            la_reference="half", first_name="A", last_name="B", date_of_birth=date(2015, 1, 1), year_group=5
        )
        raise RuntimeError("a bug")

    monkeypatch.setattr(importers.ChildrenImporter, "write", broken)
    run = services.apply_import(run, vsh)
    assert (run.status, run.message) == (ImportStatus.FAILED, services.UNEXPECTED_APPLY)
    assert not Child.objects.exists()


def test_a_mapping_to_no_field_is_a_programming_error(vsh):
    with pytest.raises(ValueError, match="nickname"):
        services.preview_import(
            "children", upload(b"CHILD\nC-1\n"), source="Mosaic", user=vsh, mapping={"CHILD": "nickname"}
        )


def test_the_census_sen_codes_say_whether_there_is_an_ehcp(vsh, officer, school):
    headings = ["CHILD", "Forename", "Surname", "DOB", "SEN"]
    rows = [
        ["C-1", "Ann", "Lee", "01/02/2015", "E"],
        ["C-2", "Bo", "Ng", "01/02/2015", "K"],
        ["C-3", "Cy", "Ho", "01/02/2015", "N"],
    ]
    short = preview_children([*rows, ["C-4", "Di", "Oz"]], vsh, headings=headings)  # the rest of the row blank
    assert errors_of(short) == ["Row 5, DOB: the date of birth is blank"]
    services.apply_import(preview_children(rows, vsh, headings=headings), vsh)
    flags = {c.la_reference: (c.has_send, c.has_ehcp) for c in Child.objects.all()}
    assert flags == {"C-1": (True, True), "C-2": (True, False), "C-3": (False, False)}


def test_the_selectors_list_imports_errors_and_changes(vsh, officer, school):

    clean = preview_children([child_row()], vsh)
    broken = preview_children([child_row(ref="C-2", urn="999999"), child_row(ref="C-3")], vsh, source="LCS")
    assert list(selectors.import_runs()) == [broken, clean]
    assert list(selectors.import_runs("peps")) == []
    assert [e.row for e in selectors.run_errors(broken)] == [2]
    assert [c.key for c in selectors.run_changes(broken, "new")] == ["C-3"]
    assert [s.name for s in selectors.sources("children")] == ["LCS", "Mosaic"]
