"""manage.py import_file, and the demo's example export files imported with it."""

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.vocabulary import Role
from imports.models import ImportRun, ImportSource, ImportStatus
from peps.models import Child, Pep, PepStatus, PepStatusChange

from .factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADINGS = ["LA reference", "First name", "Last name", "Date of birth", "School URN", "Allocated officer"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def school(db):
    return SchoolFactory(urn="100001")


def write(path, headings, rows):
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(headings)
        writer.writerows(rows)
    return path


def run_command(*args, **options) -> str:
    out = StringIO()
    call_command("import_file", *args, stdout=out, **options)
    return out.getvalue()


def test_dry_run_prints_the_preview_and_writes_nothing(tmp_path, officer, school):
    path = write(tmp_path / "children.csv", HEADINGS, [["C-1", "Ann", "Lee", "01/02/2015", "100001", "officer"]])
    output = run_command(str(path), kind="children", source="Mosaic", dry_run=True)
    assert "Children from Mosaic, file children.csv" in output
    assert "1 rows: 1 new, 0 changed, 0 unchanged, 0 in error." in output
    assert "Dry run: nothing written." in output
    assert not Child.objects.exists()
    assert ImportRun.objects.get().status == ImportStatus.PREVIEWED


def test_without_dry_run_it_applies_as_the_system_or_a_user(tmp_path, officer, school, vsh):
    path = write(tmp_path / "children.csv", HEADINGS, [["C-1", "Ann", "Lee", "01/02/2015", "100001", "officer"]])
    output = run_command(str(path), kind="children", source="Mosaic")
    assert "Applied import #" in output and Child.objects.count() == 1
    run = ImportRun.objects.get(status=ImportStatus.APPLIED)
    assert run.applied_by is None and run.uploaded_by is None
    output = run_command(str(path), kind="children", source="Mosaic", user=vsh.username)
    assert "0 new, 0 changed, 1 unchanged" in output
    assert ImportRun.objects.filter(applied_by=vsh).count() == 1


def test_errors_exit_non_zero_and_are_listed(tmp_path, officer, school):
    path = write(tmp_path / "children.csv", HEADINGS, [["C-1", "Ann", "Lee", "01/02/2099", "100001", "nobody"]])
    out = StringIO()
    with pytest.raises(CommandError, match="1 row\\(s\\) in error: nothing imported"):
        call_command("import_file", str(path), kind="children", source="Mosaic", stdout=out)
    assert "Row 2, Date of birth '01/02/2099': the date of birth is in the future" in out.getvalue()
    assert "Row 2, Allocated officer 'nobody'" in out.getvalue()
    assert not Child.objects.exists()


def test_a_file_that_needs_a_mapping_and_the_map_option(tmp_path, officer, school):
    path = write(
        tmp_path / "children.csv", ["Client Ref", "Given", "Family", "Born"], [["C-1", "Ann", "Lee", "01/02/2015"]]
    )
    out = StringIO()
    with pytest.raises(CommandError, match="The file has no column for"):
        call_command("import_file", str(path), kind="children", source="Eclipse", stdout=out)
    assert "--map" in out.getvalue()
    run_command(
        str(path),
        kind="children",
        source="Eclipse",
        map=["Client Ref=la_reference", "Given=first_name", "Family=last_name", "Born=date_of_birth"],
    )
    assert Child.objects.get().first_name == "Ann"
    assert ImportSource.objects.get(name="Eclipse").mapping["clientref"] == "la_reference"
    with pytest.raises(CommandError, match="not a field"):
        run_command(str(path), kind="children", source="Eclipse", map=["Given=nickname"])


def test_refused_files_and_bad_arguments(tmp_path, officer):
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(CommandError, match="a PDF"):
        run_command(str(path), kind="peps", source="ePEP")
    with pytest.raises(CommandError, match="No such file"):
        run_command(str(tmp_path / "missing.csv"), kind="peps", source="ePEP")
    with pytest.raises(CommandError, match="No active user"):
        run_command(str(path), kind="peps", source="ePEP", user="ghost")


def test_the_demo_export_files_import_as_the_readme_says(tmp_path):
    out = StringIO()
    call_command(
        "seed_demo", children=24, password="pw-for-tests-123", exports_dir=str(tmp_path / "exports"), stdout=out
    )
    exports = tmp_path / "exports"
    assert f"Example export files to import, in {exports}" in out.getvalue()
    staff = run_command(str(exports / "staff.csv"), kind="staff", source="HR")
    assert "1 new, 0 changed, 11 unchanged" in staff
    children = run_command(str(exports / "children.csv"), kind="children", source="Mosaic")
    assert "2 new, 3 changed, 21 unchanged" in children  # two new children, three allocations moved
    drafts = Pep.objects.filter(status=PepStatus.DRAFT).count()
    history = PepStatusChange.objects.count()
    peps = run_command(str(exports / "peps.csv"), kind="peps", source="ePEP")
    assert ", 3 changed, " in peps and "0 new" in peps
    assert Pep.objects.filter(status=PepStatus.DRAFT).count() == drafts - 3
    assert PepStatusChange.objects.count() == history + 3
    for kind in ("staff", "children", "peps"):  # a second time: nothing
        assert "0 new, 0 changed" in run_command(str(exports / f"{kind}.csv"), kind=kind, source="x")
    assert UserFactory._meta.model.objects.get(username="officer7").role == Role.OFFICER

    for kind, errors in (("children", 7), ("peps", 6), ("staff", 4)):
        out = StringIO()
        with pytest.raises(CommandError, match=f"{errors} row\\(s\\) in error"):
            call_command(
                "import_file", str(exports / f"{kind}-with-errors.csv"), kind=kind, source="x", dry_run=True, stdout=out
            )
    assert (
        "the check letter does not match"
        in ImportRun.objects.filter(file_name="children-with-errors.csv").get().row_errors.get(column="UPN").message
    )
