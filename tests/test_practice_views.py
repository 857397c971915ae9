"""web/practice/views.py: peer-review meetings, as the recorder and as an outsider."""

import pytest
from django.urls import reverse

from peps.models import PepStatus
from practice.models import PeerReviewMeeting, PeerReviewPep

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
    assert f'value="{officer.pk}"' in form and f'value="{other_officer.pk}"' not in form
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
