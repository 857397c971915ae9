"""The capability process (practice/capability.py, web/practice/capability.py): who may
see and change it, its writes under a double click or a stale tab, its audit trail, and
that the admin has no page for it."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from access.policy import may_see_capability_of
from audit.models import AuditEntry, content_type_of
from audit.registration import AUDITED
from core.vocabulary import Role
from practice.capability import CapabilityClosed, StaleNotes, close_concern, open_concern, update_notes
from practice.models import CapabilityConcern

from .factories import CapabilityConcernFactory, UserFactory

pytestmark = pytest.mark.django_db

NOTES = "Agreed with HR: stage one, reviewed in six weeks. Marker-Q7Z"


def _url(officer) -> str:
    return reverse("practice:capability", kwargs={"officer_pk": officer.pk})


def _date(prefix: str, day) -> dict:
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


# --- services ---------------------------------------------------------------------------


def test_opening_twice_finds_the_one_open(officer, manager):
    today = timezone.localdate()
    first = open_concern(officer, opened_by=manager, opened_on=today, notes=NOTES)
    second = open_concern(officer, opened_by=manager, opened_on=today, notes="Again")
    assert first.created and not second.created
    assert second.concern.pk == first.concern.pk
    assert CapabilityConcern.objects.get().notes == NOTES


def test_a_stale_tab_does_not_overwrite_the_notes(officer):
    concern = CapabilityConcernFactory(officer=officer)
    seen = concern.updated_at.isoformat()
    update_notes(concern.pk, "First tab", seen_updated_at=seen)
    with pytest.raises(StaleNotes):
        update_notes(concern.pk, "Second tab", seen_updated_at=seen)
    concern.refresh_from_db()
    assert concern.notes == "First tab"


def test_a_closed_process_is_closed_once_and_its_notes_kept(officer):
    concern = CapabilityConcernFactory(officer=officer)
    close_concern(concern.pk, closed_on=timezone.localdate())
    with pytest.raises(CapabilityClosed):
        close_concern(concern.pk, closed_on=timezone.localdate())
    with pytest.raises(CapabilityClosed):
        update_notes(concern.pk, "After closing")
    # Closed, another may be opened.
    assert open_concern(officer, opened_by=None, opened_on=timezone.localdate(), notes="New").created


# --- the page ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "vsh"])
def test_the_line_manager_and_the_vsh_open_update_and_close(client, request, officer, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    today = timezone.localdate()
    page = client.get(_url(officer))
    assert page.status_code == 200
    assert "No capability process is open" in page.content.decode()

    response = client.post(_url(officer), {**_date("open-opened_on", today), "open-notes": NOTES})
    assert response.status_code == 302
    concern = CapabilityConcern.objects.get(officer=officer, closed_on__isnull=True)
    assert (concern.notes, concern.opened_by) == (NOTES, user)
    body = client.get(_url(officer)).content.decode()
    assert NOTES in body and "Open" in body

    response = client.post(
        _url(officer), {"notes-notes": "Stage two", "notes-seen": concern.updated_at.isoformat()}, follow=True
    )
    assert "Notes saved" in response.content.decode()
    concern.refresh_from_db()
    assert concern.notes == "Stage two"

    response = client.post(_url(officer), _date("close-closed_on", today), follow=True)
    assert "Capability process closed" in response.content.decode()
    concern.refresh_from_db()
    assert concern.closed_on == today
    body = response.content.decode()
    assert "Closed processes" in body and "Stage two" in body


def test_a_double_click_on_open_reads_already_open(client, manager, officer):
    client.force_login(manager)
    data = {**_date("open-opened_on", timezone.localdate()), "open-notes": NOTES}
    client.post(_url(officer), data)
    response = client.post(_url(officer), data, follow=True)
    assert "already open" in response.content.decode()
    assert CapabilityConcern.objects.count() == 1


def test_bad_input_is_a_form_error_and_keeps_what_was_typed(client, manager, officer):
    client.force_login(manager)
    response = client.post(_url(officer), {"open-opened_on_0": "31", "open-opened_on_1": "2", "open-notes": NOTES})
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and "must include a year" in body
    assert NOTES in body
    assert not CapabilityConcern.objects.exists()


def test_closing_before_opening_is_refused(client, manager, officer):
    today = timezone.localdate()
    CapabilityConcernFactory(officer=officer, opened_on=today)
    client.force_login(manager)
    response = client.post(_url(officer), _date("close-closed_on", today - timedelta(days=1)))
    assert response.status_code == 200
    assert "on or after the date opened" in response.content.decode()
    assert CapabilityConcern.objects.get().closed_on is None


def test_a_stale_tab_is_told_and_keeps_its_text(client, manager, officer):
    concern = CapabilityConcernFactory(officer=officer)
    seen = concern.updated_at.isoformat()
    update_notes(concern.pk, "Changed elsewhere")
    client.force_login(manager)
    response = client.post(_url(officer), {"notes-notes": "My new text", "notes-seen": seen})
    body = response.content.decode()
    assert response.status_code == 200 and "Someone changed the notes" in body and "My new text" in body


@pytest.mark.parametrize("who", ["officer", "other_officer", "other_manager", "lead", "administrator", "superuser"])
def test_everyone_else_gets_not_found(client, request, officer, who):
    if who == "superuser":
        user = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    else:
        user = request.getfixturevalue(who)
    CapabilityConcernFactory(officer=officer, notes=NOTES)
    client.force_login(user)
    for method in ("get", "post"):
        response = getattr(client, method)(_url(officer))
        assert response.status_code == 404, f"{method} as {who}: {response.status_code}"
        assert "Marker-Q7Z" not in response.content.decode()
    assert CapabilityConcern.objects.get().notes == NOTES


def test_a_superuser_with_another_role_passes_has_perm_but_not_the_policy(officer):
    """Why the page asks the policy directly: Django's has_perm passes every superuser."""
    superuser = UserFactory(role=Role.LEAD, is_staff=True, is_superuser=True)
    assert superuser.has_perm("hvs.view_capability", officer)
    assert not may_see_capability_of(superuser, officer)


# --- audit and admin --------------------------------------------------------------------


def test_the_audit_trail_records_it_without_the_notes(officer, manager):
    assert CapabilityConcern in AUDITED
    concern = open_concern(officer, opened_by=manager, opened_on=timezone.localdate(), notes=NOTES).concern
    update_notes(concern.pk, "Second marker-W3X")
    close_concern(concern.pk, closed_on=timezone.localdate())
    entries = list(AuditEntry.objects.filter(content_type=content_type_of(CapabilityConcern)).order_by("pk"))
    assert [e.action for e in entries] == [AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE]  # the notes: no entry
    for entry in entries:
        text = str(entry.changes) + entry.object_repr + str(entry.additional_data)
        assert "notes" not in entry.changes_dict
        assert "Marker-Q7Z" not in text and "W3X" not in text
    assert "closed_on" in entries[1].changes_dict


def test_the_admin_has_no_page_for_it():
    assert CapabilityConcern not in admin.site._registry


def test_its_audit_entries_stay_out_of_the_admin(client, officer, manager, administrator):
    open_concern(officer, opened_by=manager, opened_on=timezone.localdate(), notes=NOTES)
    assert AuditEntry.objects.filter(content_type=content_type_of(CapabilityConcern)).exists()
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    body = client.get(reverse("admin:audit_auditentry_changelist")).content.decode()
    assert "apability" not in body
    entry = AuditEntry.objects.get(content_type=content_type_of(CapabilityConcern))
    assert client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).status_code in (302, 404)
