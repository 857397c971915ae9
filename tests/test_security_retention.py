"""Retention (issue 10): generated and uploaded files are deleted after their period by a
scheduled job (reporting.retention), and the records stay, their pages saying "expired"
rather than offering a broken link.

The job is run with ``now`` moved past the period rather than with records aged by hand.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from post_office.models import STATUS, Attachment, Email

from core.vocabulary import Role
from imports import services as import_services
from imports.models import ImportRun
from notices.models import Notice, NoticeKind
from notices.services import resend
from reporting import retention
from reporting.models import ReportKind, ReportRequest, ReportStatus
from reporting.tasks import delete_expired_files as delete_expired_files_task

from .factories import SchoolFactory, TermFactory, UserFactory
from .test_import_views import CLEAN, csv_file

pytestmark = pytest.mark.django_db

LATER = timedelta(days=31)  # past the default 30 days


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _report(user, **fields) -> ReportRequest:
    values = {"status": ReportStatus.READY, "pages": 7, "size": 9, "started_at": timezone.now()}
    values["finished_at"] = timezone.now()
    report = ReportRequest(kind=ReportKind.BOARD, term=TermFactory(), requested_by=user, **(values | fields))
    report.file.save("board.pdf", ContentFile(b"%PDF-1.7 board"), save=False)
    report.save()
    return report


def _import_run(vsh) -> ImportRun:
    SchoolFactory(urn="100001")
    return import_services.preview_import("children", csv_file(CLEAN), source="Mosaic", user=vsh)


def _email(status, attachment_name="social-care.pdf") -> Email:
    email = Email.objects.create(from_email="vs@example.org", to=["manager@example.org"], subject="S", status=status)
    attachment = Attachment(name=attachment_name)
    attachment.file.save(attachment_name, ContentFile(b"%PDF-1.7 team"), save=True)
    attachment.emails.add(email)
    return email


# --- the job ----------------------------------------------------------------------------


def test_the_job_deletes_expired_files_and_keeps_the_records(vsh, manager):
    report = _report(manager)
    run = _import_run(vsh)
    sent = _email(STATUS.sent)
    waiting = _email(STATUS.queued, "waiting.pdf")
    paths = [Path(report.file.path), Path(run.file.path)]
    paths += [Path(a.file.path) for a in Attachment.objects.all()]
    assert all(p.exists() for p in paths)

    # Within the period: nothing goes.
    assert retention.delete_expired_files(timezone.now() + timedelta(days=29)) == retention.RetentionResult()
    assert all(p.exists() for p in paths)

    result = retention.delete_expired_files(timezone.now() + LATER)
    assert (result.reports, result.attachments, result.import_files) == (1, 1, 1)
    report.refresh_from_db()
    run.refresh_from_db()
    assert report.file_deleted_at and not report.file and not report.is_ready and report.is_expired
    assert report.status == ReportStatus.READY and report.pages == 7  # the record is kept
    assert run.file_deleted_at and not run.file and run.file_expired and not run.can_apply
    assert run.rows == 2 and run.row_changes.count() == 2  # what the import found is kept
    assert not paths[0].exists() and not paths[1].exists()
    # The sent message's attachment went; the one still waiting to go is kept.
    assert sent.attachments.get().file == "" and not paths[2].exists()
    assert waiting.attachments.get().file and paths[3].exists()
    assert Email.objects.count() == 2

    # Again: nothing more to do, and no error.
    assert retention.delete_expired_files(timezone.now() + LATER) == retention.RetentionResult()


def test_the_periods_are_settings_and_zero_keeps_files(settings, vsh, manager):
    report = _report(manager)
    run = _import_run(vsh)
    settings.REPORT_RETENTION_DAYS = 0
    settings.IMPORT_FILE_RETENTION_DAYS = 0
    assert retention.delete_expired_files(timezone.now() + timedelta(days=3650)) == retention.RetentionResult()
    settings.REPORT_RETENTION_DAYS = 2
    settings.IMPORT_FILE_RETENTION_DAYS = 5
    result = retention.delete_expired_files(timezone.now() + timedelta(days=3))
    assert (result.reports, result.import_files) == (1, 0)
    assert retention.delete_expired_files(timezone.now() + timedelta(days=6)).import_files == 1
    report.refresh_from_db()
    run.refresh_from_db()
    assert report.is_expired and run.file_expired


def test_a_missing_file_is_no_error(manager):
    report = _report(manager)
    os.remove(report.file.path)
    assert retention.delete_expired_files(timezone.now() + LATER).reports == 1
    report.refresh_from_db()
    assert report.is_expired


def test_the_drop_folders_done_and_failed_files_are_deleted(settings, tmp_path):
    drop = tmp_path / "drop"
    settings.IMPORT_DROP_DIR = str(drop)
    waiting = drop / "Mosaic" / "children" / "new.csv"
    done = drop / "Mosaic" / "children" / "done" / "old.import-1.csv"
    failed = drop / "Welfare Call" / "peps" / "failed" / "bad.import-2.csv"
    for path in (waiting, done, failed):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("LA reference\nC-1\n")
    assert retention.delete_expired_files(timezone.now() + timedelta(days=29)).drop_files == 0
    assert retention.delete_expired_files(timezone.now() + LATER).drop_files == 2
    assert waiting.exists() and not done.exists() and not failed.exists()  # a waiting file is not imported yet


def test_the_command_and_the_task_run_the_job(manager, capsys, eager):
    report = _report(manager, finished_at=timezone.now() - LATER)
    call_command("delete_expired_files")
    assert "Deleted 1 report file(s), 0 e-mail attachment(s), 0 import file(s)" in capsys.readouterr().out
    report.refresh_from_db()
    assert report.is_expired
    _report(manager, finished_at=timezone.now() - LATER)
    assert delete_expired_files_task.delay().get().startswith("Deleted 1 report file(s)")


def test_the_job_is_scheduled_daily_by_beat():
    task = PeriodicTask.objects.get(task="reporting.tasks.delete_expired_files")
    assert task.enabled and task.crontab.hour == "2" and task.crontab.minute == "30"
    assert str(task.crontab.timezone) == "Europe/London"


# --- the pages after expiry ---------------------------------------------------------------


def test_an_expired_report_says_so_and_its_download_is_gone_not_an_error(client, manager):
    report = _report(manager)
    retention.delete_expired_files(timezone.now() + LATER)
    client.force_login(manager)

    status = client.get(reverse("reports:status", args=[report.pk]))
    body = status.content.decode()
    assert status.status_code == 200 and "This report has expired" in body
    assert "Ask for the report again" in body and reverse("reports:download", args=[report.pk]) not in body

    download = client.get(reverse("reports:download", args=[report.pk]))
    assert download.status_code == 410 and "This report has expired" in download.content.decode()
    assert download["Content-Type"].startswith("text/html")

    index = client.get(reverse("reports:index")).content.decode()
    assert "Expired" in index

    # Asking again makes a new request (on the embedded default, ready at once).
    again = client.post(reverse("reports:request"), {"kind": "board", "term": report.term_id})
    assert again.status_code == 302 and ReportRequest.objects.count() == 2


def test_an_expired_import_says_so_and_cannot_be_previewed_or_applied(client, vsh):
    run = _import_run(vsh)
    assert run.can_apply
    retention.delete_expired_files(timezone.now() + LATER)
    run.refresh_from_db()
    client.force_login(vsh)

    page = client.get(reverse("imports:run", args=[run.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "The uploaded file has expired" in body
    assert "Confirm and import" not in body and "Preview the file again" not in body

    with pytest.raises(import_services.ImportNotApplicable, match="deleted"):
        import_services.apply_import(run, vsh)
    with pytest.raises(import_services.ImportNotApplicable, match="deleted"):
        import_services.preview_again(run, user=vsh)
    # Through the pages: a message, not an error.
    applied = client.post(reverse("imports:apply", args=[run.pk]), follow=True)
    assert applied.status_code in (200, 400) and "upload the file again" in applied.content.decode()
    refreshed = client.post(reverse("imports:refresh", args=[run.pk]), follow=True)
    assert refreshed.status_code in (200, 400) and "upload the file again" in refreshed.content.decode()
    run.refresh_from_db()
    assert run.status == "previewed"  # nothing was applied


def test_a_failed_message_whose_attachment_expired_cannot_be_resent():
    email = _email(STATUS.failed)
    notice = Notice.objects.create(email=email, kind=NoticeKind.SOCIAL_CARE_REPORT)
    retention.delete_expired_files(timezone.now() + LATER)
    with pytest.raises(ValidationError, match="attachment has been deleted"):
        resend(notice, UserFactory(role=Role.VSH))
    email.refresh_from_db()
    assert email.status == STATUS.failed
