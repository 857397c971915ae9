"""reporting.social_care: each social care team's manager is sent their own team's
exceptions (an e-mail listing them, the team's PDF attached), termly by the schedule and
when the VSH asks; once per team per term (the schedule) or per send (the VSH).

The world is tests/conftest.py's ``social_care_world``: Alpha (2 exceptions), Beta (1),
Gamma (1, no manager e-mail), Delta (nothing to report), and a child with no social worker.
"""

import io
import os
import re
import shutil
import subprocess
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django_celery_beat.models import PeriodicTask
from post_office.models import Email
from pypdf import PdfReader

from core.vocabulary import Role
from hvs_qa.celery import app
from notices.models import Notice, NoticeKind
from reporting import social_care
from reporting.models import (
    SEND_UNAVAILABLE,
    SocialCareDispatch,
    SocialCareOutcome,
    SocialCareSend,
    SocialCareSendStatus,
    SocialCareTrigger,
)
from reporting.tasks import send_scheduled_social_care_reports, send_social_care_reports

from .conftest import celery_broker_at, free_port
from .factories import SocialCareTeamFactory, TermFactory, UserFactory
from .services import RESULT_TIMEOUT, require_service

pytestmark = pytest.mark.django_db

REF = re.compile(r"\b(?:ALPHA|BETA|GAMMA|DELTA|NOSW)-\d{4}\b")
# The schedule's day for the world's term: 14 days after its PEP deadline (27 Oct 2003).
SEND_DAY = date(2003, 11, 10)
PDFTOTEXT = shutil.which("pdftotext")
# Amy Worker (Alpha) has nothing to report: she is in no report.
WORKERS = {"Al Worker", "Amy Worker", "Bea Worker", "Gus Worker", "Dan Worker"}


def pdf_texts(content: bytes) -> list[str]:
    """The PDF's text by pypdf, and by pdftotext where installed, whitespace collapsed."""
    texts = [" ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages).split())]
    if PDFTOTEXT:
        out = subprocess.run([PDFTOTEXT, "-layout", "-", "-"], input=content, capture_output=True, check=True)
        texts.append(" ".join(out.stdout.decode().split()))
    return texts


def attachment_of(email: Email) -> tuple[str, bytes]:
    (attachment,) = email.attachments.all()
    with attachment.file.open("rb") as handle:
        return attachment.name, handle.read()


def outbox_by_address() -> dict[str, Email]:
    emails = {}
    for email in Email.objects.all():
        (address,) = email.to
        assert address not in emails, f"{address} was sent two reports"
        emails[address] = email
    return emails


# --- when -----------------------------------------------------------------------------


def test_the_send_date_is_days_after_the_deadline_and_never_after_the_term(social_care_world, settings):
    term = social_care_world.term
    assert social_care.send_date(term) == SEND_DAY
    settings.SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE = 100
    assert social_care.send_date(term) == term.end_date


def test_terms_due_are_the_open_terms_whose_send_date_has_come(social_care_world):
    term = social_care_world.term
    assert social_care.terms_due(SEND_DAY - timedelta(days=1)) == []
    assert social_care.terms_due(SEND_DAY) == [term]
    assert social_care.terms_due(term.end_date) == [term]
    assert social_care.terms_due(term.end_date + timedelta(days=1)) == []  # an ended term is not sent late


# --- one team, and nobody else's ------------------------------------------------------


def test_the_schedule_emails_the_managers_with_something_to_report_each_their_own_pdf(social_care_world, stub_pdf):
    dispatched = social_care.send_scheduled(SEND_DAY)

    assert sorted(d.team.name for d in dispatched) == ["Alpha team", "Beta team", "Delta team"]
    # Gamma has no manager e-mail; Delta has nothing to report; nobody gets the no-SW row.
    emails = outbox_by_address()
    assert set(emails) == {"ann.alpha@council.example", "bob.beta@council.example"}
    for address, team in (("ann.alpha@council.example", "Alpha team"), ("bob.beta@council.example", "Beta team")):
        name, content = attachment_of(emails[address])
        assert content == f"%PDF {team}".encode()
        assert name == f"social-care-{team.split()[0].lower()}-team-autumn-2003-04.pdf"
    assert "GAMMA-0001" not in " ".join(e.message for e in emails.values())
    assert "NOSW-0001" not in " ".join(e.message for e in emails.values())


@pytest.mark.parametrize(
    ("team", "address", "refs", "worker"),
    [
        ("alpha", "ann.alpha@council.example", {"ALPHA-0001", "ALPHA-0002"}, "Al Worker"),
        ("beta", "bob.beta@council.example", {"BETA-0001"}, "Bea Worker"),
    ],
)
def test_a_manager_sees_their_own_teams_rows_only_in_the_email_and_in_the_pdf(
    social_care_world, team, address, refs, worker
):
    social_care.dispatch_team(social_care_world.term, social_care_world.teams[team], today=SEND_DAY)

    email = Email.objects.get()
    assert email.to == [address]
    own = social_care_world.teams[team].name
    others = {"Alpha team", "Beta team", "Gamma team", "Delta team", "No social worker recorded"} - {own}
    _name, content = attachment_of(email)
    texts = pdf_texts(content)
    for text in [email.subject, email.message, *texts]:
        assert set(REF.findall(text)) <= refs, "another team's child"
        assert not [other for other in others if other in text], "another team"
        assert not [w for w in WORKERS - {worker} if w in text], "another team's social worker"
        # No child's name anywhere.
        for pep in social_care_world.peps.values():
            assert pep.child.first_name not in text and pep.child.last_name not in text
    for text in [email.message, *texts]:
        assert set(REF.findall(text)) == refs and worker in text
        assert "OFFICIAL-SENSITIVE" in text
    assert own in email.subject


def test_the_email_lists_each_row_with_its_social_worker_and_what_was_missed(social_care_world):
    social_care.dispatch_team(social_care_world.term, social_care_world.teams["alpha"], today=SEND_DAY)
    email = Email.objects.get()
    assert email.to == ["ann.alpha@council.example"]
    assert email.subject == (
        "Alpha team: social workers and PEPs, Autumn 2003/04 – 1 meeting not attended, 1 section not updated"
    )
    body = email.message
    assert body.startswith("Dear Ann Alpha,")
    assert "1. ALPHA-0001 – Al Worker; meeting 22 September 2003; did not attend\n" in body
    assert "2. ALPHA-0002 – Al Worker; meeting 22 September 2003; section not updated\n" in body
    assert "ALPHA-0003" not in body and "Amy Worker" not in body  # all done: not listed
    assert "Hillingdon Virtual School" in body
    notice = Notice.objects.get()
    assert notice.kind == NoticeKind.SOCIAL_CARE_REPORT and notice.pep is None
    assert list(notice.recipients.values_list("address", "name", "part")) == [
        ("ann.alpha@council.example", "Ann Alpha", "social care team manager")
    ]
    dispatch = SocialCareDispatch.objects.get()
    assert (dispatch.outcome, dispatch.notice, dispatch.peps, dispatch.not_attended, dispatch.not_updated) == (
        SocialCareOutcome.SENT,
        notice,
        2,
        1,
        1,
    )
    assert (dispatch.manager_name, dispatch.manager_email) == ("Ann Alpha", "ann.alpha@council.example")


def test_the_pdf_reads_as_the_teams_own_report(social_care_world):
    social_care.dispatch_team(social_care_world.term, social_care_world.teams["beta"], today=SEND_DAY)
    _name, content = attachment_of(Email.objects.get())
    for text in pdf_texts(content):
        assert "Beta team: social workers and PEPs" in text and "Autumn 2003/04" in text
        assert "For Bob Beta, team manager" in text
        assert "Bea Worker" in text and "No meeting recorded" in text and "Section not updated" in text
        assert "Did not attend" in text  # the column, not a row: Beta's meeting was not held
        assert "Produced 10 November 2003" in text
        assert "BETA-0009" not in text  # a draft


def test_the_message_is_delivered_after_the_commit_with_the_pdf_attached(
    social_care_world, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        social_care.dispatch_team(social_care_world.term, social_care_world.teams["alpha"], today=SEND_DAY)
        assert mail.outbox == []  # nothing leaves inside the transaction
    (message,) = mail.outbox
    assert message.to == ["ann.alpha@council.example"]
    ((name, content, mimetype),) = message.attachments
    assert name.endswith(".pdf") and content.startswith(b"%PDF") and mimetype == "application/pdf"
    assert set(REF.findall(" ".join(pdf_texts(content)))) == {"ALPHA-0001", "ALPHA-0002"}


def test_a_pdf_that_fails_leaves_nothing_behind(social_care_world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("out of fonts")

    monkeypatch.setattr(social_care.pdf, "social_care_team_report_pdf", broken)
    with pytest.raises(RuntimeError):
        social_care.dispatch_team(social_care_world.term, social_care_world.teams["alpha"])
    assert not SocialCareDispatch.objects.exists() and not Email.objects.exists() and not Notice.objects.exists()
    # The schedule logs it and goes on with the other teams; Alpha waits for the next run.
    assert {d.team.name for d in social_care.send_scheduled(SEND_DAY)} == {"Delta team"}  # Beta's PDF fails too
    monkeypatch.undo()
    assert {d.team.name for d in social_care.send_scheduled(SEND_DAY)} == {"Alpha team", "Beta team"}


# --- nothing to report, no e-mail ------------------------------------------------------


def test_a_team_with_nothing_to_report_gets_nothing_by_default_and_a_nil_return_if_asked(social_care_world, settings):
    term, delta = social_care_world.term, social_care_world.teams["delta"]
    nil = social_care.dispatch_team(term, delta)
    assert nil.outcome == SocialCareOutcome.NIL and nil.notice is None and nil.peps == 0
    assert not Email.objects.exists()

    settings.SOCIAL_CARE_REPORT_SEND_NIL_RETURNS = True
    sent = social_care.dispatch_team(term, delta, send=SocialCareSend.objects.create(term=term, token=uuid.uuid4()))
    assert sent.outcome == SocialCareOutcome.SENT
    email = Email.objects.get()
    assert email.to == ["dot.delta@council.example"] and email.subject.endswith("– nothing to report")
    assert "Nothing to report for Delta team, Autumn 2003/04" in email.message
    _name, content = attachment_of(email)
    assert all("No exceptions this term" in text and not REF.findall(text) for text in pdf_texts(content))


def test_a_team_with_no_manager_email_is_not_sent_and_not_recorded(social_care_world, stub_pdf):
    gamma = social_care_world.teams["gamma"]
    assert social_care.dispatch_team(social_care_world.term, gamma) is None
    assert not SocialCareDispatch.objects.exists() and not Email.objects.exists()
    # Once the address is recorded, the next day's run sends it (the term is still open).
    social_care.send_scheduled(SEND_DAY)
    gamma.manager_email = "gil.gamma@council.example"
    gamma.save()
    (dispatch,) = social_care.send_scheduled(SEND_DAY + timedelta(days=1))
    assert dispatch.team == gamma and outbox_by_address()["gil.gamma@council.example"]


# --- the schedule: once per team per term -----------------------------------------------


def test_the_schedule_sends_nothing_before_the_send_date_and_once_from_it(social_care_world, stub_pdf):
    assert social_care.send_scheduled(SEND_DAY - timedelta(days=1)) == []
    first = social_care.send_scheduled(SEND_DAY)
    assert len(first) == 3 and Email.objects.count() == 2
    assert {d.trigger for d in first} == {SocialCareTrigger.SCHEDULED} and all(d.send is None for d in first)
    # Every later run this term, and a run the same day, sends nothing more.
    for day in (SEND_DAY, SEND_DAY + timedelta(days=1), social_care_world.term.end_date):
        assert social_care.send_scheduled(day) == []
    assert Email.objects.count() == 2 and SocialCareDispatch.objects.count() == 3


def test_a_second_scheduled_dispatch_of_a_team_meets_the_constraint(social_care_world, stub_pdf):
    term, alpha = social_care_world.term, social_care_world.teams["alpha"]
    assert social_care.dispatch_team(term, alpha) is not None
    # As two runs at once would: the second finds it done.
    assert social_care.dispatch_team(term, alpha) is None
    assert SocialCareDispatch.objects.filter(team=alpha).count() == 1 and Email.objects.count() == 1


def test_the_task_runs_the_schedule_and_beat_has_it(social_care_world, stub_pdf, eager, monkeypatch):
    monkeypatch.setattr(social_care.timezone, "localdate", lambda: SEND_DAY)
    assert send_scheduled_social_care_reports.delay().get() == 3
    assert send_scheduled_social_care_reports.delay().get() == 0
    task = PeriodicTask.objects.select_related("crontab").get(name="Social care reports to the team managers (termly)")
    assert task.task == "reporting.tasks.send_scheduled_social_care_reports" and task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "8", "1-5")
    assert str(task.crontab.timezone) == "Europe/London"
    assert task.task in app.tasks


# --- the VSH's send: once per team per send ----------------------------------------------


def test_the_vshs_send_records_who_asked_and_each_team_once(
    social_care_world, stub_pdf, vsh, eager, django_capture_on_commit_callbacks
):
    token = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        send, created = social_care.request_send(social_care_world.term, vsh, token)
    assert created
    send.refresh_from_db()
    assert send.status == SocialCareSendStatus.DONE and send.requested_by == vsh and send.finished_at
    assert sorted(send.dispatches.values_list("team__name", "outcome")) == [
        ("Alpha team", "sent"),
        ("Beta team", "sent"),
        ("Delta team", "nil"),
    ]
    assert {d.trigger for d in send.dispatches.all()} == {SocialCareTrigger.ON_DEMAND}
    assert Notice.objects.filter(caused_by=vsh).count() == 2

    # The same token again (a double click): the same send, nothing queued or sent.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, created = social_care.request_send(social_care_world.term, vsh, token)
    assert (again, created, callbacks) == (send, False, [])
    # The task delivered twice: nothing more.
    assert send_social_care_reports.delay(send.pk).get() == SocialCareSendStatus.DONE
    assert Email.objects.count() == 2

    # Asking again deliberately (a new token) sends again; the schedule is not affected.
    with django_capture_on_commit_callbacks(execute=True):
        social_care.request_send(social_care_world.term, vsh, uuid.uuid4())
    assert Email.objects.count() == 4 and SocialCareSend.objects.count() == 2
    assert len(social_care.send_scheduled(SEND_DAY)) == 3 and Email.objects.count() == 6


def test_a_send_run_again_before_it_finished_dispatches_only_the_teams_not_done(social_care_world, stub_pdf, vsh):
    send = SocialCareSend.objects.create(term=social_care_world.term, requested_by=vsh, token=uuid.uuid4())
    social_care.dispatch_team(send.term, social_care_world.teams["alpha"], send=send)  # then the worker died
    assert social_care.run_send(send.pk).status == SocialCareSendStatus.DONE
    assert sorted(send.dispatches.values_list("team__name", flat=True)) == ["Alpha team", "Beta team", "Delta team"]
    assert Email.objects.count() == 2


def test_a_team_that_fails_in_a_send_is_recorded_and_the_others_go(social_care_world, vsh, monkeypatch):
    real = social_care.pdf.social_care_team_report_pdf

    def fails_for_beta(term, team, today=None):
        if team.name == "Beta team":
            raise RuntimeError("out of paper")
        return real(term, team, today)

    monkeypatch.setattr(social_care.pdf, "social_care_team_report_pdf", fails_for_beta)
    send = SocialCareSend.objects.create(term=social_care_world.term, requested_by=vsh, token=uuid.uuid4())
    send = social_care.run_send(send.pk)
    assert send.status == SocialCareSendStatus.FAILED and send.error == "Beta team: RuntimeError: out of paper"
    assert list(outbox_by_address()) == ["ann.alpha@council.example"]


def test_only_the_vsh_may_send(social_care_world):
    for role in (Role.OFFICER, Role.MANAGER, Role.LEAD, Role.ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            social_care.request_send(social_care_world.term, UserFactory(role=role), uuid.uuid4())
    assert not SocialCareSend.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_background_service_down_the_send_fails_at_once_and_says_so(social_care_world, vsh):
    with celery_broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        send, created = social_care.request_send(social_care_world.term, vsh, uuid.uuid4())
    assert created and send.not_queued and send.error == SEND_UNAVAILABLE
    send.refresh_from_db()
    assert send.status == SocialCareSendStatus.FAILED and send.not_queued
    assert not SocialCareDispatch.objects.exists() and not Email.objects.exists()


# --- what a send would send -------------------------------------------------------------


def test_the_plan_lists_every_team_with_its_counts_and_what_would_happen(social_care_world, settings):
    SocialCareTeamFactory(name="Echo team", manager_email="")  # no social workers, no e-mail
    plan = {row.team.name: row for row in social_care.send_plan(social_care_world.term)}
    assert list(plan) == [
        "Alpha team",
        "Beta team",
        "Delta team",
        "Echo team",
        "Gamma team",
        "No social worker recorded",
    ]
    summary = {
        name: (row.team.not_attended, row.team.not_updated, row.will_send, row.sendable, row.nothing_to_report)
        for name, row in plan.items()
    }
    assert summary == {
        "Alpha team": (1, 1, True, True, False),
        "Beta team": (0, 1, True, True, False),
        "Delta team": (0, 0, False, True, True),
        "Echo team": (0, 0, False, False, True),
        "Gamma team": (1, 1, False, False, False),
        "No social worker recorded": (1, 1, False, False, False),
    }
    settings.SOCIAL_CARE_REPORT_SEND_NIL_RETURNS = True
    plan = {row.team.name: row for row in social_care.send_plan(social_care_world.term)}
    assert plan["Delta team"].will_send and not plan["Echo team"].will_send


def test_an_unknown_send_is_not_retried(eager):
    with pytest.raises(SocialCareSend.DoesNotExist):
        send_social_care_reports.delay(0)


def test_a_term_with_no_teams_sends_nothing():
    term = TermFactory(academic_year=2004, season="autumn")
    assert social_care.send_scheduled(social_care.send_date(term)) == []


# --- a real worker -----------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_sends_the_vshs_reports_once(worker_queue, social_care_world, vsh, settings):
    require_service("celery worker", bool(worker_queue))
    # The worker writes the attachments under its own MEDIA_ROOT (the environment's).
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", settings.BASE_DIR / "media"))
    send = SocialCareSend.objects.create(term=social_care_world.term, requested_by=vsh, token=uuid.uuid4())
    try:
        for _ in range(2):  # delivered twice: sent once
            result = send_social_care_reports.apply_async(args=[send.pk], queue=worker_queue)
            assert result.get(timeout=RESULT_TIMEOUT) == SocialCareSendStatus.DONE
        assert sorted(send.dispatches.values_list("team__name", "outcome")) == [
            ("Alpha team", "sent"),
            ("Beta team", "sent"),
            ("Delta team", "nil"),
        ]
        assert sorted(address for email in Email.objects.all() for address in email.to) == [
            "ann.alpha@council.example",
            "bob.beta@council.example",
        ]
    finally:
        for email in Email.objects.all():
            for attachment in email.attachments.all():
                attachment.file.delete(save=False)
