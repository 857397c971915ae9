"""sampling.tasks, the management commands and the beat schedules.

Two kinds of test:

- eager (always run): the tasks run in-process (CELERY_TASK_ALWAYS_EAGER), as they do
  without REDIS_URL;
- real worker (``services``): a Celery worker is started as a subprocess on a queue of
  its own, against the test database and Redis. It needs REDIS_URL (Redis reachable) and
  a PostgreSQL DATABASE_URL, because a worker process cannot share SQLite's in-memory test
  database. Without them these tests skip ("service unavailable"); in CI
  (HVS_REQUIRE_SERVICES=1) they fail instead.

An unknown term id is a permanent failure: ``draw_term_samples_task`` raises
``Term.DoesNotExist`` (not retried), which ``AsyncResult.get()`` raises in the caller.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from post_office.models import STATUS, Email

from core.vocabulary import Role, Season
from hvs_qa.celery import app
from notices.models import NoticeKind
from peps.models import Child, PepStatus, Term
from reviews.services import save_review, start_review
from sampling import services
from sampling.models import Sample, SampleEntry, SampleKind
from sampling.services import reminders
from sampling.tasks import draw_samples_for_open_terms, draw_term_samples_task, send_worklist_reminders

from .factories import ChildFactory, PepFactory, TermFactory, UserFactory, rate_all
from .services import RESULT_TIMEOUT

BASE_DIR = Path(__file__).resolve().parent.parent
MISSING_TERM_ID = 987654


# --- a small school: two teams, an open term and the one before it -------------------


def build_school(children_per_officer: int = 8) -> dict:
    """Two managers with two officers each; every officer's children have a submitted PEP
    in the open term and the last one. The open term's line-management QA is due tomorrow."""
    today = timezone.localdate()
    open_term = TermFactory(
        academic_year=2090,
        season=Season.AUTUMN,
        start_date=today - timedelta(days=40),
        end_date=today + timedelta(days=60),
        pep_deadline=today - timedelta(days=20),
    )
    past_term = TermFactory(
        academic_year=2089,
        season=Season.SUMMER,
        start_date=today - timedelta(days=160),
        end_date=today - timedelta(days=41),
        pep_deadline=today - timedelta(days=120),
    )
    managers = [UserFactory(role=Role.MANAGER, email=f"manager{n}@example.org") for n in range(2)]
    officers = [UserFactory(role=Role.OFFICER, line_manager=m) for m in managers for _ in range(2)]
    for officer in officers:
        for _ in range(children_per_officer):
            child = ChildFactory(allocated_officer=officer)
            for term in (past_term, open_term):
                PepFactory(child=child, term=term, officer=officer, status=PepStatus.SUBMITTED)
    return {"open": open_term, "past": past_term, "managers": managers, "officers": officers}


def sample_counts(term: Term) -> tuple[int, int]:
    return Sample.objects.filter(term=term).count(), SampleEntry.objects.filter(sample__term=term).count()


# --- eager mode ------------------------------------------------------------------------


@pytest.mark.django_db
def test_draw_task_draws_the_open_term_and_a_second_run_adds_nothing(eager):
    school = build_school()

    lines = draw_samples_for_open_terms.delay().get()

    assert len(lines) == 1 and lines[0].startswith(str(school["open"]))
    samples, entries = sample_counts(school["open"])
    assert samples >= 4  # a line-management sample per officer, at least
    # 25% of 8, rounded up, per officer
    assert (
        SampleEntry.objects.filter(sample__term=school["open"], sample__kind=SampleKind.LINE_MANAGEMENT).count()
        == 4 * 2
    )
    assert sample_counts(school["past"]) == (0, 0)  # only open terms

    again = draw_samples_for_open_terms.delay().get()
    assert again == [f"{school['open']}: 0 new samples, 0 new entries"]
    assert sample_counts(school["open"]) == (samples, entries)


@pytest.mark.django_db
def test_draw_term_task_draws_any_term_and_an_unknown_one_raises(eager):
    school = build_school(children_per_officer=4)

    line = draw_term_samples_task.delay(school["past"].pk).get()

    assert line.startswith(str(school["past"]))
    assert sample_counts(school["past"])[1] > 0
    assert draw_term_samples_task.delay(school["past"].pk).get().endswith("0 new samples, 0 new entries")
    with pytest.raises(Term.DoesNotExist):
        draw_term_samples_task.delay(MISSING_TERM_ID)


def _child_names() -> set[str]:
    return {name for pair in Child.objects.values_list("first_name", "last_name") for name in pair}


def queued(kind=NoticeKind.QA_REMINDER) -> list[Email]:
    """The messages of ``kind`` in the outbox, oldest first."""
    return list(Email.objects.filter(notice__kind=kind).order_by("pk"))


@pytest.mark.django_db
def test_reminders_one_email_per_reviewer_without_names_and_not_twice(eager):
    school = build_school()
    draw_samples_for_open_terms.delay().get()
    managers = school["managers"]

    assert send_worklist_reminders.delay().get() == 2

    outbox = queued()
    assert sorted(m.to[0] for m in outbox) == sorted(m.email for m in managers)
    assert all(len(m.to) == 1 and not m.cc for m in outbox)
    for message in outbox:
        reviewer = next(m for m in managers if m.email == message.to[0])
        entries = SampleEntry.objects.filter(assigned_to=reviewer).select_related("pep__child")
        text = message.subject + "\n" + message.message
        for entry in entries:
            assert entry.pep.child.la_reference in text
            assert entry.reminded_at is not None
        assert text.count("\n- ") == entries.count()
        assert f"{settings.SITE_URL}{reverse('reviews:worklist')}" in message.message
        assert "due " in message.message
        for name in _child_names():
            assert name not in text
        assert message.notice.recipients.get().name == str(reviewer)
    # Idempotent: nothing more the same day, or within the week.
    assert send_worklist_reminders.delay().get() == 0
    assert services.send_worklist_reminders(today=timezone.localdate() + timedelta(days=6)) == 0
    assert len(queued()) == 2
    # A week on, what is still not done is reminded again.
    assert services.send_worklist_reminders(today=timezone.localdate() + timedelta(days=7)) == 2


@pytest.mark.django_db
def test_a_reminder_is_delivered_once_its_stamps_commit(eager, mailoutbox, django_capture_on_commit_callbacks):
    school = build_school(children_per_officer=4)
    services.draw_term_samples(school["open"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.send_worklist_reminders() == 2
        assert not mailoutbox  # nothing is sent before the commit
    # One delivery, after the commit (here the test's transaction holds both reviewers').
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in school["managers"])
    assert {m.subject for m in mailoutbox} == {"PEP QA: 2 PEPs to review"}
    assert Email.objects.filter(status=STATUS.sent).count() == 2


@pytest.mark.django_db
def test_a_reminder_that_fails_leaves_no_stamp_and_no_message(eager, monkeypatch):
    school = build_school(children_per_officer=4)
    services.draw_term_samples(school["open"])

    def refuse(**kwargs):
        raise RuntimeError("the outbox is unwritable")

    monkeypatch.setattr(reminders, "queue_message", refuse)
    with pytest.raises(RuntimeError):
        services.send_worklist_reminders()
    assert not SampleEntry.objects.filter(reminded_at__isnull=False).exists()
    assert not Email.objects.exists()


@pytest.mark.django_db
def test_reminders_leave_out_done_entries_draft_peps_and_entries_not_due_yet(eager, settings):
    school = build_school()
    _call("draw_samples")
    manager = school["managers"][0]
    mine = list(SampleEntry.objects.filter(assigned_to=manager).select_related("pep"))
    done, draft, *rest = mine
    review = start_review(done.pep, manager)
    save_review(
        review,
        rate_all(review, ["green"] * review.area_ratings.count()),
        strengths="s",
        development_points="d",
        submit=True,
    )
    done.refresh_from_db()
    assert done.is_done  # ticked off by the review
    draft.pep.status = PepStatus.DRAFT
    draft.pep.save()

    services.send_worklist_reminders()

    body = next(m.message for m in queued() if m.to == [manager.email])
    assert done.pep.child.la_reference not in body
    assert draft.pep.child.la_reference not in body
    assert all(e.pep.child.la_reference in body for e in rest)

    # Due after QA_REMINDER_DAYS_BEFORE_DUE days: not yet; due today: reminded.
    settings.QA_REMINDER_DAYS_BEFORE_DUE = 0
    SampleEntry.objects.update(reminded_at=None, due_date=timezone.localdate() + timedelta(days=1))
    assert services.send_worklist_reminders() == 0
    SampleEntry.objects.update(due_date=timezone.localdate())
    assert services.send_worklist_reminders() == 2


@pytest.mark.django_db
def test_draw_samples_command():
    school = build_school(children_per_officer=4)

    out = _call("draw_samples")
    assert out.startswith(str(school["open"])) and "new entries" in out
    assert sample_counts(school["past"]) == (0, 0)
    assert _call("draw_samples").strip() == f"{school['open']}: 0 new samples, 0 new entries"

    out = _call("draw_samples", term=school["past"].pk)
    assert out.startswith(str(school["past"])) and sample_counts(school["past"])[1] > 0

    out = _call("draw_samples", all_terms=True)
    assert out.splitlines() == [
        f"{school['past']}: 0 new samples, 0 new entries",
        f"{school['open']}: 0 new samples, 0 new entries",
    ]
    with pytest.raises(CommandError, match="No term with id"):
        _call("draw_samples", term=MISSING_TERM_ID)


@pytest.mark.django_db
def test_draw_samples_command_with_no_open_term():
    assert "no term is open" in _call("draw_samples")


@pytest.mark.django_db
def test_send_worklist_reminders_command():
    build_school(children_per_officer=4)
    _call("draw_samples")

    assert _call("send_worklist_reminders").strip() == "Sent 2 reminder emails."
    assert _call("send_worklist_reminders").strip() == "Sent 0 reminder emails."
    next_week = (timezone.localdate() + timedelta(days=7)).isoformat()
    assert _call("send_worklist_reminders", today=next_week).strip() == "Sent 2 reminder emails."
    assert len(queued()) == 4
    with pytest.raises(CommandError, match="--date"):
        _call("send_worklist_reminders", today="next tuesday")


def _call(*args, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_the_schedules_are_seeded_for_beat():
    draw = PeriodicTask.objects.select_related("crontab").get(name="Draw and top up this term's QA samples")
    assert draw.task == "sampling.tasks.draw_samples_for_open_terms" and draw.enabled
    assert (draw.crontab.minute, draw.crontab.hour, draw.crontab.day_of_week) == ("0", "6", "*")
    assert str(draw.crontab.timezone) == "Europe/London"
    remind = PeriodicTask.objects.select_related("crontab").get(name="QA worklist reminders")
    assert remind.task == "sampling.tasks.send_worklist_reminders"
    assert (remind.crontab.minute, remind.crontab.hour, remind.crontab.day_of_week) == ("30", "7", "1-5")
    # The tasks the schedules name exist.
    assert {draw.task, remind.task} <= set(app.tasks)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, task, minute",
    [
        ("Overdue PEP amendments: reminders and escalations", "reviews.tasks.chase_amendments", "45"),
        ("Overdue QA: escalations", "sampling.tasks.escalate_overdue_qa", "50"),
    ],
)
def test_the_chasing_schedules_run_on_weekday_mornings_after_the_reminders(name, task, minute):
    schedule = PeriodicTask.objects.select_related("crontab").get(name=name)
    app.loader.import_default_modules()  # as a worker does: every app's tasks module
    assert schedule.task == task and schedule.enabled and task in app.tasks
    crontab = schedule.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == (minute, "7", "1-5")
    assert str(crontab.timezone) == "Europe/London"


# --- a real worker -------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_draws_the_open_term_and_a_second_run_adds_nothing(worker_queue):
    school = build_school()

    lines = draw_samples_for_open_terms.apply_async(queue=worker_queue).get(timeout=RESULT_TIMEOUT)

    assert len(lines) == 1 and lines[0].startswith(str(school["open"]))
    samples, entries = sample_counts(school["open"])  # seen from the test's own connection
    assert samples >= 4 and entries >= 8
    assert f"{samples} new samples, {entries} new entries" in lines[0]

    again = draw_samples_for_open_terms.apply_async(queue=worker_queue).get(timeout=RESULT_TIMEOUT)
    assert again == [f"{school['open']}: 0 new samples, 0 new entries"]
    assert sample_counts(school["open"]) == (samples, entries)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_draws_one_term_and_fails_cleanly_for_an_unknown_term(worker_queue):
    school = build_school(children_per_officer=4)

    line = draw_term_samples_task.apply_async(args=[school["past"].pk], queue=worker_queue).get(timeout=RESULT_TIMEOUT)
    assert line.startswith(str(school["past"])) and sample_counts(school["past"])[1] > 0

    result = draw_term_samples_task.apply_async(args=[MISSING_TERM_ID], queue=worker_queue)
    with pytest.raises(Exception, match="does not exist") as raised:
        result.get(timeout=RESULT_TIMEOUT)
    assert type(raised.value).__name__ == "DoesNotExist"
    assert result.state == "FAILURE"


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_sends_reminders_once(worker_queue):
    school = build_school(children_per_officer=4)
    services.draw_term_samples(school["open"])

    assert send_worklist_reminders.apply_async(queue=worker_queue).get(timeout=RESULT_TIMEOUT) == 2
    assert not SampleEntry.objects.filter(sample__term=school["open"], reminded_at=None).exists()
    assert send_worklist_reminders.apply_async(queue=worker_queue).get(timeout=RESULT_TIMEOUT) == 0
