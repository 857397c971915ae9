"""practice/supervision.py: recording and editing a one-to-one supervision, carrying open
actions forward and recording their outcome, and training."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from audit.models import AuditEntry
from core.vocabulary import Role
from practice.models import ActionStatus, PracticeAction, Supervision, TrainingKind, TrainingStatus
from practice.selectors import carried_forward
from practice.supervision import (
    ActionInput,
    FollowUpInput,
    SupervisionChangedElsewhere,
    TrainingInput,
    mark_training,
    record_outcome,
    record_supervision,
    update_supervision,
)
from reviews.services import save_review, start_review

from .factories import PracticeActionFactory, SupervisionFactory, TrainingOfferFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def red_review(pep, manager, rate_all):
    review = start_review(pep, manager)
    return save_review(
        review,
        rate_all(review, ["red"] * 5 + ["amber"] * 3),
        strengths="",
        development_points="SMART targets",
        submit=True,
    )


def _record(officer, manager, **kwargs):
    kwargs.setdefault("date", TODAY)
    return record_supervision(officer=officer, by=manager, **kwargs)


def test_a_supervision_is_recorded_with_its_reviews_actions_and_training_in_one_go(officer, manager, red_review):
    area = red_review.area_ratings.order_by("area__position").first().area
    saved = _record(
        officer,
        manager,
        notes="Went through the Red PEP",
        reviews=[red_review],
        actions=[ActionInput("Make the targets SMART", officer, TODAY + timedelta(days=14), red_review, area)],
        training=[TrainingInput(TrainingKind.SHADOWING, "An experienced VSO", TODAY + timedelta(days=7))],
    )
    supervision = saved.supervision
    assert saved.created
    assert (supervision.officer, supervision.manager, supervision.recorded_by) == (officer, manager, manager)
    assert list(supervision.reviews.all()) == [red_review]
    action = supervision.actions.get()
    assert (action.description, action.owner, action.review, action.area, action.status, action.created_by) == (
        "Make the targets SMART",
        officer,
        red_review,
        area,
        ActionStatus.OPEN,
        manager,
    )
    offer = supervision.training.get()
    assert (offer.officer, offer.kind, offer.status) == (officer, TrainingKind.SHADOWING, TrainingStatus.PLANNED)


def test_the_same_form_token_twice_records_one_supervision(officer, manager):
    token = uuid.uuid4()
    actions = [ActionInput("Do it", officer, TODAY)]
    first = _record(officer, manager, form_token=token, actions=actions)
    second = _record(officer, manager, form_token=token, actions=actions)
    assert (first.created, second.created) == (True, False)
    assert second.supervision == first.supervision
    assert Supervision.objects.count() == 1
    assert PracticeAction.objects.count() == 1


@pytest.mark.parametrize("who", ["other_manager", "lead", "administrator", "officer"])
def test_only_the_line_manager_or_the_vsh_records_a_supervision(request, officer, who):
    with pytest.raises(PermissionDenied):
        _record(officer, request.getfixturevalue(who))
    assert not Supervision.objects.exists()


def test_the_vsh_records_a_supervision_of_a_manager(vsh, manager):
    assert _record(manager, vsh).supervision.manager == vsh


def test_an_open_action_is_carried_into_the_next_supervision_and_its_outcome_recorded_there(officer, manager):
    first = _record(
        officer,
        manager,
        date=TODAY - timedelta(days=30),
        actions=[
            ActionInput("Open one", officer, TODAY - timedelta(days=2)),
            ActionInput("Done one", manager, TODAY + timedelta(days=2)),
        ],
    ).supervision
    open_one, done_one = first.actions.order_by("due")
    assert list(carried_forward(officer)) == [open_one, done_one]
    second = _record(
        officer, manager, follow_ups=[FollowUpInput(done_one, ActionStatus.DONE, "All targets SMART now")]
    ).supervision
    done_one.refresh_from_db()
    assert (done_one.status, done_one.followed_up_at, done_one.closed_on, done_one.outcome) == (
        ActionStatus.DONE,
        second,
        TODAY,
        "All targets SMART now",
    )
    # The done action is not carried again; the open one is, into the third.
    assert list(carried_forward(officer)) == [open_one]
    assert list(carried_forward(officer, into=second)) == [open_one]
    third = _record(officer, manager, follow_ups=[FollowUpInput(open_one, ActionStatus.NOT_DONE, "")]).supervision
    open_one.refresh_from_db()
    assert (open_one.status, open_one.followed_up_at) == (ActionStatus.NOT_DONE, third)
    assert list(carried_forward(officer)) == []


def test_an_outcome_recorded_twice_reads_already_recorded(officer, manager):
    action = PracticeActionFactory(supervision=SupervisionFactory(officer=officer, date=TODAY - timedelta(days=9)))
    later = SupervisionFactory(officer=officer)
    _, first = record_outcome(action, at=later, by=manager, status=ActionStatus.DONE, outcome="first")
    _, second = record_outcome(action, at=later, by=manager, status=ActionStatus.NOT_DONE, outcome="second")
    action.refresh_from_db()
    assert (first, second) == (True, False)
    assert (action.status, action.outcome) == (ActionStatus.DONE, "first")


def test_a_supervision_records_which_follow_ups_someone_else_recorded_first(officer, manager):
    action = PracticeActionFactory(supervision=SupervisionFactory(officer=officer, date=TODAY - timedelta(days=9)))
    record_outcome(action, at=SupervisionFactory(officer=officer), by=manager, status=ActionStatus.DONE)
    saved = _record(officer, manager, follow_ups=[FollowUpInput(action, ActionStatus.NOT_DONE)])
    assert saved.already_recorded == [action]
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_an_action_of_another_officer_is_not_followed_up_here(officer, manager):
    colleague = UserFactory(line_manager=manager)
    action = PracticeActionFactory(supervision=SupervisionFactory(officer=colleague))
    with pytest.raises(ValueError):
        record_outcome(action, at=SupervisionFactory(officer=officer), by=manager, status=ActionStatus.DONE)


def test_another_managers_officers_action_is_refused(officer, other_manager):
    action = PracticeActionFactory(supervision=SupervisionFactory(officer=officer))
    with pytest.raises(PermissionDenied):
        record_outcome(action, at=SupervisionFactory(officer=officer), by=other_manager, status=ActionStatus.DONE)


def test_an_outcome_is_done_or_not_done(officer, manager):
    action = PracticeActionFactory(supervision=SupervisionFactory(officer=officer))
    with pytest.raises(ValueError):
        record_outcome(action, at=action.supervision, by=manager, status=ActionStatus.OPEN)


def test_an_edit_opened_before_another_save_is_refused(officer, manager, red_review):
    supervision = _record(officer, manager, notes="first").supervision
    opened = supervision.version
    update_supervision(supervision, by=manager, version=opened, date=TODAY, notes="second tab", reviews=[red_review])
    supervision.refresh_from_db()
    assert (supervision.notes, supervision.version) == ("second tab", opened + 1)
    with pytest.raises(SupervisionChangedElsewhere) as refused:
        update_supervision(
            supervision,
            by=manager,
            version=opened,
            date=TODAY,
            notes="stale tab",
            reviews=[],
            actions=[ActionInput("Lost?", officer, TODAY)],
        )
    assert refused.value.current_version == opened + 1
    supervision.refresh_from_db()
    assert supervision.notes == "second tab"
    assert list(supervision.reviews.all()) == [red_review]
    assert not supervision.actions.exists()


def test_an_edit_adds_actions_and_training_and_records_outcomes(officer, manager):
    earlier = PracticeActionFactory(supervision=SupervisionFactory(officer=officer, date=TODAY - timedelta(days=30)))
    supervision = _record(officer, manager).supervision
    update_supervision(
        supervision,
        by=manager,
        version=supervision.version,
        date=TODAY,
        notes="",
        reviews=[],
        actions=[ActionInput("New", officer, TODAY)],
        training=[TrainingInput(TrainingKind.TRAINING, "The VSH", TODAY)],
        follow_ups=[FollowUpInput(earlier, ActionStatus.DONE, "ok")],
    )
    earlier.refresh_from_db()
    assert earlier.followed_up_at == supervision
    assert supervision.actions.count() == 1
    assert supervision.training.count() == 1


def test_another_manager_cannot_edit(officer, manager, other_manager):
    supervision = SupervisionFactory(officer=officer)
    with pytest.raises(PermissionDenied):
        update_supervision(supervision, by=other_manager, version=1, date=TODAY, notes="", reviews=[])


def test_training_is_marked_done_once(officer, manager):
    offer = TrainingOfferFactory(supervision=SupervisionFactory(officer=officer))
    assert mark_training(offer, by=manager, status=TrainingStatus.DONE)[1] is True
    assert mark_training(offer, by=manager, status=TrainingStatus.DONE)[1] is False
    offer.refresh_from_db()
    assert offer.status == TrainingStatus.DONE
    with pytest.raises(PermissionDenied):
        mark_training(offer, by=officer, status=TrainingStatus.NOT_DONE)
    with pytest.raises(ValueError):
        mark_training(offer, by=manager, status=TrainingStatus.PLANNED)


def test_supervisions_actions_and_training_are_in_the_audit_trail(officer, manager, red_review):
    supervision = _record(
        officer,
        manager,
        reviews=[red_review],
        actions=[ActionInput("Audited", officer, TODAY)],
        training=[TrainingInput(TrainingKind.TRAINING, "The VSH", TODAY)],
    ).supervision
    models = set(AuditEntry.objects.values_list("content_type__model", flat=True))
    assert {"supervision", "practiceaction", "trainingoffer"} <= models
    changes = AuditEntry.objects.filter(content_type__model="supervision", object_pk=str(supervision.pk))
    assert any("reviews" in (entry.changes_dict or {}) for entry in changes)


def test_a_manager_role_is_needed_not_just_a_line_report(manager):
    # An officer line-managed by nobody has no supervisor but the VSH.
    loner = UserFactory(role=Role.OFFICER)
    with pytest.raises(PermissionDenied):
        _record(loner, manager)
