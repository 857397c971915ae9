"""Access holes found in the security audit, one test each, and regression tests for the
guards that held (open redirects, escaping).

A moderator re-rating a PEP must learn nothing of its first rating until they submit
theirs ("blind"); a user must see no child outside visible_peps.
"""

import io
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from access.policy import sees_whole_school
from core.vocabulary import Rating
from peps.models import PepStatus
from practice.models import PeerReviewMeeting, PeerReviewPep
from reporting import charts, pdf
from reporting import services as report_services
from reporting.figures import split
from reporting.models import ReportKind, ReportRequest, ReportStatus
from reviews.models import ReviewStatus
from reviews.services import save_review, start_review
from sampling.models import Sample, SampleEntry, SampleKind
from sampling.services import start_entry_review

from .factories import ChildFactory, PepFactory, UserFactory, rate_all

pytestmark = pytest.mark.django_db


def submit(review, ratings):
    return save_review(review, rate_all(review, ratings), strengths="", development_points="", submit=True)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def blind(manager, officer, other_manager):
    """``officer``'s PEP, rated Red by ``manager`` (so returned for amendment), given to
    ``other_manager`` to re-rate in a cross-moderation sample: blind for them."""
    child = ChildFactory(
        allocated_officer=officer, first_name="Blindkid", last_name="Hiddenrating", la_reference="BLIND-0001"
    )
    pep = PepFactory(child=child, status=PepStatus.SUBMITTED)
    first = submit(start_review(pep, manager), ["red"] * 8)
    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.RETURNED, Rating.RED)
    sample = Sample.objects.create(
        term=pep.term, kind=SampleKind.CROSS_MODERATION, reviewer=other_manager, seed="audit"
    )
    entry = SampleEntry.objects.create(
        sample=sample,
        pep=pep,
        reason="cross_moderation",
        assigned_to=other_manager,
        due_date=pep.term.end_date,
        original_review=first,
    )
    return pep, entry


# --- 1. the ratings downloads carry the first rating of a PEP being moderated ----------


@pytest.mark.parametrize("name", ["reporting:ratings_csv", "reporting:ratings_xlsx"])
def test_ratings_download_hides_the_first_rating_from_the_moderator(client, other_manager, blind, name):
    pep, _entry = blind
    client.force_login(other_manager)
    response = client.get(reverse(name), {"term": pep.term.pk})
    assert response.status_code == 200
    if name.endswith("csv"):
        assert pep.child.la_reference not in text(response)
    else:
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        assert [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == pep.child.la_reference] == []


def test_ratings_download_shows_it_once_the_moderator_has_submitted(client, other_manager, blind):
    pep, entry = blind
    submit(start_entry_review(entry, other_manager), ["green"] * 8)
    client.force_login(other_manager)
    csv = text(client.get(reverse("reporting:ratings_csv"), {"term": pep.term.pk}))
    assert csv.count(pep.child.la_reference) == 16  # both reviews, eight areas each


# --- 2. the PEP list's "returned" filter betrays the hidden first rating -----------------


@pytest.mark.parametrize("query", ["returned=yes", "returned=amended"])
def test_pep_list_returned_filter_leaves_blind_peps_out(client, other_manager, blind, query):
    pep, _entry = blind
    client.force_login(other_manager)
    assert pep.child.la_reference in text(client.get(reverse("peps:list")))  # listed, hidden rating
    assert pep.child.la_reference not in text(client.get(f"{reverse('peps:list')}?{query}"))


# --- 3. the PEP page offers "Mark as amended" to a blind moderator ----------------------


def test_pep_page_does_not_betray_the_returned_status_to_the_moderator(client, other_manager, blind):
    pep, _entry = blind
    client.force_login(other_manager)
    html = text(client.get(reverse("peps:detail", args=[pep.pk])))
    assert 'id="moderation-blind"' in html
    assert reverse("peps:mark_amended", args=[pep.pk]) not in html
    assert "Mark as amended" not in html


def test_a_blind_moderator_cannot_mark_another_teams_pep_amended(client, other_manager, blind):
    pep, _entry = blind
    client.force_login(other_manager)
    response = client.post(reverse("peps:mark_amended", args=[pep.pk]))
    assert response.status_code in (403, 404)
    pep.refresh_from_db()
    assert pep.status == PepStatus.RETURNED


# --- 4. the home page counts the hidden first rating -----------------------------------


def test_home_counts_leave_out_the_peps_being_moderated(client, other_manager, blind):
    pep, _entry = blind
    client.force_login(other_manager)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    counts = response.context["counts"]
    assert counts["by_judgement"].get(Rating.RED, 0) == 0
    assert counts["by_status"].get(PepStatus.RETURNED, 0) == 0


# --- 5. the moderation page shows every disagreement of the school to any manager -------


def test_moderation_disagreements_only_name_children_the_manager_may_see(
    client, manager, officer, other_manager, lead, pep
):
    first = submit(start_review(pep, manager), ["gold"] * 8)
    sample = Sample.objects.create(term=pep.term, kind=SampleKind.CROSS_MODERATION, reviewer=lead, seed="m")
    entry = SampleEntry.objects.create(
        sample=sample,
        pep=pep,
        reason="cross_moderation",
        assigned_to=lead,
        due_date=pep.term.end_date,
        original_review=first,
    )
    submit(start_entry_review(entry, lead), ["green"] * 8)
    url = reverse("sampling:moderation")

    client.force_login(manager)  # the first reviewer: involved, and it is their team
    assert pep.child.la_reference in text(client.get(url, {"term": pep.term.pk}))

    client.force_login(other_manager)  # neither involved nor able to see the PEP
    assert not sees_whole_school(other_manager)
    html = text(client.get(url, {"term": pep.term.pk}))
    assert pep.child.la_reference not in html
    assert pep.child.last_name not in html


# --- 6. the social care report names every child of the school to any manager ----------


def test_social_care_report_names_only_children_the_manager_may_see(settings, tmp_path, other_manager, vsh, pep):
    settings.MEDIA_ROOT = tmp_path
    pep.meeting_date, pep.sw_attended, pep.sw_section_updated = pep.term.start_date, False, False
    pep.save()
    html_of = {}

    def as_html(report):
        html_of[report.requested_by] = html = pdf.social_care_report_html(report.term, user=report.requested_by)
        return html

    # Prepared in the background for whoever asked: built here (eager, inline) and read as HTML.
    with mock.patch.dict(report_services.RENDERERS, {ReportKind.SOCIAL_CARE: as_html}):
        for user in (vsh, other_manager):
            report = ReportRequest.objects.create(kind=ReportKind.SOCIAL_CARE, term=pep.term, requested_by=user)
            assert report_services.build_report(report.pk).status == ReportStatus.READY
    assert pep.child.la_reference in html_of[vsh]
    assert pep.child.la_reference not in html_of[other_manager]


# --- 7. a peer review meeting is open to every manager, with its children's names -------


def test_peer_review_meeting_is_not_shown_to_a_manager_outside_it(client, manager, officer, other_manager, pep):
    meeting = PeerReviewMeeting.objects.create(
        date=pep.term.start_date, term=pep.term, focus="targets", recorded_by=manager
    )
    meeting.attendees.set([manager, officer])
    PeerReviewPep.objects.create(meeting=meeting, member=officer, pep=pep)
    url = reverse("practice:peer_review_detail", args=[meeting.pk])

    client.force_login(manager)
    assert pep.child.la_reference in text(client.get(url))

    client.force_login(other_manager)
    response = client.get(url)
    assert response.status_code in (403, 404) or pep.child.la_reference not in response.content.decode()
    response = client.post(url, {"notes-findings": "overwritten", "notes-actions": ""})
    meeting.refresh_from_db()
    assert meeting.findings != "overwritten"


# --- guards that held: regression tests ------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "\\\\evil.example", "http:evil"])
def test_finalise_ignores_an_offsite_next(client, manager, pep, target):
    client.force_login(manager)
    asked = client.post(reverse("peps:finalise", args=[pep.pk]), {"next": target})
    assert asked.status_code == 200 and target not in asked.content.decode()  # nor Back nor Cancel
    response = client.post(reverse("peps:finalise", args=[pep.pk]), {"next": target, "confirmed": "True"})
    assert response.status_code == 302
    assert response["Location"] == reverse("peps:detail", args=[pep.pk])


@pytest.mark.parametrize("target", ["²", "-1", "1e9", "x", "peps:list"])
def test_finalise_ignores_a_next_that_is_no_path(client, manager, pep, target):
    """redirect() takes such a next for a URL name and raised NoReverseMatch: a 500."""
    client.force_login(manager)
    response = client.post(reverse("peps:finalise", args=[pep.pk]), {"next": target, "confirmed": "True"})
    assert response.status_code == 302
    assert response["Location"] == reverse("peps:detail", args=[pep.pk])


@pytest.mark.parametrize("target", ["https://evil.example/", "²", "x"])
def test_entry_start_ignores_an_offsite_next(client, other_manager, blind, target):
    pep, entry = blind
    pep.status = PepStatus.DRAFT  # so the view goes back to ?next=
    pep.save()
    client.force_login(other_manager)
    response = client.post(reverse("sampling:entry_start", args=[entry.pk]), {"next": target})
    assert response["Location"] == reverse("reviews:worklist")


def test_login_ignores_an_offsite_next(client, officer):
    response = client.post(
        f"{reverse('login')}?next=https://evil.example/", {"username": officer.username, "password": "pw"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_review_detail_of_the_first_rating_is_refused_while_blind(client, other_manager, blind):
    pep, entry = blind
    client.force_login(other_manager)
    assert client.get(reverse("reviews:detail", args=[entry.original_review_id])).status_code == 404
    assert entry.original_review.status == ReviewStatus.SUBMITTED


def test_charts_escape_their_text():
    evil = '<script>alert(1)</script>"'
    svg = str(charts.stacked_bars(f'x"{evil}', evil, evil, [(evil, [1, 2, 3, 4], split([1, 2, 3, 4]))]))
    svg += str(charts.line_chart("c", evil, evil, [evil], [(charts.BLUE, [0.5])]))
    assert "<script>" not in svg
    assert 'x"<' not in svg


def test_rating_tag_escapes_extra_classes():
    from hvs_qa.templatetags.hvs import rating_tag

    assert "<script>" not in rating_tag("gold", '"><script>alert(1)</script>')


def test_ratings_download_has_no_peps_outside_the_view(client, other_manager, manager, pep):
    submit(start_review(pep, manager), ["green"] * 8)
    other = PepFactory(child=ChildFactory(allocated_officer=UserFactory(line_manager=other_manager)), term=pep.term)
    assert other.pk
    client.force_login(other_manager)
    assert pep.child.la_reference not in text(client.get(reverse("reporting:ratings_csv"), {"term": pep.term.pk}))
