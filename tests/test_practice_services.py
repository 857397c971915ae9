"""practice/services.py: the PEPs each member brings to a peer review, the actions agreed
there and their outcomes; and migration 0004, which turned the free-text actions into
records."""

from datetime import date, timedelta
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from access.policy import meeting_peps
from core.vocabulary import Role
from practice.models import ActionStatus, PeerReviewMeeting, PeerReviewPep, PracticeAction
from practice.services import (
    NotTheMembersPep,
    PeerReviewError,
    TooManyPeps,
    add_pep_to_meeting,
    agree_meeting_action,
    latest_submitted_review,
    record_action_outcome,
)

from .factories import ChildFactory, PepFactory, ProFormaAreaFactory, QaReviewFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(manager, officer, pep):
    meeting = PeerReviewMeeting.objects.create(
        date=pep.term.start_date, term=pep.term, focus="targets", recorded_by=manager
    )
    meeting.attendees.set([manager, officer])
    return meeting


def _peps_of(officer, term, n):
    return [PepFactory(child=ChildFactory(allocated_officer=officer), term=term, status="finalised") for _ in range(n)]


def test_a_member_brings_two_and_a_third_is_refused(meeting, officer, pep):
    second, third = _peps_of(officer, pep.term, 2)
    for item in (pep, second):
        _, added = add_pep_to_meeting(meeting, officer, item, eligible=meeting_peps(officer))
        assert added
    with pytest.raises(TooManyPeps, match="has brought 2 PEPs already"):
        add_pep_to_meeting(meeting, officer, third, eligible=meeting_peps(officer))
    assert PeerReviewPep.objects.filter(meeting=meeting, member=officer).count() == 2


def test_a_pep_twice_is_already_there_not_an_error(meeting, officer, pep):
    first, added = add_pep_to_meeting(meeting, officer, pep, "Strong voice", eligible=meeting_peps(officer))
    again, added_again = add_pep_to_meeting(meeting, officer, pep.pk, eligible=meeting_peps(officer))
    assert added and not added_again and again == first
    # Even once the member has two, the double click reads "already there".
    add_pep_to_meeting(meeting, officer, _peps_of(officer, pep.term, 1)[0], eligible=meeting_peps(officer))
    assert add_pep_to_meeting(meeting, officer, pep, eligible=meeting_peps(officer))[1] is False
    assert PeerReviewPep.objects.count() == 2


def test_another_teams_pep_is_refused(meeting, officer, other_pep):
    with pytest.raises(NotTheMembersPep):
        add_pep_to_meeting(meeting, officer, other_pep, eligible=meeting_peps(officer))
    assert not PeerReviewPep.objects.exists()


def test_an_action_is_owned_by_an_attendee(meeting, officer, other_officer, manager):
    area = ProFormaAreaFactory()
    action, agreed = agree_meeting_action(
        meeting,
        description="Share two Gold targets",
        owner=officer,
        due=date(2031, 1, 1),
        area=area,
        created_by=manager,
    )
    assert agreed and (action.peer_review, action.supervision, action.status, action.area) == (
        meeting,
        None,
        "open",
        area,
    )
    with pytest.raises(PeerReviewError, match="attendees"):
        agree_meeting_action(meeting, description="x", owner=other_officer, due=date(2031, 1, 1), created_by=manager)
    assert PracticeAction.objects.count() == 1


def test_the_same_action_twice_is_agreed_once(meeting, officer, manager):
    """A double click on "Add the action", or a second tab: one action, "already added"."""
    area = ProFormaAreaFactory()
    same = {"description": "Share two Gold targets", "owner": officer, "due": date(2031, 1, 1), "area": area}
    first, agreed = agree_meeting_action(meeting, created_by=manager, **same)
    again, agreed_again = agree_meeting_action(
        meeting, created_by=manager, **{**same, "description": " Share two Gold targets "}
    )
    assert agreed and not agreed_again and again == first
    # A different action (another due date, another owner) is a new one.
    assert agree_meeting_action(meeting, created_by=manager, **{**same, "due": date(2031, 2, 1)})[1]
    assert agree_meeting_action(meeting, created_by=manager, **{**same, "owner": manager})[1]
    assert PracticeAction.objects.count() == 3


def test_the_action_links_the_peps_latest_submitted_review(pep):
    assert latest_submitted_review(None) is None
    assert latest_submitted_review(pep) is None
    older = QaReviewFactory(pep=pep, submitted=True)
    newer = QaReviewFactory(pep=pep, submitted=True)
    QaReviewFactory(pep=pep)  # a draft is not where an action comes from
    newer.submitted_at = older.submitted_at + timedelta(hours=1)
    newer.save()
    assert latest_submitted_review(pep) == newer


def test_an_outcome_is_recorded_once(meeting, officer, manager):
    action, _ = agree_meeting_action(
        meeting, description="Do it", owner=officer, due=date(2031, 1, 1), created_by=manager
    )
    first = record_action_outcome(
        action, status=ActionStatus.DONE, outcome="Done at the next meeting", on=date(2031, 1, 2)
    )
    second = record_action_outcome(action, status=ActionStatus.NOT_DONE, outcome="Changed my mind")
    assert first.recorded and not second.recorded
    action.refresh_from_db()
    assert (action.status, action.outcome, action.closed_on) == ("done", "Done at the next meeting", date(2031, 1, 2))
    with pytest.raises(ValueError, match="done or not done"):
        record_action_outcome(action, status=ActionStatus.OPEN, outcome="")


# --- migration 0004: the free-text actions become records ------------------------------

MIGRATION = import_module("practice.migrations.0004_peer_review_actions")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_moves_the_text_actions_to_records():
    term = TermFactory()
    executor = MigrationExecutor(connection)
    executor.migrate([("practice", "0003_supervision_extra")])
    try:
        old = executor.loader.project_state([("practice", "0003_supervision_extra")]).apps
        Meeting = old.get_model("practice", "PeerReviewMeeting")
        User = old.get_model("accounts", "User")
        recorder = User.objects.get(pk=UserFactory(role=Role.MANAGER, first_name="Rita").pk)
        first, second = (User.objects.get(pk=UserFactory(first_name=n).pk) for n in ("Anna", "Bea"))
        day = date(2030, 10, 10)
        recorded = Meeting.objects.create(
            date=day, term_id=term.pk, focus="targets", recorded_by=recorder, actions="Share Gold"
        )
        unrecorded = Meeting.objects.create(date=day, term_id=term.pk, focus="targets", actions=" Train on SMART ")
        unrecorded.attendees.set([second, first])
        nobody = Meeting.objects.create(
            date=day, term_id=term.pk, focus="targets", findings="Good", actions="Call the DTs"
        )
        blank = Meeting.objects.create(date=day, term_id=term.pk, focus="targets", actions="")

        MIGRATION.move_actions_to_records(old, None)

        Action = old.get_model("practice", "PracticeAction")
        rows = {a.peer_review_id: (a.owner_id, a.due, a.description, a.status) for a in Action.objects.all()}
        assert rows == {
            recorded.pk: (recorder.pk, day + timedelta(days=28), "Share Gold", "open"),
            unrecorded.pk: (first.pk, day + timedelta(days=28), "Train on SMART", "open"),
        }
        nobody.refresh_from_db()
        assert nobody.findings == "Good\n\nActions: Call the DTs"
        assert not Action.objects.filter(peer_review_id__in=[nobody.pk, blank.pk]).exists()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    table = django_apps.get_model("practice", "PeerReviewMeeting")._meta.db_table
    with connection.cursor() as cursor:
        columns = {column.name for column in connection.introspection.get_table_description(cursor, table)}
    assert "findings" in columns and "actions" not in columns
