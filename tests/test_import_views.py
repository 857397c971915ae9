"""web/imports: the import pages. Who may use them, upload -> preview -> confirm, the
mapping step, the downloads, and bad input answered on the page (never a 500)."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.vocabulary import Role
from imports import services
from imports.models import ImportKind, ImportRun, ImportSource, ImportStatus
from peps.models import Child

from .factories import ChildFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADINGS = ["LA reference", "First name", "Last name", "Date of birth", "School URN"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def school(db):
    return SchoolFactory(urn="100001", name="Brookside Primary")


def csv_file(rows, headings=HEADINGS, name="children.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


CLEAN = [["C-1", "Ann", "Lee", "01/02/2015", "100001"], ["C-2", "Bo", "Ng", "03/04/2016", "100001"]]


def upload(client, file, kind="children", source="new", new_source="Mosaic", follow=False):
    data = {"kind": kind, "source": source, "new_source": new_source, "file": file}
    return client.post(reverse("imports:index"), data, follow=follow)


def _page(response) -> str:
    return response.content.decode()


def _user(role):
    user = UserFactory(role=role, is_staff=role == Role.ADMINISTRATOR)
    if role == Role.ADMINISTRATOR:
        user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


def _run(vsh, school, rows=CLEAN) -> ImportRun:
    return services.preview_import("children", csv_file(rows), source="Mosaic", user=vsh)


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, allowed",
    [
        (Role.OFFICER, False),
        (Role.MANAGER, False),
        (Role.LEAD, False),
        (Role.VSH, True),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_only_those_who_import_get_the_pages(client, vsh, school, role, allowed):
    run = _run(vsh, school)
    client.force_login(_user(role))
    gets = [
        reverse("imports:index"),
        reverse("imports:run", args=[run.pk]),
        reverse("imports:errors_csv", args=[run.pk]),
        reverse("imports:template", args=["children"]),
    ]
    for url in gets:
        assert client.get(url).status_code == (200 if allowed else 403), (role, url)
    if not allowed:
        for name in ("apply", "mapping", "refresh"):
            assert client.post(reverse(f"imports:{name}", args=[run.pk])).status_code == 403
        assert upload(client, csv_file(CLEAN)).status_code == 403
        run.refresh_from_db()
        assert run.status == ImportStatus.PREVIEWED and not Child.objects.exists()


def test_signed_out_is_sent_to_sign_in(client, vsh, school):
    run = _run(vsh, school)
    for url in (reverse("imports:index"), reverse("imports:run", args=[run.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(reverse("imports:apply", args=[run.pk])).status_code == 302
    assert ImportRun.objects.get().status == ImportStatus.PREVIEWED


def test_a_missing_or_huge_run_id_is_not_found(client, vsh):
    client.force_login(vsh)
    for pk in (0, 999, 2**63, 10**20):
        assert client.get(f"/imports/{pk}/").status_code == 404
        assert client.post(f"/imports/{pk}/apply/").status_code == 404
        assert client.get(f"/imports/{pk}/errors.csv").status_code == 404


# --- upload and preview ---------------------------------------------------------------------


def test_a_clean_file_is_previewed_then_applied_once(client, vsh, school):
    client.force_login(vsh)
    response = upload(client, csv_file(CLEAN))
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:run", args=[run.pk])
    html = _page(client.get(response["Location"]))
    assert (run.status, run.new, run.errors) == (ImportStatus.PREVIEWED, 2, 0)
    assert '<span class="app-stat__number">2</span>new' in html
    assert "This will update 2 records. It cannot be undone from here." in html
    assert "Confirm and import" in html and "disabled" not in html.split('id="confirm"')[1].split("</form>")[0]
    assert "C-1" in html  # the planned changes
    assert not Child.objects.exists()  # a preview writes nothing

    html = _page(client.post(reverse("imports:apply", args=[run.pk]), follow=True))
    assert "Import applied: 2 new, 0 changed, 0 unchanged." in html
    assert "Applied by" in html and str(vsh) in html
    assert Child.objects.count() == 2

    # A second click, or the other tab.
    html = _page(client.post(reverse("imports:apply", args=[run.pk]), follow=True))
    assert "This import was already applied by" in html
    assert Child.objects.count() == 2
    run.refresh_from_db()
    assert run.status == ImportStatus.APPLIED and run.applied_by == vsh


def test_confirm_in_the_other_tab_while_the_first_applies_reads_already_applied(client, vsh, school, monkeypatch):
    """The view saw a preview, the service (holding the lock) found it applied."""
    run = _run(vsh, school)
    services.apply_import(run, vsh)
    stale = ImportRun.objects.get(pk=run.pk)
    stale.status = ImportStatus.PREVIEWED
    monkeypatch.setattr("web.imports.views.get_object_or_404", lambda queryset, pk: stale)
    client.force_login(vsh)
    html = _page(client.post(reverse("imports:apply", args=[run.pk]), follow=True))
    assert "This import was already applied by" in html
    assert Child.objects.count() == 2


def test_a_file_with_errors_shows_them_and_cannot_be_confirmed(client, vsh, school):
    client.force_login(vsh)
    rows = [*CLEAN, ["C-3", "Cy", "Oz", "01/01/2099", "100001"], ["C-4", "Di", "Al", "31/02/2014", "999999"]]
    html = _page(upload(client, csv_file(rows), follow=True))
    run = ImportRun.objects.get()
    assert run.errors == 2
    assert "the date of birth is in the future" in html
    assert "01/01/2099" in html
    assert "Download all errors (CSV)" in html
    assert "You cannot import this file yet: 2 rows are in error." in html
    assert 'disabled aria-disabled="true"' in html
    assert not Child.objects.exists()
    # Confirming anyway (a forged POST) is refused on the page.
    html = _page(client.post(reverse("imports:apply", args=[run.pk]), follow=True))
    assert "Rows of this file are in error" in html
    assert not Child.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_on_the_form(client, vsh):
    client.force_login(vsh)
    junk = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    response = upload(client, junk)
    html = _page(response)
    assert response.status_code == 200
    assert "There is a problem" in html and "Choose another file." in html
    assert re.search(r'value="children"\s+checked', html)  # what was chosen is kept
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.REFUSED  # and listed with the past imports
    assert not Child.objects.exists()


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Choose what the file holds"),
        ({"kind": "pupils"}, "Choose what the file holds"),
        ({"kind": "children", "source": "new", "new_source": " "}, "Enter the name of the system"),
        ({"kind": "children", "source": "99999999999999999999"}, "Choose the system the file is from, from the list"),
    ],
)
def test_bad_upload_input_is_an_error_on_the_form(client, vsh, data, message):
    client.force_login(vsh)
    response = client.post(reverse("imports:index"), {**data, "file": csv_file(CLEAN)})
    html = _page(response)
    assert response.status_code == 200 and message in html
    # The browser cannot keep the file: the page says so.
    assert "Choose the file again" in html
    assert not ImportRun.objects.exists()


def test_no_file_is_asked_for(client, vsh):
    client.force_login(vsh)
    html = _page(client.post(reverse("imports:index"), {"kind": "children", "source": "new", "new_source": "Mosaic"}))
    assert "Choose the file to import" in html


def test_a_source_of_another_kind_is_refused(client, vsh):
    source = ImportSource.objects.create(name="Welfare Call", kind=ImportKind.PEPS)
    client.force_login(vsh)
    html = _page(upload(client, csv_file(CLEAN), source=str(source.pk)))
    assert "Welfare Call is a source of peps" in html
    assert not ImportRun.objects.exists()


def test_an_existing_source_is_offered_and_used(client, vsh, school):
    source = ImportSource.objects.create(name="Mosaic", kind=ImportKind.CHILDREN)
    client.force_login(vsh)
    assert f'<option value="{source.pk}">Mosaic</option>' in _page(client.get(reverse("imports:index")))
    upload(client, csv_file(CLEAN), source=str(source.pk))
    assert ImportRun.objects.get().source == source


# --- the mapping step -----------------------------------------------------------------------


def test_the_mapping_step_round_trip(client, vsh, school):
    client.force_login(vsh)
    headings = ["Client Ref", "Given", "Family", "Born", "School URN"]
    html = _page(upload(client, csv_file([["C-1", "Ann", "Lee", "01/02/2015", "100001"]], headings), follow=True))
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.NEEDS_MAPPING
    assert "Say which column is which" in html
    assert "Date of birth" in html and "First name and Last name, or Name" in html
    assert 'name="column_0"' in html and "(column A)" in html

    url = reverse("imports:mapping", args=[run.pk])
    # A field that is not one of the choices (forged) is an error on the page.
    response = client.post(url, {"column_0": "nickname"})
    assert response.status_code == 200 and "Choose a field for &#x27;Client Ref&#x27; from the list" in _page(response)
    # Two columns for one field.
    response = client.post(url, {"column_0": "la_reference", "column_1": "la_reference"})
    assert "is the la reference already" in _page(response)

    mapping = {
        "column_0": "la_reference",
        "column_1": "first_name",
        "column_2": "last_name",
        "column_3": "date_of_birth",
    }
    html = _page(client.post(url, {**mapping, "column_4": "school_urn"}, follow=True))
    run.refresh_from_db()
    assert (run.status, run.new) == (ImportStatus.PREVIEWED, 1)
    assert "the mapping is kept for the next file from this system" in html
    assert ImportSource.objects.get(name="Mosaic").mapping["born"] == "date_of_birth"


def test_an_applied_run_cannot_be_mapped(client, vsh, school):
    run = _run(vsh, school)
    services.apply_import(run, vsh)
    client.force_login(vsh)
    html = _page(client.post(reverse("imports:mapping", args=[run.pk]), {"column_0": "upn"}, follow=True))
    assert "its columns cannot be changed" in html


def test_a_superseded_preview_is_previewed_again(client, vsh, school):
    first = _run(vsh, school)
    services.apply_import(_run(vsh, school, rows=[["C-9", "Ed", "Ho", "01/02/2015", "100001"]]), vsh)
    first.refresh_from_db()
    assert first.status == ImportStatus.SUPERSEDED
    client.force_login(vsh)
    assert "Preview the file again" in _page(client.get(reverse("imports:run", args=[first.pk])))
    client.post(reverse("imports:refresh", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == ImportStatus.PREVIEWED


# --- downloads ------------------------------------------------------------------------------


def test_the_errors_csv_lists_every_error_and_is_not_stored(client, vsh, school):
    run = _run(vsh, school, rows=[["C-3", "=HYPERLINK()", "Oz", "01/01/2099", "100001"], *CLEAN])
    client.force_login(vsh)
    response = client.get(reverse("imports:errors_csv", args=[run.pk]))
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == 'attachment; filename="children-errors.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Row", "Column", "Value", "Error"]
    assert rows[1][:3] == ["2", "Date of birth", "01/01/2099"]


@pytest.mark.parametrize("kind", ImportKind.values)
def test_each_template_downloads(client, vsh, kind):
    client.force_login(vsh)
    response = client.get(reverse("imports:template", args=[kind]))
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="hvs-{kind}-template.csv"' in response["Content-Disposition"]
    assert response.content.decode() == services.columns.template_csv(kind)


def test_an_unknown_template_is_not_found(client, vsh):
    client.force_login(vsh)
    assert client.get("/imports/templates/pupils.csv").status_code == 404


# --- the past imports -----------------------------------------------------------------------


def test_past_imports_newest_first_filtered_and_sorted(client, vsh, school):
    older = services.preview_import("children", csv_file(CLEAN, name="older.csv"), source="Mosaic", user=vsh)
    newer = services.preview_import("staff", csv_file([["x"]], ["Nickname"], name="newer.csv"), source="HR", user=vsh)
    client.force_login(vsh)
    html = _page(client.get(reverse("imports:index")))
    assert html.index("newer.csv") < html.index("older.csv")
    html = _page(client.get(reverse("imports:index"), {"sort": "date"}))
    assert html.index("older.csv") < html.index("newer.csv")
    html = _page(client.get(reverse("imports:index"), {"kind": "children"}))
    assert f"/imports/{older.pk}/" in html and f"/imports/{newer.pk}/" not in html
    html = _page(client.get(reverse("imports:index"), {"status": newer.status}))
    assert f"/imports/{older.pk}/" not in html and f"/imports/{newer.pk}/" in html
    # Junk filters nothing, never fails.
    html = _page(client.get(reverse("imports:index"), {"kind": "pupils", "status": "x", "sort": "x", "page": "x"}))
    assert f"/imports/{older.pk}/" in html and f"/imports/{newer.pk}/" in html


def test_the_import_page_says_what_to_import_in_what_order(client, vsh):
    client.force_login(vsh)
    html = _page(client.get(reverse("imports:index")))
    assert html.index("Download the staff template") < html.index("Download the children template")
    assert html.index("Download the children template") < html.index("Download the PEPs template")
    assert "Also: CHILD" in html  # the columns described
    assert 'enctype="multipart/form-data"' in html


def _runs(count, vsh):
    source = ImportSource.objects.create(name=f"S{count}", kind=ImportKind.CHILDREN)
    for n in range(count):
        ImportRun.objects.create(
            kind=ImportKind.CHILDREN,
            source=source,
            uploaded_by=UserFactory() if n % 2 else vsh,
            applied_by=vsh,
            file_name=f"f{n}.csv",
            status=ImportStatus.APPLIED,
        )


@pytest.mark.parametrize("count", [3, 30])
def test_the_import_page_makes_as_many_queries_for_3_as_for_30_imports(client, vsh, count, django_assert_num_queries):
    _runs(count, vsh)
    ChildFactory()
    client.force_login(vsh)
    client.get(reverse("imports:index"))  # the session warmed
    # session, user, the second factor's device, sources (the upload form), the count, the page of runs.
    with django_assert_num_queries(6):
        response = client.get(reverse("imports:index"))
    assert response.status_code == 200
