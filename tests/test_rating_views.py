"""The rating flow through the views, as the ``manager`` of ``pep``'s officer: rating, the
confirmation before submit, the previous QA round beside the areas, and corrections."""

import random
import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import crispy_forms_gds
import pytest
from django.db import connection
from django.template.loader import get_template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from core.vocabulary import Rating
from peps.models import AspirationCategory, AspirationEntry, Pep, PepStatus
from reviews import rules
from reviews.models import ProForma, QaReview, ReviewKind, ReviewStatus
from reviews.services import correct_review, mark_amended, save_review, start_review

from .factories import ProFormaAreaFactory, ProFormaFactory, rate_all

pytestmark = pytest.mark.django_db


class FormState(HTMLParser):
    """What a rendered form holds: the checked radios and the textareas' text."""

    def __init__(self, html: str):
        super().__init__()
        self.checked: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.textareas: dict[str, str] = {}
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "radio":
            self.radios.setdefault(attrs["name"], []).append(attrs["value"])
            if "checked" in attrs:
                self.checked[attrs["name"]] = attrs["value"]
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.textareas[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textareas[self._textarea] = self.textareas[self._textarea].strip()
            self._textarea = None


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def review(manager_client, pep, manager) -> QaReview:
    response = manager_client.post(reverse("reviews:start", args=[pep.pk]))
    assert response.status_code == 302
    review = QaReview.objects.get(pep=pep, reviewer=manager)
    assert response["Location"] == reverse("reviews:rate", args=[review.pk])
    return review


def area_ratings(review):
    return list(review.area_ratings.select_related("area").order_by("area__position"))


def form_data(review, ratings, comments=None, action="submit", strengths="", development_points=""):
    """POST data: ratings (and comments) in pro-forma order; ``""`` leaves an area empty."""
    comments = comments if comments is not None else [f"Comment {n}" if r else "" for n, r in enumerate(ratings)]
    data = {"action": action, "strengths": strengths, "development_points": development_points}
    for area_rating, rating, comment in zip(area_ratings(review), ratings, comments, strict=True):
        if rating:
            data[f"rating_{area_rating.pk}"] = rating
        data[f"comment_{area_rating.pk}"] = comment
    return data


VERSION = re.compile(r'<input type="hidden" name="version" value="(\d+)"')


def confirm_url(review) -> str:
    return reverse("reviews:confirm", args=[review.pk])


def confirm_version(client, review) -> str:
    """GET the confirmation page, as the reviewer reading the outcome: the version its form carries."""
    response = client.get(confirm_url(review))
    assert response.status_code == 200
    return VERSION.search(response.content.decode())[1]


def check_and_submit(client, review, data):
    """ "Check and submit" on the rating page, then "Confirm and submit": the confirmation's response."""
    response = client.post(reverse("reviews:rate", args=[review.pk]), data)
    assert (response.status_code, response["Location"]) == (302, confirm_url(review))
    return client.post(confirm_url(review), {"version": confirm_version(client, review)})


def snapshot(review):
    review.refresh_from_db()
    return (
        review.status,
        review.overall_judgement,
        review.strengths,
        review.development_points,
        [(r.rating, r.comment) for r in area_ratings(review)],
        Pep.objects.get(pk=review.pep_id).status,
    )


def test_rate_page_shows_every_area_with_its_criteria(manager_client, review):
    response = manager_client.get(reverse("reviews:rate", args=[review.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    ratings = area_ratings(review)
    assert len(ratings) == 8
    assert ratings[0].area.pro_forma == review.pro_forma
    for area_rating in ratings:
        area = area_rating.area
        assert escape(area.title) in body
        for rating in Rating:
            assert escape(area.criteria_for(rating)) in body, (area.title, rating)
        assert f'<textarea name="comment_{area_rating.pk}"' in body
    state = FormState(body)
    assert {name: values for name, values in state.radios.items()} == {
        f"rating_{r.pk}": ["gold", "green", "amber", "red"] for r in ratings
    }
    assert state.checked == {}
    assert "0 of 8 areas rated" in body


def test_save_a_draft(manager_client, review):
    url = reverse("reviews:rate", args=[review.pk])
    data = form_data(
        review,
        ["gold", "", "red", "", "", "amber", "", ""],
        comments=["Good", "", "Missing", "", "", "Thin", "", ""],
        action="draft",
        strengths="Clear targets",
    )

    response = manager_client.post(url, data, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Draft saved" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    assert review.strengths == "Clear targets"
    assert [(r.rating, r.comment) for r in area_ratings(review)] == [
        ("gold", "Good"),
        ("", ""),
        ("red", "Missing"),
        ("", ""),
        ("", ""),
        ("amber", "Thin"),
        ("", ""),
        ("", ""),
    ]
    # The page shows what was saved.
    state = FormState(response.content.decode())
    ids = [r.pk for r in area_ratings(review)]
    assert state.checked == {f"rating_{ids[0]}": "gold", f"rating_{ids[2]}": "red", f"rating_{ids[5]}": "amber"}
    assert "3 of 8 areas rated" in response.content.decode()
    assert Pep.objects.get(pk=review.pep_id).status == PepStatus.SUBMITTED


def test_a_failed_submit_keeps_what_was_typed_and_saves_nothing(manager_client, review):
    url = reverse("reviews:rate", args=[review.pk])
    manager_client.post(url, form_data(review, ["gold", "green", "red", "", "", "", "", ""], action="draft"))
    saved = snapshot(review)

    typed_ratings = ["green", "", "amber", "gold", "", "red", "", ""]
    typed_comments = ["Changed my mind", "Only a comment", "", "Strong <b>voice</b>", "", "None", "", ""]
    response = manager_client.post(url, form_data(review, typed_ratings, typed_comments, strengths="Typed strengths"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "govuk-error-summary" in body
    ids = [r.pk for r in area_ratings(review)]
    titles = [r.area.title for r in area_ratings(review)]
    unrated = [i for i, rating in enumerate(typed_ratings) if not rating]
    uncommented = [i for i, comment in enumerate(typed_comments) if not comment]
    # A link to the first radio of each unrated area, and to each empty comment box.
    assert re.findall(r'href="#id_rating_(\d+)_1"', body) == [str(ids[i]) for i in unrated]
    for i in unrated:
        assert escape(f"Select a rating for {titles[i]}") in body
    for i in uncommented:
        assert f'href="#id_comment_{ids[i]}"' in body
    # Everything typed is still there, not what was saved.
    state = FormState(body)
    assert state.checked == {f"rating_{ids[i]}": rating for i, rating in enumerate(typed_ratings) if rating}
    assert {name: text for name, text in state.textareas.items() if name.startswith("comment_")} == {
        f"comment_{ids[i]}": comment for i, comment in enumerate(typed_comments)
    }
    assert state.textareas["strengths"] == "Typed strengths"
    assert "Strong &lt;b&gt;voice&lt;/b&gt;" in body  # escaped, not markup
    # And nothing was saved.
    assert snapshot(review) == saved


def test_submit_all_gold_finalises_the_pep(manager_client, review, pep):
    response = check_and_submit(manager_client, review, form_data(review, ["gold"] * 8))

    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:detail", args=[review.pk])
    detail = manager_client.get(response["Location"])
    body = detail.content.decode()
    assert "QA review submitted" in body
    assert '<h1 class="govuk-panel__title">Gold</h1>' in body
    assert "High quality" in body
    assert "The PEP is finalised." in body
    assert 'id="areas-to-amend"' not in body
    pep.refresh_from_db()
    review.refresh_from_db()
    assert (review.status, review.overall_judgement, review.needs_amendment) == (
        ReviewStatus.SUBMITTED,
        Rating.GOLD,
        False,
    )
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, Rating.GOLD)


def test_submit_with_mostly_red_and_amber_returns_the_pep(manager_client, review, pep):
    ratings = ["red", "green", "amber", "red", "green", "amber", "red", "green"]
    response = check_and_submit(manager_client, review, form_data(review, ratings))
    assert response.status_code == 302

    body = manager_client.get(response["Location"]).content.decode()
    expected = rules.overall_judgement(ratings)
    assert expected == Rating.AMBER
    assert f'<h1 class="govuk-panel__title">{expected.label}</h1>' in body
    assert "returned to the designated teacher and social worker" in body
    listed = re.search(r'<ul[^>]*id="areas-to-amend"[^>]*>(.*?)</ul>', body, re.S)[1]
    titles = [r.area.title for r in area_ratings(review)]
    assert re.findall(r"<strong>([^<]+)</strong>", listed) == [
        escape(title) for title, rating in zip(titles, ratings, strict=True) if rating in ("red", "amber")
    ]
    for title, rating in zip(titles, ratings, strict=True):
        if rating == "green":
            assert escape(title) not in listed
    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.RETURNED, Rating.AMBER)


# --- the confirmation step ------------------------------------------------------------------


def test_check_and_submit_shows_the_outcome_and_submits_nothing_until_confirmed(manager_client, review, pep):
    data = form_data(review, ["green"] * 7 + ["amber"], strengths="Clear targets", development_points="Dates")

    response = manager_client.post(reverse("reviews:rate", args=[review.pk]), data)

    assert (response.status_code, response["Location"]) == (302, confirm_url(review))
    # Saved as the draft, not submitted; the PEP untouched.
    saved = snapshot(review)
    assert saved[:4] == (ReviewStatus.DRAFT, "", "Clear targets", "Dates")
    assert [rating for rating, _comment in saved[4]] == ["green"] * 7 + ["amber"]
    assert saved[-1] == PepStatus.SUBMITTED
    body = manager_client.get(confirm_url(review)).content.decode()
    expected = rules.overall_judgement(["green"] * 7 + ["amber"])
    outcome = re.search(r'<div class="app-outcome[^"]*" id="outcome">(.*?)</div>', body, re.S)[1]
    assert "This PEP will be <strong>finalised</strong> with the judgement" in outcome
    assert f"app-rating-tag--{expected.value}" in outcome and expected.quality_label in outcome
    assert "returned" not in outcome
    assert "Clear targets" in body and "Comment 7" in body  # what will be submitted
    assert 'id="confirm-button"' in body and "Confirm and submit" in body
    assert f'href="{reverse("reviews:rate", args=[review.pk])}"' in body  # go back and change
    assert snapshot(review) == saved  # reading it changes nothing


def test_the_confirmation_lists_the_areas_to_amend_with_their_ratings(manager_client, review):
    ratings = ["red", "green", "amber", "red", "green", "amber", "red", "green"]
    manager_client.post(reverse("reviews:rate", args=[review.pk]), form_data(review, ratings))

    body = manager_client.get(confirm_url(review)).content.decode()

    assert "This PEP will be <strong>returned to the designated teacher and social worker to amend</strong>" in body
    listed = re.search(r'<ul[^>]*id="areas-to-amend"[^>]*>(.*?)</ul>', body, re.S)[1]
    titles = [r.area.title for r in area_ratings(review)]
    amend = [(title, rating) for title, rating in zip(titles, ratings, strict=True) if rating in ("red", "amber")]
    shown = re.findall(r'<li><strong>([^<]+)</strong> <strong class="[^"]*app-rating-tag--(\w+)', listed)
    assert shown == [(escape(title), rating) for title, rating in amend]
    assert review.pep.status == PepStatus.SUBMITTED


def test_go_back_and_change_keeps_everything_typed(manager_client, review):
    ratings = ["gold", "green", "amber", "red", "gold", "green", "amber", "red"]
    comments = [f"Typed comment {n}" for n in range(8)]
    manager_client.post(
        reverse("reviews:rate", args=[review.pk]),
        form_data(review, ratings, comments, strengths="Typed strengths", development_points="Typed points"),
    )

    body = manager_client.get(reverse("reviews:rate", args=[review.pk])).content.decode()

    state = FormState(body)
    ids = [r.pk for r in area_ratings(review)]
    assert state.checked == {f"rating_{ids[i]}": rating for i, rating in enumerate(ratings)}
    assert [state.textareas[f"comment_{i}"] for i in ids] == comments
    assert (state.textareas["strengths"], state.textareas["development_points"]) == ("Typed strengths", "Typed points")
    # And "Check and submit" from there shows the outcome again.
    response = manager_client.post(
        reverse("reviews:rate", args=[review.pk]),
        {**form_data(review, ["gold"] * 8), "version": VERSION.search(body)[1]},
    )
    assert response["Location"] == confirm_url(review)
    assert "finalised</strong> with the judgement" in manager_client.get(confirm_url(review)).content.decode()


def test_a_save_in_another_tab_after_the_confirmation_opened_is_not_submitted_unseen(manager_client, review, pep):
    manager_client.post(reverse("reviews:rate", args=[review.pk]), form_data(review, ["gold"] * 8))
    seen = confirm_version(manager_client, review)  # the outcome read: finalised, Gold
    tab = opened_form(manager_client, review)
    manager_client.post(reverse("reviews:rate", args=[review.pk]), {**form_data(review, ["red"] * 8), **tab})

    response = manager_client.post(confirm_url(review), {"version": seen})

    assert response.status_code == 200
    body = response.content.decode()
    assert "govuk-error-summary" in body and "saved in another tab or window" in body
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    # The outcome shown now is the review as saved now, and confirming that submits it.
    assert "returned to the designated teacher and social worker to amend" in body
    assert VERSION.search(body)[1] == str(review.version) != seen
    response = manager_client.post(confirm_url(review), {"version": review.version})
    assert (response.status_code, response["Location"]) == (302, reverse("reviews:detail", args=[review.pk]))
    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.RETURNED, Rating.RED)


@pytest.mark.parametrize("version", ["", "junk", "-1"])
def test_a_confirmation_without_a_version_submits_nothing(manager_client, review, version):
    manager_client.post(reverse("reviews:rate", args=[review.pk]), form_data(review, ["gold"] * 8))

    response = manager_client.post(confirm_url(review), {"version": version})

    assert response.status_code == 200
    assert "This page is out of date" in response.content.decode()
    assert snapshot(review)[0] == ReviewStatus.DRAFT


def test_the_confirmation_of_an_unfinished_draft_goes_back_to_the_rating_page(manager_client, review):
    manager_client.post(
        reverse("reviews:rate", args=[review.pk]), form_data(review, ["gold"] * 7 + [""], action="draft")
    )

    for method in ("get", "post"):
        response = getattr(manager_client, method)(confirm_url(review), follow=True)
        assert response.redirect_chain[-1] == (reverse("reviews:rate", args=[review.pk]), 302)
        assert "Rate and comment on every area before you submit" in response.content.decode()
        assert snapshot(review)[0] == ReviewStatus.DRAFT


def test_a_lead_practitioners_confirmation_gives_no_judgement(client, lead, pep):
    review = start_review(pep, lead)
    client.force_login(lead)
    count = review.area_ratings.count()

    body = client.get(confirm_url(review), follow=True)
    assert body.redirect_chain  # nothing rated yet: back to the rating page
    response = check_and_submit(client, review, form_data(review, ["red"] * count))

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.overall_judgement, review.needs_amendment) == (ReviewStatus.SUBMITTED, "", False)
    assert Pep.objects.get(pk=pep.pk).status == PepStatus.SUBMITTED


def test_the_lead_practitioners_confirmation_page_says_what_a_lead_review_does(client, lead, pep):
    review = start_review(pep, lead)
    client.force_login(lead)
    client.post(reverse("reviews:rate", args=[review.pk]), form_data(review, ["red"] * review.area_ratings.count()))

    body = client.get(confirm_url(review)).content.decode()

    assert f"Your ratings of the {review.area_ratings.count()} areas you lead on will be recorded" in body
    assert "gives no overall judgement, and does not change the PEP" in body
    assert "returned to the designated teacher" not in body and "will be <strong>finalised" not in body


def test_a_lead_practitioners_rating_page_shows_what_a_lead_review_records_not_a_judgement(client, lead, pep):
    review = start_review(pep, lead)
    client.force_login(lead)
    count = review.area_ratings.count()

    page = client.get(reverse("reviews:rate", args=[review.pk])).content.decode()
    assert "What this review records" in page
    assert "Overall judgement" not in page and "How the judgement is reached" not in page
    assert "gives no overall judgement and does not change the PEP" in page

    ratings = ["red"] * (count - 1) + ["gold"]
    preview = client.post(reverse("reviews:judgement", args=[review.pk]), form_data(review, ratings)).content.decode()
    assert f"{count} of {count} areas you lead on rated" in preview
    assert "app-judgement--" not in preview and "Poor quality" not in preview
    assert "will be returned to the DT and SW" not in preview
    counts = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", preview))
    assert "Gold 1" in counts and f"Red {count - 1}" in counts, counts


def test_the_confirmation_pages_queries_do_not_grow_with_the_areas(manager_client, review):
    manager_client.post(reverse("reviews:rate", args=[review.pk]), form_data(review, ["red"] * 8))
    manager_client.get(confirm_url(review))
    with CaptureQueriesContext(connection) as queries:
        manager_client.get(confirm_url(review))
    # 9 with the audit trail's record of the view (one INSERT)
    assert len(queries.captured_queries) <= 9, [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "reviews_arearating"' in q["sql"] for q in queries.captured_queries) == 1


def test_judgement_preview(manager_client, review):
    url = reverse("reviews:judgement", args=[review.pk])
    partial = manager_client.post(url, form_data(review, ["gold", "", "red", "", "green", "", "", ""]))
    assert partial.status_code == 200
    assert "3 of 8 areas rated" in partial.content.decode()

    full = manager_client.post(url, form_data(review, ["green"] * 7 + ["amber"]))
    body = full.content.decode()
    assert "app-judgement--green" in body
    assert "Good quality" in body
    assert "areas rated" not in body

    # Nothing is saved by a preview; an unknown value counts as unrated.
    assert all(r.rating == "" for r in area_ratings(review))
    bogus = manager_client.post(url, form_data(review, ["gold"] * 7 + ["purple"]))
    assert "7 of 8 areas rated" in bogus.content.decode()


def test_judgement_preview_agrees_with_the_rules(manager_client, review):
    url = reverse("reviews:judgement", args=[review.pk])
    rng = random.Random(20250101)
    combos = [["red"] * 5 + ["gold"] * 3, ["gold"] * 7 + ["green"], ["red"] * 4 + ["gold"] * 4]
    combos += [[rng.choice(Rating.values) for _ in range(8)] for _ in range(25)]
    for ratings in combos:
        body = manager_client.post(url, form_data(review, ratings)).content.decode()
        expected = rules.overall_judgement(ratings)
        assert f"app-judgement--{expected.value}" in body, ratings
        assert expected.quality_label in body, ratings
        assert ("will be returned to the DT and SW" in body) is rules.needs_amendment(ratings), ratings
        for other in set(Rating) - {expected}:
            assert f"app-judgement--{other.value}" not in body


def test_a_submitted_review_cannot_be_changed(manager_client, review, pep):
    rate_url = reverse("reviews:rate", args=[review.pk])
    detail_url = reverse("reviews:detail", args=[review.pk])
    version = review.version + 1  # the draft saved by "Check and submit"
    check_and_submit(manager_client, review, form_data(review, ["gold"] * 8))
    submitted = snapshot(review)
    assert submitted[0] == ReviewStatus.SUBMITTED

    for url in (rate_url, confirm_url(review)):
        response = manager_client.get(url)
        assert (response.status_code, response["Location"]) == (302, detail_url)

    for action in ("submit", "draft"):
        response = manager_client.post(rate_url, form_data(review, ["red"] * 8, action=action, strengths="Rewritten"))
        assert (response.status_code, response["Location"]) == (302, detail_url)
        assert snapshot(review) == submitted
    # A second confirm (a second tab, the back button) submits nothing more.
    response = manager_client.post(confirm_url(review), {"version": version})
    assert (response.status_code, response["Location"]) == (302, detail_url)
    assert snapshot(review) == submitted

    # Starting again does not reopen it: a new line-management review needs a submitted PEP.
    response = manager_client.post(reverse("reviews:start", args=[pep.pk]))
    assert QaReview.objects.filter(pep=pep).count() == 1
    # Refused (403), or sent back to the PEP with the reason: never to a rate page.
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("peps:detail", args=[pep.pk])
    assert snapshot(review) == submitted


SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def test_admin_entered_wording_is_escaped_on_the_rate_page(manager_client, pep, manager):
    # The wording is set before the review starts: once in use, the version is frozen.
    pro_forma = ProForma.objects.current_for(pep.phase)
    area = pro_forma.areas.order_by("position").first()
    area.title = f"Voice {SCRIPT} {IMG}"
    area.description = f"Look for {SCRIPT} {IMG}"
    for rating in Rating:
        setattr(area, f"{rating.value}_criteria", f"{rating.label} {SCRIPT} {IMG}")
    area.save()
    manager_client.post(reverse("reviews:start", args=[pep.pk]))
    review = QaReview.objects.get(pep=pep, reviewer=manager)

    shown = manager_client.get(reverse("reviews:rate", args=[review.pk]))
    # A failed submit shows the title again, in the error summary and messages.
    failed = manager_client.post(reverse("reviews:rate", args=[review.pk]), form_data(review, [""] * 8))

    for response in (shown, failed):
        assert response.status_code == 200
        body = response.content.decode()
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert escape(area.title) in body
        assert escape(area.description) in body
        for rating in Rating:
            assert escape(area.criteria_for(rating)) in body
    assert escape(f"Select a rating for {area.title}") in failed.content.decode()


def test_no_crispy_template_marks_a_label_or_hint_safe():
    # The project overrides every crispy-forms-gds template that does; a new one after an
    # upgrade fails here until it is overridden too.
    package = Path(crispy_forms_gds.__file__).parent / "templates"
    marked = re.compile(r"field\.(label|help_text)\|safe")
    originals = [
        path.relative_to(package).as_posix() for path in package.rglob("*.html") if marked.search(path.read_text())
    ]
    assert "gds/layout/radios.html" in originals
    for name in originals:
        assert not marked.search(get_template(name).template.source), name


# Two tabs of one draft; a draft overtaken by another manager's outcome


def opened_form(client, review) -> dict:
    """GET the rating page, as a tab opening it: the version its form carries."""
    body = client.get(reverse("reviews:rate", args=[review.pk])).content.decode()
    version = re.search(r'<input type="hidden" name="version" value="(\d+)"', body)
    assert version, "the rating form carries the review's version"
    return {"version": version[1]}


def test_a_second_tab_cannot_blank_what_the_first_tab_saved(manager_client, review):
    """Defect: two tabs of one draft; the second tab's save, from a form opened before
    the first tab's, silently blanked the areas saved from the first."""
    url = reverse("reviews:rate", args=[review.pk])
    tab1, tab2 = opened_form(manager_client, review), opened_form(manager_client, review)
    first = ["gold", "green", "gold", "green", "", "", "", ""]
    manager_client.post(url, {**form_data(review, first, action="draft", strengths="From tab 1"), **tab1})
    saved = snapshot(review)

    typed = ["", "", "", "", "red", "amber", "red", ""]
    typed_comments = ["", "", "", "", "No voice", "Thin", "Missing", ""]
    response = manager_client.post(
        url, {**form_data(review, typed, typed_comments, action="draft", strengths="From tab 2"), **tab2}
    )

    assert response.status_code == 200
    body = response.content.decode()
    summary = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>\s*</div>', body, re.S)[0]
    assert "This review was changed in another tab or window since you opened it" in summary
    assert snapshot(review) == saved  # tab 1's ratings intact, nothing from tab 2 saved
    ids = [r.pk for r in area_ratings(review)]
    state = FormState(body)  # what tab 2 typed, not lost
    assert state.checked == {f"rating_{ids[i]}": rating for i, rating in enumerate(typed) if rating}
    assert state.textareas["strengths"] == "From tab 2"
    assert state.textareas[f"comment_{ids[4]}"] == "No voice"
    # Told, the user may keep what they typed by saving again: it then carries the
    # version now saved.
    rebased = re.search(r'<input type="hidden" name="version" value="(\d+)"', body)[1]
    assert int(rebased) == review.version == int(tab1["version"]) + 1


def test_the_live_judgement_preview_does_not_count_as_a_save(manager_client, review):
    tab = opened_form(manager_client, review)
    manager_client.post(reverse("reviews:judgement", args=[review.pk]), {**form_data(review, ["gold"] * 8), **tab})

    response = manager_client.post(
        reverse("reviews:rate", args=[review.pk]), {**form_data(review, ["gold"] * 8, action="draft"), **tab}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.version == int(tab["version"]) + 1


def test_submitting_a_draft_after_another_managers_outcome_is_refused(manager_client, review, pep, vsh):
    rate_url = reverse("reviews:rate", args=[review.pk])
    tab = opened_form(manager_client, review)
    theirs = start_review(pep, vsh)
    save_review(theirs, rate_all(theirs, ["gold"] * 8), strengths="", development_points="", submit=True)

    typed = ["red", "amber", "red", "red", "green", "amber", "red", "green"]
    response = manager_client.post(rate_url, {**form_data(review, typed, strengths="Mine"), **tab})

    # What was typed is kept, as the draft; the confirmation page says why it cannot be
    # submitted, and offers no button.
    assert (response.status_code, response["Location"]) == (302, confirm_url(review))
    saved = snapshot(review)
    assert saved[0] == ReviewStatus.DRAFT and saved[-1] == PepStatus.FINALISED
    assert [rating for rating, _comment in saved[4]] == typed and saved[2] == "Mine"
    page = manager_client.get(confirm_url(review))
    body = page.content.decode()
    assert "govuk-error-summary" in body
    assert escape(f"This PEP was finalised by {vsh} and is no longer awaiting QA") in body
    assert "your draft was kept" in body
    assert "Confirm and submit" not in body

    # Confirmed all the same (a page opened before): refused, the draft kept.
    response = manager_client.post(confirm_url(review), {"version": VERSION.search(body)[1]})
    assert response.status_code == 200
    assert escape(f"This PEP was finalised by {vsh} and is no longer awaiting QA") in response.content.decode()
    assert snapshot(review) == saved
    state = FormState(manager_client.get(rate_url).content.decode())
    assert list(state.checked.values()) == typed and state.textareas["strengths"] == "Mine"


# --- the PEP beside the areas ---------------------------------------------------------------


@pytest.fixture
def described_pep(pep):
    """``pep`` with its meeting, facts and sections filled in, as an import would."""
    child = pep.child
    child.has_send, child.has_ehcp = True, True
    child.save()
    Pep.objects.filter(pk=pep.pk).update(
        meeting_date=date(2001, 10, 2),
        next_meeting_date=date(2002, 1, 15),
        sw_attended=True,
        dt_attended=False,
        child_attended=True,
        carer_attended=True,
        sw_section_updated=True,
        pp_plus_requested=True,
        pp_plus_amount=Decimal("450.50"),
        attendance_percent=Decimal("91.5"),
        child_views=f"Views: I like maths. {SCRIPT}",
        education_summary="Education: small-group literacy support.",
        attainment_summary="Attainment: at the expected standard in maths.",
        targets="Targets: read for 20 minutes a day.",
        aspirations_summary="",
        epep_url="https://epep.example.org/peps/4711",
    )
    AspirationEntry.objects.create(
        pep=pep,
        category=AspirationCategory.CAREER,
        aspiration="Be a vet",
        steps="Work experience at the animal rescue",
        trusted_adult="Aunt Jo",
    )
    pep.refresh_from_db()
    return pep


def _areas_html(body: str) -> dict[int, str]:
    """The markup of each area of the rating form, by position."""
    parts = re.split(r'<div class="app-rating-area" id="area-(\d+)">', body)
    return {
        int(position): html.split('<div class="app-rating-area"')[0]
        for position, html in zip(parts[1::2], parts[2::2], strict=True)
    }


def _panel_html(body: str) -> str:
    return body.split('<section class="app-pep-panel"')[1].split("</section>")[0]


def test_the_pep_is_beside_the_areas(manager_client, manager, described_pep):
    review = start_review(described_pep, manager)
    body = manager_client.get(reverse("reviews:rate", args=[review.pk])).content.decode()
    panel = _panel_html(body)

    school = escape(str(described_pep.child.school))
    for shown in (
        "2 October 2001",
        "15 January 2002",
        "Social worker: <strong>Yes</strong>",
        "Designated teacher: <strong>No</strong>",
        "Child: <strong>Yes</strong>",
        "Carer: <strong>Yes</strong>",
        "SW section updated",
        "Yes, £450.50",
        "91.5%",
        school,
        "Year 5",
        "SSA",
        "Yes, with an EHCP",
        "Education: small-group literacy support.",
        "Attainment: at the expected standard in maths.",
        "Targets: read for 20 minutes a day.",
        "Be a vet",
        "Work experience at the animal rescue",
        "Aunt Jo",
        escape(f"Views: I like maths. {SCRIPT}"),
    ):
        assert shown in panel, shown
    # Each part under the number and title of the area that rates it, in the areas' order.
    titles = [f"{r.area.position}. {r.area.title}" for r in area_ratings(review)]
    headings = re.findall(r'<h3 class="app-pep-panel__part" id="pep-part-\d">([^<]*)</h3>', panel)
    assert headings == [escape(title) for title in titles]
    # The blank aspirations summary.
    assert "Not recorded" in panel


def test_each_area_shows_its_part_of_the_pep_above_its_radios(manager_client, manager, described_pep):
    review = start_review(described_pep, manager)
    areas = _areas_html(manager_client.get(reverse("reviews:rate", args=[review.pk])).content.decode())
    assert sorted(areas) == list(range(1, 9))

    expected = {
        1: ["2 October 2001", "15 January 2002", "Carer: <strong>Yes</strong>"],
        2: ["SW section updated", "Yes, with an EHCP"],
        3: [escape(str(described_pep.child.school)), "Education: small-group literacy support."],
        4: ["Attainment: at the expected standard in maths."],
        5: [escape(f"Views: I like maths. {SCRIPT}")],
        6: ["91.5%"],
        7: ["Yes, £450.50", "Targets: read for 20 minutes a day."],
        8: ["Be a vet", "Aunt Jo", "Not recorded"],
    }
    sections = ["small-group literacy", "expected standard in maths", "I like maths", "20 minutes a day", "Be a vet"]
    for position, html in areas.items():
        details, radios = html.split('<details class="govuk-details app-area-pep">')[1].split("</details>", 1)
        assert 'type="radio"' in radios and 'type="radio"' not in details  # the part, then the radios
        for shown in expected[position]:
            assert shown in details, (position, shown)
        # Only its own part: no other area's section text.
        others = [text for text in sections if not any(text in s for s in expected[position])]
        assert not any(text in details for text in others), position


def test_pep_texts_from_an_import_are_escaped(manager_client, manager, described_pep):
    Pep.objects.filter(pk=described_pep.pk).update(
        targets=f"Targets {IMG}",
        attainment_summary=f"Attainment {SCRIPT}",
    )
    AspirationEntry.objects.create(
        pep=described_pep, category=AspirationCategory.OTHER, aspiration=SCRIPT, steps=IMG, trusted_adult=SCRIPT
    )
    review = start_review(described_pep, manager)
    body = manager_client.get(reverse("reviews:rate", args=[review.pk])).content.decode()

    assert "<script>alert" not in body
    assert "<img src=x" not in body
    # Twice each: the panel, and the area's own part.
    assert body.count(escape(f"Views: I like maths. {SCRIPT}")) == 2
    assert body.count(escape(f"Targets {IMG}")) == 2


def test_the_link_to_the_pep_in_the_epep_system_opens_a_new_tab_and_says_so(manager_client, manager, described_pep):
    review = start_review(described_pep, manager)
    body = manager_client.get(reverse("reviews:rate", args=[review.pk])).content.decode()
    links = re.findall(r'<a class="govuk-link" href="https://epep.example.org/peps/4711"([^>]*)>(.*?)</a>', body)
    assert links  # in the panel, and above the areas for a narrow screen
    for attributes, label in links:
        assert 'target="_blank"' in attributes
        assert 'rel="noopener noreferrer"' in attributes
        assert "Open the PEP in the ePEP system" in label
        assert "(opens in new tab)" in label


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,hi", "http://["])
def test_no_link_to_the_epep_system_without_a_web_address(manager_client, manager, described_pep, url):
    Pep.objects.filter(pk=described_pep.pk).update(epep_url=url)
    review = start_review(described_pep, manager)
    body = manager_client.get(reverse("reviews:rate", args=[review.pk])).content.decode()
    assert "Open the PEP in the ePEP system" not in body
    assert "javascript:" not in body.lower()


def test_the_rating_pages_queries_do_not_grow_with_the_pep(
    manager_client, manager, described_pep, django_assert_num_queries
):
    """The PEP panel adds one query, for the Aspiration Pathway, whatever its length (read
    once for the panel and the last area); the school comes with the PEP."""
    review = start_review(described_pep, manager)
    url = reverse("reviews:rate", args=[review.pk])
    manager_client.get(url)  # the session and the like, once
    with CaptureQueriesContext(connection) as one:
        manager_client.get(url)
    for n in range(6):
        AspirationEntry.objects.create(
            pep=described_pep, category=AspirationCategory.ACADEMIC, aspiration=f"Aspiration {n}"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        body = manager_client.get(url).content.decode()
    assert "Aspiration 5" in body
    tables = [q["sql"] for q in one.captured_queries]
    assert sum('FROM "peps_aspirationentry"' in sql for sql in tables) == 1
    assert not any('FROM "peps_school"' in sql for sql in tables)


# --- the previous QA round beside each area ---------------------------------------------------


def _returned_and_amended(pep, manager, ratings, comment="Round 1 said so"):
    """A line-management review of ``pep`` that returned it, and the PEP marked amended."""
    first = start_review(pep, manager)
    save_review(first, rate_all(first, ratings, comment=comment), strengths="", development_points="", submit=True)
    mark_amended(Pep.objects.get(pk=pep.pk), by=pep.officer)
    return QaReview.objects.get(pk=first.pk)


def _previous_boxes(body: str) -> dict[int, str]:
    return {
        position: html.split('<div class="app-previous-rating">')[1].split("</div>")[0]
        for position, html in _areas_html(body).items()
        if '<div class="app-previous-rating">' in html
    }


def test_an_amended_pep_shows_the_previous_rounds_rating_and_comment_beside_each_area(manager_client, manager, pep):
    ratings = ["red", "amber", "red", "green", "amber", "red", "gold", "green"]
    first = _returned_and_amended(pep, manager, ratings)
    second = start_review(Pep.objects.get(pk=pep.pk), manager)

    body = manager_client.get(reverse("reviews:rate", args=[second.pk])).content.decode()

    notice = re.search(r'<div class="govuk-inset-text" id="previous-review">(.*?)</div>', body, re.S)[1]
    assert "returned for amendment</strong> in QA round 1" in notice and "This is QA round 2" in notice
    assert reverse("reviews:detail", args=[first.pk]) in notice
    boxes = _previous_boxes(body)
    assert sorted(boxes) == list(range(1, 9))
    for position, rating in enumerate(ratings, start=1):
        assert f"app-rating-tag--{rating}" in boxes[position], position
        assert "Round 1 said so" in boxes[position]
        assert "In QA round 1" in boxes[position]
    # The new review starts empty: the previous ratings are shown, not copied.
    assert FormState(body).checked == {}


def test_the_previous_rounds_comments_are_escaped(manager_client, manager, pep):
    _returned_and_amended(pep, manager, ["red"] * 8, comment=SCRIPT)
    second = start_review(Pep.objects.get(pk=pep.pk), manager)

    body = manager_client.get(reverse("reviews:rate", args=[second.pk])).content.decode()

    assert "<script>alert" not in body and escape(SCRIPT) in body


def test_a_first_round_and_a_moderation_show_no_previous_review(manager_client, manager, other_manager, client, pep):
    first = start_review(pep, manager)
    body = manager_client.get(reverse("reviews:rate", args=[first.pk])).content.decode()
    assert 'id="previous-review"' not in body and "app-previous-rating" not in body

    # A moderator re-rates blind: never the line manager's ratings beside the areas.
    _returned_and_amended(pep, manager, ["red"] * 8)
    moderation = start_review(Pep.objects.get(pk=pep.pk), manager, kind=ReviewKind.MODERATION)
    body = manager_client.get(reverse("reviews:rate", args=[moderation.pk])).content.decode()
    assert "app-previous-rating" not in body


def test_the_previous_round_on_another_pro_forma_version_is_matched_by_title(manager_client, manager, pep):
    ratings = ["red", "amber", "red", "green", "amber", "red", "gold", "green"]
    _returned_and_amended(pep, manager, ratings)
    old = list(ProForma.objects.current_for(pep.phase).areas.order_by("position"))
    # A new version: the first two areas swapped, the third renamed, one area fewer.
    new = ProFormaFactory(phase=pep.phase, areas=0)
    titles = [old[1].title, old[0].title, "A brand new area", *[a.title for a in old[3:7]]]
    for position, title in enumerate(titles, start=1):
        ProFormaAreaFactory(pro_forma=new, position=position, title=title)
    second = start_review(Pep.objects.get(pk=pep.pk), manager)
    assert second.pro_forma == new

    boxes = _previous_boxes(manager_client.get(reverse("reviews:rate", args=[second.pk])).content.decode())

    assert f"app-rating-tag--{ratings[1]}" in boxes[1] and escape(f"as “{old[1]}”") in boxes[1]
    assert f"app-rating-tag--{ratings[0]}" in boxes[2]
    assert f"app-rating-tag--{ratings[2]}" in boxes[3]  # by its position, the title being new
    for position in range(4, 8):
        assert f"app-rating-tag--{ratings[position - 1]}" in boxes[position]
        assert "as “" not in boxes[position]  # the same area: no need to name it


def test_the_rating_pages_queries_do_not_grow_with_the_rounds(manager_client, manager, pep):
    _returned_and_amended(pep, manager, ["red"] * 8)
    second = start_review(Pep.objects.get(pk=pep.pk), manager)
    url = reverse("reviews:rate", args=[second.pk])
    manager_client.get(url)
    with CaptureQueriesContext(connection) as round_two:
        manager_client.get(url)
    save_review(second, rate_all(second, ["amber"] * 8), strengths="", development_points="", submit=True)
    mark_amended(Pep.objects.get(pk=pep.pk), by=pep.officer)
    third = start_review(Pep.objects.get(pk=pep.pk), manager)
    url = reverse("reviews:rate", args=[third.pk])
    manager_client.get(url)
    with CaptureQueriesContext(connection) as round_three:
        body = manager_client.get(url).content.decode()

    assert "In QA round 2" in body and "In QA round 1" not in body
    assert len(round_three.captured_queries) == len(round_two.captured_queries)
    assert sum('FROM "reviews_arearating"' in q["sql"] for q in round_three.captured_queries) == 2


# --- correcting a submitted review --------------------------------------------------------------


def _submitted(pep, reviewer, ratings, comment="As submitted"):
    review = start_review(pep, reviewer)
    save_review(review, rate_all(review, ratings, comment=comment), strengths="", development_points="", submit=True)
    return QaReview.objects.get(pk=review.pk)


def correction_data(review, ratings, reason="Rated from the wrong PEP", comments=None, **extra):
    data = form_data(review, ratings, comments, **extra)
    data.pop("action")
    review.refresh_from_db()
    return {**data, "reason": reason, "version": review.version}


def test_correcting_a_returned_review_finalises_the_pep_and_tells_its_story(manager_client, manager, pep):
    review = _submitted(pep, manager, ["red"] * 5 + ["green"] * 3)
    detail = manager_client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
    correct_url = reverse("reviews:correct", args=[review.pk])
    assert f'href="{correct_url}"' in detail and "Correct this review" in detail

    page = manager_client.get(correct_url).content.decode()
    state = FormState(page)
    assert list(state.checked.values()) == ["red"] * 5 + ["green"] * 3  # the review as it is
    assert 'name="reason"' in page
    response = manager_client.post(correct_url, correction_data(review, ["green"] * 8), follow=True)

    assert response.redirect_chain == [(reverse("reviews:detail", args=[review.pk]), 302)]
    body = response.content.decode()
    assert "Review corrected. The PEP is now finalised" in body
    assert '<h1 class="govuk-panel__title">Green</h1>' in body
    corrections = body.split('id="corrections"')[1]
    assert f"Corrected by {manager}" in corrections and "Reason: Rated from the wrong PEP" in corrections
    assert "app-rating-tag--red" in corrections and "app-rating-tag--green" in corrections
    assert "Returned for amendment → Finalised" in corrections
    pep.refresh_from_db()
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, Rating.GREEN)
    # The PEP's history: returned in round 1, then finalised by the correction, and why.
    story = manager_client.get(reverse("peps:detail", args=[pep.pk])).content.decode().split('id="qa-story"')[1]
    returned, corrected = story.index("Returned for amendment by"), story.index("Returned for amendment → Finalised")
    assert returned < corrected
    assert "QA round 1" in story and "Reason: Rated from the wrong PEP." in story
    assert "Judgement: " in story


def test_a_correction_without_a_reason_keeps_what_was_typed_and_changes_nothing(manager_client, manager, pep):
    review = _submitted(pep, manager, ["red"] * 8)
    before = snapshot(review)
    typed = ["gold", "green", "", "red", "gold", "green", "amber", "red"]

    response = manager_client.post(
        reverse("reviews:correct", args=[review.pk]),
        correction_data(review, typed, reason="  ", strengths="Typed strengths"),
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_reason"' in body and "Enter why you are correcting this review" in body
    assert "Select a rating for" in body  # every area rated, as on submit
    state = FormState(body)
    assert list(state.checked.values()) == [rating for rating in typed if rating]
    assert state.textareas["strengths"] == "Typed strengths"
    assert snapshot(review) == before


def test_a_correction_opened_before_another_correction_is_refused(manager_client, client, manager, vsh, pep):
    review = _submitted(pep, manager, ["red"] * 8)
    mine = correction_data(review, ["green"] * 8, reason="Mine")
    client.force_login(vsh)
    theirs = correction_data(review, ["amber"] * 8, reason="Theirs")
    assert client.post(reverse("reviews:correct", args=[review.pk]), theirs).status_code == 302

    response = manager_client.post(reverse("reviews:correct", args=[review.pk]), mine)

    assert response.status_code == 200
    body = response.content.decode()
    assert "corrected by someone else" in body
    assert list(FormState(body).checked.values()) == ["green"] * 8  # what I typed, kept
    review.refresh_from_db()
    assert review.overall_judgement == Rating.AMBER
    assert list(review.corrections.values_list("reason", flat=True)) == ["Theirs"]
    # Told, I may save mine over theirs: the form now carries the version saved.
    assert VERSION.search(body)[1] == str(review.version)


def test_the_correction_pages_live_judgement_says_when_the_outcome_changes(manager_client, manager, officer, pep):
    review = _submitted(pep, manager, ["red"] * 8)
    url = reverse("reviews:correction_judgement", args=[review.pk])

    same = manager_client.post(url, correction_data(review, ["amber"] * 8)).content.decode()
    changes = manager_client.post(url, correction_data(review, ["green"] * 8)).content.decode()
    partial = manager_client.post(url, correction_data(review, ["green"] * 7 + [""])).content.decode()

    assert "The outcome stays the same: returned for amendment" in same
    assert "<strong>The outcome changes</strong>" in changes and "the PEP is finalised" in changes
    assert "7 of 8 areas rated" in partial
    mark_amended(Pep.objects.get(pk=pep.pk), by=officer)  # moved on: its status stays
    moved_on = manager_client.post(url, correction_data(review, ["green"] * 8)).content.decode()
    assert "The PEP has moved on since this review" in moved_on
    assert snapshot(review)[1] == Rating.RED  # a preview saves nothing


def test_only_those_allowed_are_offered_the_correction(client, manager, lead, vsh, pep):
    review = _submitted(pep, manager, ["green"] * 8)
    for user, offered in ((manager, True), (vsh, True), (lead, False)):
        client.force_login(user)
        body = client.get(reverse("reviews:detail", args=[review.pk])).content.decode()
        assert ("Correct this review" in body) is offered, user
        status = client.post(reverse("reviews:correct", args=[review.pk]), correction_data(review, ["red"] * 8))
        if not offered:
            assert status.status_code == 403
    client.force_login(lead)
    assert client.post(reverse("reviews:correction_judgement", args=[review.pk])).status_code == 403


def test_the_review_detail_tells_the_rounds_as_one_story(manager_client, manager, pep):
    first = _returned_and_amended(pep, manager, ["red", "amber", "red", "green", "amber", "red", "gold", "green"])
    second = _submitted(Pep.objects.get(pk=pep.pk), manager, ["green"] * 8)

    body = manager_client.get(reverse("reviews:detail", args=[second.pk])).content.decode()

    assert "QA round 2 of this PEP" in body
    assert "QA round 1 returned this PEP for amendment" in body
    assert reverse("reviews:detail", args=[first.pk]) in body
    story = body.split('id="qa-story"')[1]
    returned = story.index("Submitted for QA → Returned for amendment")
    amended = story.index("Returned for amendment → Submitted for QA")
    finalised = story.index("Submitted for QA → Finalised")
    assert returned < amended < finalised
    areas = story[returned:amended]
    assert "Round 1 said so" in areas  # round 1's areas to amend, with their comments
    assert areas.count("<li><strong>") == 5  # the Red and Amber areas


def test_the_pep_pages_history_queries_do_not_grow_with_the_corrections(manager_client, manager, vsh, pep):
    review = _submitted(pep, manager, ["red"] * 8)
    url = reverse("peps:detail", args=[pep.pk])
    correct_review(
        review, rate_all(review, ["amber"] * 8), strengths="", development_points="", reason="One", by=vsh, version=None
    )
    manager_client.get(url)
    with CaptureQueriesContext(connection) as one:
        manager_client.get(url)
    for n, rating in enumerate(["red", "amber", "red"]):  # all returned: the same page but for the story
        correct_review(
            QaReview.objects.get(pk=review.pk),
            rate_all(review, [rating] * 8),
            strengths="",
            development_points="",
            reason=f"Again {n}",
            by=vsh,
            version=None,
        )
    with CaptureQueriesContext(connection) as four:
        body = manager_client.get(url).content.decode()
    assert "Again 2" in body
    assert len(four.captured_queries) == len(one.captured_queries)
