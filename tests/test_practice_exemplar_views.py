"""Gold practice pages (web/practice/exemplar_views.py): marking on the review's page,
curating, and the library that names no one."""

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from practice.models import GoldExemplar, GoldExemplarStatus
from reviews.services import save_review, start_review

from .factories import ChildFactory, PepFactory, SchoolFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_review(manager, officer, rate_all):
    officer.first_name, officer.last_name = "Olive", "Oakenshield"
    officer.save()
    manager.first_name, manager.last_name = "Maud", "Marchbanks"
    manager.save()
    child = ChildFactory(
        allocated_officer=officer,
        first_name="Amelia",
        last_name="Brightwater",
        la_reference="LA-77123",
        school=SchoolFactory(name="Larkspur Primary School"),
    )
    review = start_review(PepFactory(child=child), manager)
    return save_review(review, rate_all(review, ["gold"] * 8), strengths="", development_points="", submit=True)


def _mark(client, review, about="pep", text="Targets built on the child's voice"):
    return client.post(reverse("practice:gold_mark", args=[review.pk]), {"about": about, "what_made_it_gold": text})


def test_the_reviewer_marks_from_the_review_page_and_a_second_submit_edits(client, manager, gold_review):
    client.force_login(manager)
    page = client.get(reverse("reviews:detail", args=[gold_review.pk])).content.decode()
    assert 'id="gold"' in page and reverse("practice:gold_mark", args=[gold_review.pk]) in page
    response = _mark(client, gold_review)
    assert response.status_code == 302 and response["Location"].endswith("#gold")
    response = _mark(client, gold_review, text="SMART targets")
    assert "already marked" in client.get(response["Location"]).content.decode()
    mark = GoldExemplar.objects.get()
    assert (mark.what_made_it_gold, mark.area, mark.status) == ("SMART targets", None, GoldExemplarStatus.PROPOSED)
    area = gold_review.area_ratings.get(area__position=3).area
    _mark(client, gold_review, about=str(area.pk), text="Education well evidenced")
    assert GoldExemplar.objects.filter(area=area).exists()


def test_a_mark_without_words_is_an_error_and_keeps_the_choice(client, manager, gold_review):
    client.force_login(manager)
    area = gold_review.area_ratings.get(area__position=2).area
    response = _mark(client, gold_review, about=str(area.pk), text="")
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html and "Enter what made it Gold" in html
    assert re.search(rf'<input[^>]*value="{area.pk}"[^>]*checked', html)
    assert not GoldExemplar.objects.exists()


def test_no_one_else_marks(client, vsh, other_manager, officer, gold_review):
    for user, status in ((vsh, 403), (other_manager, 404), (officer, 403)):
        client.force_login(user)
        assert 'id="gold"' not in client.get(reverse("reviews:detail", args=[gold_review.pk])).content.decode()
        assert _mark(client, gold_review).status_code == status
    assert not GoldExemplar.objects.exists()


def test_the_vsh_curates_refused_names_keep_what_was_typed(client, manager, vsh, gold_review):
    client.force_login(manager)
    _mark(client, gold_review, text="Amelia led her meeting")
    mark = GoldExemplar.objects.get()
    client.force_login(vsh)
    proposals = client.get(reverse("practice:exemplar_proposals")).content.decode()
    assert reverse("practice:exemplar_curate", args=[mark.pk]) in proposals
    url = reverse("practice:exemplar_curate", args=[mark.pk])
    page = client.get(url).content.decode()
    assert "As marked, it is not anonymous" in page
    typed = "Amelia led her meeting at Larkspur Primary School"
    response = client.post(url, {"title": "Leading the meeting", "anonymised_text": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Remove the child&#x27;s first name" in html or "Remove the child's first name" in html
    assert "Remove the school" in html
    assert typed in html and "Leading the meeting" in html
    mark.refresh_from_db()
    assert mark.status == GoldExemplarStatus.PROPOSED
    response = client.post(url, {"title": "Leading the meeting", "anonymised_text": "The child led the meeting."})
    assert response.status_code == 302
    mark.refresh_from_db()
    assert (mark.status, mark.anonymised_text, mark.curated_by) == (
        GoldExemplarStatus.IN_LIBRARY,
        "The child led the meeting.",
        vsh,
    )


def test_the_vsh_declines(client, manager, vsh, gold_review):
    client.force_login(manager)
    _mark(client, gold_review)
    mark = GoldExemplar.objects.get()
    client.force_login(vsh)
    url = reverse("practice:exemplar_decline", args=[mark.pk])
    assert client.post(url).status_code == 302
    mark.refresh_from_db()
    assert mark.status == GoldExemplarStatus.DECLINED
    assert "already declined" in client.get(client.post(url)["Location"]).content.decode()


@pytest.mark.parametrize("role", ["manager", "lead", "officer", "administrator"])
def test_only_the_vsh_curates(client, request, role, gold_review, manager):
    mark = GoldExemplar.objects.create(review=gold_review, marked_by=manager, what_made_it_gold="It")
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("practice:exemplar_proposals")).status_code == 403
    assert client.get(reverse("practice:exemplar_curate", args=[mark.pk])).status_code == 403
    assert client.post(reverse("practice:exemplar_decline", args=[mark.pk])).status_code == 403


def test_the_library_shows_only_the_anonymised_text(client, manager, officer, other_officer, vsh, gold_review):
    GoldExemplar.objects.create(
        review=gold_review,
        marked_by=manager,
        what_made_it_gold="Amelia Brightwater led it at Larkspur",
        status=GoldExemplarStatus.IN_LIBRARY,
        title="The child leads the meeting",
        anonymised_text="The child chaired the meeting with their carer.",
        curated_by=vsh,
    )
    area = gold_review.area_ratings.get(area__position=1).area
    GoldExemplar.objects.create(review=gold_review, area=area, marked_by=manager, what_made_it_gold="Proposed only")
    pep = gold_review.pep
    for user in (officer, other_officer, manager, vsh):
        client.force_login(user)
        response = client.get(reverse("practice:exemplars"))
        # The page's content (the header names whoever is signed in).
        html = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
        assert "The child leads the meeting" in html and "The child chaired the meeting with their carer." in html
        for secret in (
            "Amelia",
            "Brightwater",
            "LA-77123",
            "Larkspur",
            "Oakenshield",
            "Marchbanks",
            "Proposed only",
            reverse("peps:detail", args=[pep.pk]),
            reverse("reviews:detail", args=[gold_review.pk]),
        ):
            assert secret not in html, (user, secret)
        assert str(pep.term.academic_year) in html
    client.force_login(officer)
    assert client.get(reverse("practice:exemplars"), {"phase": "eyfs"}).context["count"] == 0
    assert client.get(reverse("practice:exemplars"), {"phase": "ssa", "area": "pep"}).context["count"] == 1
    # The areas offered are those of the library's exemplars: another is an error, not applied.
    response = client.get(reverse("practice:exemplars"), {"area": "PEP meeting"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_administrators_have_no_library(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("practice:exemplars")).status_code == 403


def test_a_mark_is_in_the_childs_audit_trail(client, manager, gold_review):
    client.force_login(manager)
    _mark(client, gold_review)
    entry = AuditEntry.objects.filter(content_type__model="goldexemplar").get()
    assert entry.child_id == gold_review.pep.child_id
