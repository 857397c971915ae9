"""web/practice/views.py: peer-review meetings, as the recorder and as an outsider."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from peps.models import PepStatus, Term
from practice.models import PeerReviewMeeting, PeerReviewPep, PracticeAction

from .factories import ChildFactory, PepFactory

pytestmark = pytest.mark.django_db


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _meeting(client, recorder, term, attendees) -> PeerReviewMeeting:
    client.force_login(recorder)
    response = client.post(
        reverse("practice:peer_review_new"),
        {
            "date_0": "10",
            "date_1": "10",
            "date_2": str(term.start_date.year),
            "term": term.pk,
            "focus": "targets",
            "focus_notes": "SMART targets",
            "attendees": [a.pk for a in attendees],
        },
    )
    meeting = PeerReviewMeeting.objects.get()
    assert response["Location"] == reverse("practice:peer_review_detail", args=[meeting.pk])
    return meeting


def _pick(client, url, member, pep, findings=""):
    return client.post(url, {"pep-member": member.pk, "pep-brought": pep.pk, "pep-findings": findings})


def test_peer_review_create_and_pick_peps(client, manager, officer, pep):
    term = pep.term
    meeting = _meeting(client, manager, term, [officer, manager])
    assert meeting.recorded_by == manager and set(meeting.attendees.all()) == {officer, manager}

    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    page = body(client.get(url))
    assert "0 of 2 PEPs" in page
    # Each member picks from a list of their own PEPs, labelled by LA reference, term,
    # phase and status: no reference to type, no child's name in the list.
    label = f"{pep.child.la_reference}, {term}, {pep.get_phase_display()}, Submitted for QA"
    assert f'<option value="{pep.pk}">{label}</option>' in page
    assert f'id="id_pep{officer.pk}_pep-brought"' in page and f'id="id_pep{manager.pk}_pep-brought"' in page
    assert 'type="text" name="pep-' not in page
    response = _pick(client, url, officer, pep, "Good voice of the child")
    assert response.status_code == 302
    assert PeerReviewPep.objects.get().pep == pep
    html = body(client.get(url))
    assert "1 of 2 PEPs" in html and "Good voice of the child" in html

    # Twice (a double click, a stale tab): "already recorded", never an error page.
    again = _pick(client, url, officer, pep)
    assert again.status_code == 302
    assert "already recorded" in body(client.get(url))
    assert PeerReviewPep.objects.count() == 1
    # A forged choice: refused on the field, nothing written.
    forged = body(client.post(url, {"pep-member": officer.pk, "pep-brought": "999999"}))
    assert "Choose a PEP from the list" in forged
    assert PeerReviewPep.objects.count() == 1
    # Someone who did not attend: not found.
    assert client.post(url, {"pep-member": "999999", "pep-brought": pep.pk}).status_code == 404

    client.post(url, {"notes-findings": "Targets improving"})
    meeting.refresh_from_db()
    assert meeting.findings == "Targets improving"
    listing = body(client.get(reverse("practice:peer_reviews"), {"year": term.academic_year}))
    assert "Peer reviews this academic year: 1 of 2" in listing


def test_a_member_brings_at_most_two(client, manager, officer, pep):
    peps = [
        pep,
        *(
            PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status="finalised")
            for _ in range(2)
        ),
    ]
    meeting = _meeting(client, manager, pep.term, [officer])
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    for item in peps[:2]:
        assert _pick(client, url, officer, item).status_code == 302
    page = body(client.get(url))
    assert f"{officer} has brought 2 PEPs." in page and f'id="id_pep{officer.pk}_pep-brought"' not in page
    third = body(_pick(client, url, officer, peps[2]))
    assert f"{officer} has brought 2 PEPs already: each member brings 2" in third
    assert 'class="govuk-error-summary"' in third
    assert PeerReviewPep.objects.count() == 2


def test_the_picks_are_most_recent_first(client, manager, officer, pep):
    from .factories import TermFactory

    earlier = TermFactory(academic_year=pep.term.academic_year - 1, season=pep.term.season)
    # Well inside the picks' window of a year: a year back to the day is 366 days across a
    # 29 February, outside it (the factory's years move on with the tests run before).
    Term.objects.filter(pk=earlier.pk).update(start_date=pep.term.start_date - timedelta(days=300))
    old = PepFactory(child=pep.child, term=earlier, status="finalised")
    meeting = _meeting(client, manager, pep.term, [officer])
    page = body(client.get(reverse("practice:peer_review_detail", args=[meeting.pk])))
    assert page.index(f'<option value="{pep.pk}">') < page.index(f'<option value="{old.pk}">')


def test_another_teams_pep_cannot_be_added_or_named(client, manager, officer, other_officer, pep, other_pep):
    """Defect: a manager added a PEP outside their team by typing its LA reference, and the
    meeting page then showed the child's name; the error told which references exist."""
    meeting = _meeting(client, manager, pep.term, [officer, manager])
    # Even with the other team's officer forced in as a member, their PEP is no choice.
    meeting.attendees.add(other_officer)
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    page = body(client.get(url))
    assert other_pep.child.full_name not in page and other_pep.child.la_reference not in page
    for member in (other_officer, officer):
        refused = body(_pick(client, url, member, other_pep))
        assert "Choose a PEP from the list" in refused
        assert other_pep.child.la_reference not in refused
    assert not PeerReviewPep.objects.exists()

    # Brought by someone allowed to (the VSH records it): the manager sees no name.
    PeerReviewPep.objects.create(meeting=meeting, member=other_officer, pep=other_pep)
    page = body(client.get(url))
    assert other_pep.child.full_name not in page and other_pep.child.la_reference not in page
    assert "A PEP of another team" in page


def test_attendees_are_the_recorders_team(client, manager, officer, other_officer, pep):
    client.force_login(manager)
    form = body(client.get(reverse("practice:peer_review_new")))
    # The attendee checkboxes' values (not the date's: today's day can be an officer's pk).
    attendees = re.findall(r'name="attendees"[^>]*?value="(\d+)"', form)
    assert str(officer.pk) in attendees and str(other_officer.pk) not in attendees
    html = body(
        client.post(
            reverse("practice:peer_review_new"),
            {
                "date_0": "10",
                "date_1": "10",
                "date_2": str(pep.term.start_date.year),
                "term": pep.term.pk,
                "focus": "targets",
                "attendees": [other_officer.pk],
            },
        )
    )
    assert "Choose who attended from the list" in html
    assert not PeerReviewMeeting.objects.exists()


def test_a_draft_pep_is_not_offered(client, manager, officer, pep):
    draft = PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.DRAFT)
    meeting = _meeting(client, manager, pep.term, [officer])
    page = body(client.get(reverse("practice:peer_review_detail", args=[meeting.pk])))
    assert f':{draft.pk}"' not in page


def test_peer_review_needs_the_focus_and_attendees(client, manager, pep):
    client.force_login(manager)
    html = body(client.post(reverse("practice:peer_review_new"), {"term": pep.term.pk}))
    assert "Choose the focus of the meeting" in html and "Choose who attended" in html
    assert not PeerReviewMeeting.objects.exists()


def test_peer_review_refused_to_officers(client, officer):
    client.force_login(officer)
    assert client.get(reverse("practice:peer_reviews")).status_code == 403
    assert client.get(reverse("practice:peer_review_new")).status_code == 403


def test_another_managers_meeting_reads_as_not_found(client, manager, other_manager, officer, pep):
    meeting = _meeting(client, manager, pep.term, [officer, manager])
    client.force_login(other_manager)
    assert client.get(reverse("practice:peer_review_detail", args=[meeting.pk])).status_code == 404


def test_peer_review_date_that_is_none_is_shown_on_the_form_as_typed(client, manager, officer, pep):
    """An overflowing date was a 500; it is an error in the summary, with what was typed."""
    client.force_login(manager)
    response = client.post(
        reverse("practice:peer_review_new"),
        {
            "date_0": "32",
            "date_1": "1",
            "date_2": "9999999999",
            "term": pep.term.pk,
            "focus": "targets",
            "attendees": [officer.pk],
        },
    )
    html = body(response)
    summary = html.split('class="govuk-error-summary"')[1].split("</div>")[0]
    assert "Year must include 4 numbers" in summary and 'href="#id_date_0"' in summary
    assert 'value="32"' in html and 'value="9999999999"' in html
    assert not PeerReviewMeeting.objects.exists()

    html = body(
        client.post(
            reverse("practice:peer_review_new"),
            {
                "date_0": "31",
                "date_1": "2",
                "date_2": "2026",
                "term": pep.term.pk,
                "focus": "targets",
                "attendees": [officer.pk],
            },
        )
    )
    assert "The date of the meeting must be a real date" in html.split('class="govuk-error-summary"')[1]


@pytest.mark.parametrize("year", ["²", "1" * 5000, "99999", "abc", "-1"])
def test_peer_reviews_of_a_year_that_is_none_is_not_found(client, manager, year):
    """ "²" passes str.isdigit() and fails int(); thousands of digits fail int() too: 500s."""
    client.force_login(manager)
    assert client.get(reverse("practice:peer_reviews"), {"year": year}).status_code == 404


def test_peer_reviews_of_a_year_asked_for(client, manager, pep):
    client.force_login(manager)
    html = body(client.get(reverse("practice:peer_reviews"), {"year": "2031"}))
    assert "Academic year 2031/32" in html


# --- the actions agreed at the meeting ------------------------------------------------


def _action(client, url, owner, follow=False, **extra):
    data = {
        "action-description": "Share two Gold targets with the team",
        "action-owner": owner.pk,
        "action-due_0": "1",
        "action-due_1": "12",
        "action-due_2": "2031",
        "action-area": "",
        "action-pep": "",
    }
    return client.post(url, {**data, **extra}, follow=follow)


def test_actions_are_agreed_listed_and_their_outcome_recorded_once(client, manager, officer, pep):
    from reviews.models import ProFormaArea

    from .factories import QaReviewFactory

    meeting = _meeting(client, manager, pep.term, [officer, manager])
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    PeerReviewPep.objects.create(meeting=meeting, member=officer, pep=pep)
    review = QaReviewFactory(pep=pep, submitted=True)
    area = ProFormaArea.objects.filter(pro_forma__is_active=True).order_by("position").first()
    page = body(client.get(url))
    assert "No actions have been agreed yet." in page
    assert f'<option value="{area.pk}">{area}</option>' in page and f'<option value="{pep.pk}">' in page

    assert _action(client, url, officer, **{"action-area": area.pk, "action-pep": pep.pk}).status_code == 302
    action = PracticeAction.objects.get()
    assert (action.peer_review, action.owner, action.area, action.review) == (meeting, officer, area, review)
    assert (action.due, action.status, action.created_by) == (date(2031, 12, 1), "open", manager)
    assert _action(client, url, manager).status_code == 302
    general = PracticeAction.objects.get(owner=manager)
    assert general.area is None and general.review is None

    page = body(client.get(url))
    assert "Share two Gold targets with the team" in page and area.title in page and "General" in page
    assert f'name="outcome-action" value="{action.pk}"' in page

    done = {"outcome-action": action.pk, "outcome-status": "done", "outcome-outcome": "Shared at the team meeting"}
    assert client.post(url, done).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.outcome, action.closed_on is not None) == ("done", "Shared at the team meeting", True)
    # A second click (another tab): "already recorded", nothing changed.
    again = client.post(url, {**done, "outcome-status": "not_done", "outcome-outcome": "Other"}, follow=True)
    assert "already recorded" in body(again)
    action.refresh_from_db()
    assert action.status == "done" and action.outcome == "Shared at the team meeting"
    assert f'name="outcome-action" value="{action.pk}"' not in body(client.get(url))


def test_a_double_click_on_add_the_action_adds_it_once(client, manager, officer, pep):
    meeting = _meeting(client, manager, pep.term, [officer, manager])
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    assert _action(client, url, officer).status_code == 302
    again = _action(client, url, officer, follow=True)
    assert "That action was already added" in body(again)
    assert PracticeAction.objects.count() == 1


def test_an_action_needs_what_who_and_a_real_date(client, manager, officer, other_officer, pep):
    meeting = _meeting(client, manager, pep.term, [officer, manager])
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    html = body(
        _action(client, url, other_officer, **{"action-description": "", "action-due_0": "31", "action-due_1": "2"})
    )
    assert "Enter what is to be done" in html and "Choose who will do it from the list" in html
    assert "The due date must be a real date" in html and 'value="31"' in html
    forged = body(_action(client, url, officer, **{"action-area": "99999999999999999999", "action-pep": "x"}))
    assert "Choose an area from the list" in forged and "Choose a PEP from the list" in forged
    assert not PracticeAction.objects.exists()


def test_an_outcome_needs_done_or_not_and_what_came_of_it(client, manager, officer, pep):
    meeting = _meeting(client, manager, pep.term, [officer, manager])
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    _action(client, url, officer)
    action = PracticeAction.objects.get()
    html = body(client.post(url, {"outcome-action": action.pk, "outcome-status": "open", "outcome-outcome": ""}))
    assert "Choose whether it was done" in html and "Enter what came of the action" in html
    action.refresh_from_db()
    assert action.status == "open"
    assert client.post(url, {"outcome-action": "99999999999999999999"}).status_code == 404


def test_only_the_recorder_or_the_vsh_records_an_outcome(client, manager, officer, lead, vsh, pep):
    meeting = _meeting(client, manager, pep.term, [officer, manager])
    meeting.attendees.add(lead)
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    _action(client, url, officer)
    action = PracticeAction.objects.get()
    done = {"outcome-action": action.pk, "outcome-status": "done", "outcome-outcome": "Done"}
    client.force_login(lead)  # attended, sees the meeting, did not record it
    page = body(client.get(url))
    assert "Share two Gold targets" in page and 'name="outcome-action"' not in page
    assert client.post(url, done).status_code == 403
    action.refresh_from_db()
    assert action.status == "open"
    client.force_login(vsh)
    assert client.post(url, done).status_code == 302
    action.refresh_from_db()
    assert action.status == "done"


def test_the_meeting_page_queries_are_constant(client, manager, pep, django_assert_num_queries):
    """However many attendees (officers), PEPs brought and actions: the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.vocabulary import Role

    from .factories import PracticeActionFactory, UserFactory

    def officer_with_peps():
        member = UserFactory(role=Role.OFFICER, line_manager=manager)
        for _ in range(3):
            PepFactory(child=ChildFactory(allocated_officer=member), term=pep.term, status="finalised")
        return member

    first = officer_with_peps()
    meeting = _meeting(client, manager, pep.term, [manager, first])
    url = reverse("practice:peer_review_detail", args=[meeting.pk])
    PeerReviewPep.objects.create(meeting=meeting, member=first, pep=first.peps.first())
    PracticeActionFactory(peer_review=meeting, supervision=None, owner=first)

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    small = count()
    for _ in range(3):
        member = officer_with_peps()
        meeting.attendees.add(member)
        for item in member.peps.all()[:2]:
            PeerReviewPep.objects.create(meeting=meeting, member=member, pep=item)
        PracticeActionFactory(peer_review=meeting, supervision=None, owner=member)
    assert count() == small
    with django_assert_num_queries(small):
        client.get(url)
