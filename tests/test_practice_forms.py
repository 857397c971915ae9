"""web/practice/forms.py: the peer review form's date and attendees refuse what they cannot read,
with a message, rather than failing on it."""

from datetime import date, timedelta

import pytest

from web.practice.forms import PeerReviewForm

pytestmark = pytest.mark.django_db


def _form(term, attendees, day, month, year, recorder=None):
    return PeerReviewForm(
        {
            "date_0": day,
            "date_1": month,
            "date_2": year,
            "term": term.pk,
            "focus": "targets",
            "attendees": [user.pk for user in attendees],
        },
        recorder=recorder or attendees[0],
    )


def test_a_real_date_is_read(pep, manager, officer):
    form = _form(pep.term, [manager, officer], "27", "3", "2026")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date"] == date(2026, 3, 27)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("32", "1", "2026", "The date of the meeting must be a real date"),
        ("31", "4", "2026", "The date of the meeting must be a real date"),
        ("29", "2", "2025", "The date of the meeting must be a real date"),
        ("1", "13", "2026", "The date of the meeting must be a real date"),
        ("0", "1", "2026", "The date of the meeting must be a real date"),
        ("9999999999", "1", "2026", "The date of the meeting must be a real date"),
        ("1", "1", "99999", "Year must include 4 numbers"),
        ("1", "1", "26", "Year must include 4 numbers"),
        ("1", "1", "0", "Year must include 4 numbers"),
        # Each beyond a C long: date() raised OverflowError, a 500.
        ("99999999999999999999", "99999999999999999999", "99999999999999999999", "Year must include 4 numbers"),
        ("1" * 5000, "1", "2026", "The date of the meeting must be a real date"),
    ],
)
def test_a_date_that_is_none_is_a_form_error(pep, manager, day, month, year, message):
    form = _form(pep.term, [manager], day, month, year)
    assert not form.is_valid()
    assert form.errors["date"] == [message]


def test_an_attendee_id_beyond_any_integer_is_a_form_error(pep, manager):
    form = PeerReviewForm(
        {
            "date_0": "1",
            "date_1": "10",
            "date_2": "2026",
            "term": pep.term.pk,
            "focus": "targets",
            "attendees": [str(manager.pk), "99999999999999999999"],
        },
        recorder=manager,
    )
    assert not form.is_valid()  # was OverflowError on SQLite
    assert "attendees" in form.errors


# --- the PEPs each member brings, the actions agreed and their outcomes ---------------


@pytest.fixture
def meeting(manager, officer, pep):
    from practice.models import PeerReviewMeeting

    meeting = PeerReviewMeeting.objects.create(
        date=pep.term.start_date, term=pep.term, focus="targets", recorded_by=manager
    )
    meeting.attendees.set([manager, officer])
    return meeting


def test_eligible_peps_are_each_members_own_most_recent_first(meeting, manager, officer, other_officer, pep, other_pep):
    from core.vocabulary import Season
    from web.practice.forms import eligible_peps

    from .factories import ChildFactory, PepFactory, TermFactory

    def term_before(days, year):
        start = pep.term.start_date - timedelta(days=days)
        return TermFactory(
            academic_year=year, season=Season.SUMMER, start_date=start, end_date=start + timedelta(weeks=12)
        )

    earlier, long_ago = term_before(120, 1990), term_before(400, 1989)
    old = PepFactory(child=pep.child, term=earlier, status="finalised")
    PepFactory(child=pep.child, term=long_ago, status="finalised")  # over a year before: not offered
    draft = PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status="draft")
    offered = eligible_peps(meeting, [officer, manager, other_officer], manager)
    assert offered[officer.pk] == [pep, old]
    assert offered[manager.pk] == [pep, old]  # the manager's team's
    # Another team's officer, forced in: the recorder may not see their PEPs.
    assert offered[other_officer.pk] == []
    assert draft not in offered[officer.pk] and other_pep not in offered[officer.pk]
    assert eligible_peps(meeting, [], manager) == {}


def _pick_form(meeting, member, peps, data=None, recorded=(), taken=()):
    from web.practice.forms import PeerReviewPepForm

    return PeerReviewPepForm(data, meeting=meeting, member=member, peps=peps, recorded=list(recorded), taken=set(taken))


def test_the_pick_labels_a_pep_without_the_childs_name(meeting, officer, pep):
    form = _pick_form(meeting, officer, [pep])
    label = dict(form.fields["brought"].choices)[str(pep.pk)]
    assert label == f"{pep.child.la_reference}, {pep.term}, {pep.get_phase_display()}, Submitted for QA"
    assert pep.child.first_name not in label and pep.child.last_name not in label


def test_a_pick_of_a_pep_not_offered_or_a_third_is_refused(meeting, officer, pep, other_pep):
    from .factories import PepFactory

    assert not _pick_form(meeting, officer, [pep], {"pep-brought": str(other_pep.pk)}).is_valid()
    taken = _pick_form(meeting, officer, [pep], {"pep-brought": str(pep.pk)}, taken=[pep.pk])
    assert not taken.has_choices and not taken.is_valid()
    ok = _pick_form(meeting, officer, [pep], {"pep-brought": str(pep.pk), "pep-findings": "Good"})
    assert ok.is_valid(), ok.errors
    assert ok.pep == pep
    two = [PepFactory(term=pep.term).pk, PepFactory(term=pep.term).pk]
    full = _pick_form(meeting, officer, [pep], {"pep-brought": str(pep.pk)}, recorded=two, taken=two)
    assert full.is_full and not full.is_valid()
    assert full.non_field_errors() == [f"{officer} has brought 2 PEPs already: each member brings 2"]
    again = _pick_form(meeting, officer, [pep], {"pep-brought": str(two[0])}, recorded=two, taken=two)
    assert again.already_recorded


def _action_form(data, attendees, brought=(), visible=()):
    from web.practice.forms import MeetingActionForm, action_areas

    return MeetingActionForm(
        data, attendees=attendees, areas=action_areas(), brought=list(brought), visible_pep_ids=set(visible)
    )


def test_an_action_form_reads_what_who_when_area_and_pep(meeting, officer, manager, pep):
    from practice.models import PeerReviewPep
    from web.practice.forms import action_areas

    brought = PeerReviewPep.objects.create(meeting=meeting, member=officer, pep=pep)
    area = action_areas()[0]
    data = {
        "action-description": "Use the SMART checklist",
        "action-owner": str(officer.pk),
        "action-due_0": "3",
        "action-due_1": "4",
        "action-due_2": "2031",
        "action-area": str(area.pk),
        "action-pep": str(pep.pk),
    }
    form = _action_form(data, [manager, officer], [brought], [pep.pk])
    assert form.is_valid(), form.errors
    assert (form.chosen_owner, form.chosen_area, form.chosen_pep) == (officer, area, pep)
    assert form.cleaned_data["due"] == date(2031, 4, 3)
    # A PEP the user may not see is no choice.
    hidden = _action_form(data, [manager, officer], [brought], [])
    assert not hidden.is_valid() and hidden.errors["pep"] == ["Choose a PEP from the list"]
    general = _action_form({**data, "action-area": "", "action-pep": ""}, [officer])
    assert general.is_valid() and general.chosen_area is None and general.chosen_pep is None


def test_action_areas_are_one_for_each_title():
    from web.practice.forms import action_areas

    titles = [area.title for area in action_areas()]
    assert titles and len(titles) == len(set(titles))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action-description", "", "Enter what is to be done"),
        ("action-owner", "", "Choose who will do it"),
        ("action-owner", "99999999999999999999", "Choose who will do it from the list"),
        ("action-due_0", "", "The due date must include a day"),
        ("action-area", "x", "Choose an area from the list"),
    ],
)
def test_an_action_form_error_says_what_to_fix(officer, field, value, message):
    data = {
        "action-description": "Do it",
        "action-owner": str(officer.pk),
        "action-due_0": "3",
        "action-due_1": "4",
        "action-due_2": "2031",
        field: value,
    }
    form = _action_form(data, [officer])
    assert not form.is_valid()
    assert message in [error for errors in form.errors.values() for error in errors]


def test_the_outcome_form(meeting, officer):
    from practice.models import PracticeAction
    from web.practice.forms import ActionOutcomeForm

    action = PracticeAction.objects.create(
        peer_review=meeting, owner=officer, description="Do it", due=date(2031, 1, 1)
    )
    ok = ActionOutcomeForm({"outcome-status": "not_done", "outcome-outcome": "No time"}, action=action)
    assert ok.is_valid() and ok.cleaned_data["status"] == "not_done"
    bad = ActionOutcomeForm({"outcome-status": "open", "outcome-outcome": " "}, action=action)
    assert not bad.is_valid()
    assert bad.errors == {"status": ["Choose whether it was done"], "outcome": ["Enter what came of the action"]}
