"""The audit trail (audit app, django-auditlog): a change record for every change of an
audited record, with who, when, from where and each field before and after; a view record
for every page showing a child's record and every download; a child's page of who has seen
or changed the record, for the VSH and administrators only; nothing in the app or the admin
changes or deletes an entry; and the retention job deletes what is past its time.
"""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import LeadArea, User
from audit import retention
from audit.models import AuditEntry
from audit.registration import AUDITED
from core.vocabulary import Role
from imports.services import apply_import
from peps.models import AspirationEntry, Child, Pep, PepStatus
from peps.submissions import submit_peps
from practice.models import PeerReviewMeeting, PeerReviewPep
from reviews.models import Amendment, AreaRating, ProForma, ProFormaArea, QaReview, ReviewCorrection
from reviews.services import correct_review, save_review, start_review
from sampling.models import Sample, SampleEntry
from sampling.services import record_review_in_samples
from web.audit import urls as audit_urls

from . import test_url_guards as guards
from .factories import ChildFactory, PepFactory, PracticeActionFactory, ProFormaFactory, SupervisionFactory, UserFactory

pytestmark = pytest.mark.django_db

world = guards.world
Action = AuditEntry.Action
ADDRESS = "203.0.113.9"


def entries_of(obj, action=None):
    found = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
    return found.filter(action=action) if action is not None else found


def last_change(obj) -> AuditEntry:
    return entries_of(obj).exclude(action=Action.ACCESS).order_by("-timestamp", "-pk").first()


# --- changes -------------------------------------------------------------------------


def test_every_model_the_brief_names_is_audited():
    expected = {
        Child,
        Pep,
        AspirationEntry,
        QaReview,
        AreaRating,
        ReviewCorrection,
        Amendment,
        ProForma,
        ProFormaArea,
        Sample,
        SampleEntry,
        PeerReviewMeeting,
        PeerReviewPep,
        User,
    }
    assert expected <= set(AUDITED)


def test_a_childs_change_is_recorded_before_and_after_with_its_child(officer):
    child = ChildFactory(allocated_officer=officer, first_name="Before")
    created = last_change(child)
    assert created.action == Action.CREATE and created.child_id == child.pk
    child.first_name = "After"
    child.save()
    entry = last_change(child)
    assert entry.action == Action.UPDATE
    assert entry.changes["first_name"] == ["Before", "After"]
    assert entry.child_id == child.pk


def test_a_change_through_a_page_records_who_and_from_where(client, manager, pep, rate_all):
    client.force_login(manager)
    review = start_review(pep, manager)
    data = {"strengths": "", "development_points": "", "action": "save", "version": review.version}
    for area_rating in review.area_ratings.all():
        data[f"rating_{area_rating.pk}"] = "green"
        data[f"comment_{area_rating.pk}"] = "Fine"
    response = client.post(reverse("reviews:rate", args=[review.pk]), data, REMOTE_ADDR=ADDRESS)
    assert response.status_code in (200, 302)
    rating = review.area_ratings.first()
    entry = last_change(rating)
    assert entry.actor == manager and entry.remote_addr == ADDRESS
    assert entry.changes["rating"] == ["", "green"] and entry.changes["comment"] == ["", "Fine"]
    assert entry.child_id == pep.child_id


def test_pep_aspiration_review_correction_and_amendment_are_recorded(manager, pep, rate_all):
    pep.targets = "New plan"
    pep.save()
    assert "targets" in last_change(pep).changes
    aspiration = AspirationEntry.objects.create(pep=pep, category="career", aspiration="Vet")
    assert last_change(aspiration).child_id == pep.child_id

    review = start_review(pep, manager)
    assert last_change(review).action == Action.CREATE
    ratings = list(review.area_ratings.all())
    assert all(last_change(r).action == Action.CREATE for r in ratings)  # created in bulk
    review = save_review(review, rate_all(review, ["red"] * 8), strengths="", development_points="", submit=True)
    amendment = Amendment.objects.get(pep=pep)
    assert last_change(amendment).child_id == pep.child_id
    status = last_change(Pep.objects.get(pk=pep.pk)).changes["status"]
    assert status == [PepStatus.SUBMITTED, PepStatus.RETURNED]

    areas = rate_all(review, ["green"] * 8, comment="Better")
    correction = correct_review(
        review, areas, strengths="", development_points="", reason="Misread", by=manager, version=review.version
    )
    assert last_change(correction).action == Action.CREATE
    rating = AreaRating.objects.get(pk=ratings[0].pk)
    assert last_change(rating).changes["rating"] == ["red", "green"]  # bulk_update, recorded
    assert last_change(review).changes["overall_judgement"] == ["red", "green"]


def test_samples_entries_and_peer_reviews_are_recorded(world, manager, officer):
    pep, entry = world["pep"], world["entry"]
    assert last_change(entry).child_id == pep.child_id
    assert last_change(entry.sample).action == Action.CREATE
    meeting = world["meeting"]
    attendees = entries_of(meeting).filter(changes__has_key="attendees")
    assert attendees.exists()
    brought = PeerReviewPep.objects.get(meeting=meeting)
    assert last_change(brought).child_id == pep.child_id


def test_a_sample_entry_ticked_off_in_bulk_is_recorded(world):
    entry, draft = world["entry"], world["draft"]
    SampleEntry.objects.filter(pk=entry.pk).update(review=None)
    record_review_in_samples(draft)
    change = last_change(entry)
    assert change.changes["review"] == ["None", str(draft.pk)]


def test_peps_submitted_in_bulk_are_recorded(officer, vsh):
    draft = PepFactory(child=ChildFactory(allocated_officer=officer), status=PepStatus.DRAFT)
    submit_peps([draft], vsh)
    change = last_change(draft)
    assert change.changes["status"] == ["draft", "submitted"]
    assert change.child_id == draft.child_id


def test_an_import_records_each_change_before_and_after(world, vsh):
    child = world["pep"].child
    apply_import(world["import_run"], vsh)
    change = last_change(Child.objects.get(pk=child.pk))
    assert change.changes["last_name"][1].endswith("-Renamed")
    assert change.child_id == child.pk
    assert change.additional_data == {"bulk": True}


def test_pro_formas_and_their_areas_are_recorded():
    pro_forma = ProFormaFactory()
    area = pro_forma.areas.first() or ProFormaArea.objects.create(pro_forma=pro_forma, position=99, title="X")
    area.title = "Renamed"
    area.save()
    assert last_change(area).changes["title"][1] == "Renamed"
    assert last_change(pro_forma).action == Action.CREATE


def test_a_users_role_manager_lead_areas_and_flags_are_recorded_never_the_password(manager):
    user = UserFactory(role=Role.OFFICER)
    user.role, user.line_manager, user.is_active, user.is_staff = Role.LEAD, manager, False, True
    user.set_password("a-new-long-password-2026")
    user.save()
    change = last_change(user)
    assert change.changes["role"] == [Role.OFFICER, Role.LEAD]
    assert change.changes["line_manager"] == ["None", str(manager.pk)]
    assert change.changes["is_active"] == ["True", "False"]
    assert change.changes["is_staff"] == ["False", "True"]
    every = AuditEntry.objects.filter(object_id=user.pk, content_type=ContentType.objects.get_for_model(User))
    assert not any("password" in (e.changes or {}) or "last_login" in (e.changes or {}) for e in every)
    user.lead_areas.add(LeadArea.objects.get(code="send"))
    added = last_change(user).changes["lead_areas"]
    assert added["operation"] == "add" and len(added["objects"]) == 1


def test_a_deleted_records_entry_keeps_its_child(manager, pep):
    review = start_review(pep, manager)
    rating = review.area_ratings.first()
    pep_id, child_id = pep.pk, pep.child_id
    Pep.objects.get(pk=pep_id).delete()  # cascades to the review and its ratings
    deleted = AuditEntry.objects.filter(action=Action.DELETE, child_id=child_id)
    assert {e.content_type.model for e in deleted} >= {"pep", "qareview", "arearating"}
    assert deleted.filter(object_id=rating.pk).exists()


# --- views and downloads -------------------------------------------------------------

PAGES = [
    ("peps:detail", "officer", lambda w: [w["pep"].pk], "pep", "PEP page"),
    ("peps:record_new", "officer", lambda w: [w["new_child"].pk], "child", "child's record: new PEP meeting"),
    ("peps:record", "officer", lambda w: [w["draft_pep"].pk], "pep", "PEP meeting record"),
    ("peps:submit", "officer", lambda w: [w["draft_pep"].pk], "pep", "PEP check and submit"),
    ("reviews:rate", "lead", lambda w: [w["draft"].pk], "qareview", "review: rating"),
    ("reviews:confirm", "lead", lambda w: [w["draft"].pk], "qareview", "review: confirm"),
    ("reviews:correct", "manager", lambda w: [w["review"].pk], "qareview", "review: correct"),
    ("reviews:detail", "manager", lambda w: [w["review"].pk], "qareview", "review: detail"),
]


@pytest.mark.parametrize(("name", "who", "args", "model", "page"), PAGES, ids=[p[0] for p in PAGES])
def test_every_view_of_a_childs_record_is_recorded_with_the_address(client, world, name, who, args, model, page):
    client.force_login(world[who])
    response = client.get(reverse(name, args=args(world)), REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action=Action.ACCESS).latest("timestamp")
    assert (entry.actor, entry.remote_addr, entry.content_type.model) == (world[who], ADDRESS, model)
    assert entry.additional_data["page"] == page
    assert entry.child_id is not None
    assert entry.object_id == args(world)[0]


DOWNLOADS = [
    ("reporting:figures_csv", "vsh", lambda w: [], "term"),
    ("reporting:figures_xlsx", "vsh", lambda w: [], "term"),
    ("reporting:ratings_csv", "vsh", lambda w: [], "term"),
    ("reporting:ratings_xlsx", "vsh", lambda w: [], "term"),
    ("reports:download", "manager", lambda w: [w["report"].pk], "reportrequest"),
    ("reports:download", "vsh", lambda w: [w["social_care_report"].pk], "reportrequest"),
    ("imports:errors_csv", "vsh", lambda w: [w["import_run"].pk], "importrun"),
    ("practice:learning_csv", "manager", lambda w: [], "term"),
    ("practice:learning_xlsx", "vsh", lambda w: [], "term"),
]


@pytest.mark.parametrize(("name", "who", "args", "model"), DOWNLOADS, ids=[d[0] for d in DOWNLOADS])
def test_every_download_is_recorded_once_with_its_filter(client, monkeypatch, world, name, who, args, model):
    client.force_login(world[who])
    before = AuditEntry.objects.filter(action=Action.ACCESS).count()
    response = client.get(reverse(name, args=args(world)), {"term": world["pep"].term_id}, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action=Action.ACCESS).count() == before + 1
    entry = AuditEntry.objects.filter(action=Action.ACCESS).latest("timestamp")
    assert (entry.actor, entry.remote_addr, entry.content_type.model) == (world[who], ADDRESS, model)
    assert entry.additional_data["download"]
    if model == "term":
        assert entry.additional_data["filters"]["term"] == str(world["pep"].term)


def test_x_forwarded_for_is_believed_only_behind_a_trusted_proxy(client, settings, world):
    client.force_login(world["officer"])
    url = reverse("peps:detail", args=[world["pep"].pk])
    client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert AuditEntry.objects.filter(action=Action.ACCESS).latest("timestamp").remote_addr == "10.0.0.2"
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    client.get(url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.7")
    assert AuditEntry.objects.filter(action=Action.ACCESS).latest("timestamp").remote_addr == "192.0.2.7"


# --- the child's audit page ----------------------------------------------------------


def _trail_url(world) -> str:
    return reverse("audit:child", args=[world["pep"].child_id])


@pytest.mark.parametrize("role", list(Role))
def test_the_audit_page_is_for_the_vsh_and_administrators_only(client, world, role):
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get(_trail_url(world))
    assert response.status_code == (200 if role in (Role.VSH, Role.ADMINISTRATOR) else 404)
    pep_page = client.get(reverse("peps:detail", args=[world["pep"].pk]))
    if pep_page.status_code == 200:
        assert ('id="audit-link"' in pep_page.content.decode()) == (role in (Role.VSH, Role.ADMINISTRATOR))


def test_the_audit_page_shows_who_saw_and_changed_the_record(client, world, vsh):
    client.force_login(world["manager"])
    client.get(reverse("reviews:detail", args=[world["review"].pk]), REMOTE_ADDR=ADDRESS)
    client.force_login(vsh)
    html = client.get(_trail_url(world)).content.decode()
    assert "Who has seen or changed this record" in html
    assert ADDRESS in html and "review: detail" in html
    assert world["manager"].get_full_name() in html
    assert "Viewed" in html and "Created" in html


def test_the_audit_page_filters_by_person_and_dates(client, world, vsh):
    manager, officer = world["manager"], world["officer"]
    child_id = world["pep"].child_id
    client.force_login(manager)
    client.get(reverse("reviews:detail", args=[world["review"].pk]))
    client.force_login(officer)
    client.get(reverse("peps:detail", args=[world["pep"].pk]))
    old = AuditEntry.objects.filter(child_id=child_id, actor=officer).latest("timestamp")
    _age(old, 40)
    client.force_login(vsh)
    page = client.get(_trail_url(world), {"person": manager.pk})
    assert all(row["entry"].actor == manager for row in page.context["rows"]) and page.context["rows"]
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    recent = client.get(_trail_url(world), {"since": since})
    assert old.pk not in {row["entry"].pk for row in recent.context["rows"]}
    until = (timezone.localdate() - timedelta(days=30)).isoformat()
    older = client.get(_trail_url(world), {"until": until})
    assert [row["entry"].pk for row in older.context["rows"]] == [old.pk]
    junk = client.get(_trail_url(world), {"since": "not a date", "person": "x"})
    assert junk.status_code == 200


def test_the_audit_page_is_newest_first_and_paginated(client, settings, world, vsh):
    settings.AUDIT_ENTRIES_PER_PAGE = 5
    client.force_login(vsh)
    rows = client.get(_trail_url(world)).context["rows"]
    stamps = [row["entry"].timestamp for row in rows]
    assert len(rows) == 5 and stamps == sorted(stamps, reverse=True)
    assert client.get(_trail_url(world), {"page": 2}).context["page_obj"].number == 2


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_audit_page_runs_the_same_number_of_queries_for_3_or_30_entries(client, settings, vsh, officer):
    settings.AUDIT_ENTRIES_PER_PAGE = 50
    child = ChildFactory(allocated_officer=officer)
    pep = PepFactory(child=child)
    url = reverse("audit:child", args=[child.pk])
    client.force_login(vsh)
    client.get(url)  # warm the session and content types
    with transaction.atomic():
        retention._allow_purge()
        AuditEntry.objects.filter(child_id=child.pk).exclude(content_type__model="child").delete()
    few = _queries(client, url)
    assert 3 <= AuditEntry.objects.filter(child_id=child.pk).count() <= 5
    for i in range(14):
        pep.targets = f"Plan {i}"
        pep.save()
        UserFactory().save()  # people who are not in this trail
    AspirationEntry.objects.create(pep=pep, category="career", aspiration="Vet")
    for who in (officer, UserFactory(role=Role.MANAGER)):
        client.force_login(who if who.role != Role.OFFICER else officer)
        client.get(reverse("peps:detail", args=[pep.pk]))
    client.force_login(vsh)
    assert AuditEntry.objects.filter(child_id=child.pk).count() >= 30 - 12
    many = _queries(client, url)
    assert many == few


# --- immutability --------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", "a-long-enough-password-2026")


def test_the_admin_shows_the_trail_read_only_even_to_a_superuser(client, superuser, world):
    client.force_login(superuser)
    entry = AuditEntry.objects.first()
    base = "admin:audit_auditentry"
    assert client.get(reverse(f"{base}_changelist")).status_code == 200
    assert client.get(reverse(f"{base}_change", args=[entry.pk])).status_code == 200
    assert client.get(reverse(f"{base}_add")).status_code == 403
    assert client.get(reverse(f"{base}_delete", args=[entry.pk])).status_code == 403
    posted = client.post(reverse(f"{base}_change", args=[entry.pk]), {"object_repr": "tampered"})
    assert posted.status_code == 403
    bulk = client.post(
        reverse(f"{base}_changelist"), {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.object_repr != "tampered" and AuditEntry.objects.filter(pk=entry.pk).exists()


def test_no_page_of_the_app_offers_to_change_the_trail():
    names = [str(p.pattern) for p in get_resolver().url_patterns]
    assert "audit/" in names
    assert [p.name for p in audit_urls.urlpatterns] == ["child"]  # one read-only page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_or_delete_an_entry(world):
    entry = AuditEntry.objects.first()
    for change in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(object_repr="tampered"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    assert AuditEntry.objects.get(pk=entry.pk).object_repr == entry.object_repr


# --- retention -----------------------------------------------------------------------


def _age(entry: AuditEntry, days: int) -> None:
    with transaction.atomic():
        retention._allow_purge()
        AuditEntry.objects.filter(pk=entry.pk).update(timestamp=timezone.now() - timedelta(days=days))


def test_the_retention_job_deletes_entries_past_the_setting(settings, officer):
    settings.AUDIT_RETENTION_DAYS = 30
    child = ChildFactory(allocated_officer=officer)
    old, recent = AuditEntry.objects.get(child_id=child.pk), None
    child.first_name = "Changed"
    child.save()
    recent = last_change(child)
    _age(old, 31)
    _age(recent, 29)
    assert retention.purge_expired() == 1
    assert list(AuditEntry.objects.filter(child_id=child.pk)) == [recent]


def test_the_retention_command_and_its_schedule(settings, officer, capsys):
    settings.AUDIT_RETENTION_DAYS = 2557
    child = ChildFactory(allocated_officer=officer)
    _age(AuditEntry.objects.get(child_id=child.pk), 2558)
    call_command("purge_audit_trail")
    assert "Deleted 1 audit entries older than 2557 days" in capsys.readouterr().out
    assert not AuditEntry.objects.filter(child_id=child.pk).exists()
    task = PeriodicTask.objects.get(task="audit.tasks.purge_audit_trail")
    assert task.enabled and task.crontab.hour == "3"


# --- the privacy notice --------------------------------------------------------------


def test_the_privacy_notice_describes_the_audit_trail_as_it_is(client, settings):
    settings.AUDIT_RETENTION_DAYS = 2557
    html = client.get(reverse("privacy")).content.decode()
    assert "The audit trail" in html and "7 years" in html
    assert "never their password" in html
    assert "unique pupil number" in html and any(f.name == "upn" for f in Child._meta.fields)


def test_a_supervisions_notes_and_its_actions_words_are_withheld_from_the_trail(manager, officer):
    officer.line_manager = manager
    officer.save()
    supervision = SupervisionFactory(officer=officer, manager=manager, notes="Notes-7c1 about their health")
    action = PracticeActionFactory(supervision=supervision, description="Action-7c1 words")
    action.status, action.outcome, action.closed_on = "done", "Outcome-7c1 words", timezone.localdate()
    action.save()

    entries = AuditEntry.objects.filter(
        content_type__in=[ContentType.objects.get_for_model(m) for m in (type(supervision), type(action))]
    )
    # The changes are recorded (created, then the outcome), their words are not.
    assert entries.count() == 3
    assert all("7c1" not in str(entry.changes) for entry in entries)
    outcome = entries.filter(object_pk=str(action.pk)).order_by("timestamp").last()
    assert outcome.changes_dict["outcome"] == ["(withheld)", "(withheld)"]
    assert outcome.changes_dict["status"] == ["open", "done"]
