"""The QA sampling pages: the worklist, coverage, moderation (blind until re-rated),
settling disagreements, peer reviews, finalising without QA, and their query counts."""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.dateformat import format as date_format

from accounts.models import LeadArea, LeadAreaTheme
from core.vocabulary import Role
from peps.models import PepStatus
from reviews.models import AreaRating, QaReview, ReviewKind
from reviews.services import AreaInput, save_review, start_review
from sampling.models import ModerationSettlement, SampleEntry, SampleKind
from sampling.services import draw_term_samples, qa_due_date, start_entry_review

from .factories import ChildFactory, PepFactory, SampleEntryFactory, SampleFactory, UserFactory, rate_all

pytestmark = pytest.mark.django_db


def submit(review, ratings):
    return save_review(review, rate_all(review, ratings), strengths="", development_points="", submit=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the worklist ----------------------------------------------------------------------


def test_reviews_worklist_url_is_the_sample_worklist(client, manager, officer, pep):
    draw_term_samples(pep.term)
    client.force_login(manager)
    html = body(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert "My QA worklist" in html
    assert "0 of 1</strong> sampled PEP done" in html


def test_worklist_shows_entries_with_reasons_due_dates_and_status(client, manager, officer, pep):
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=manager)
    client.force_login(manager)

    html = body(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert pep.child.full_name in html and pep.child.la_reference in html
    assert entry.get_reason_display() in html
    assert "Line-management sample" in html
    assert date_format(qa_due_date(pep.term), "j M Y") in html
    assert "Overdue" in html  # the factory's terms are long past
    assert "Not started" in html
    assert reverse("sampling:entry_start", args=[entry.pk]) in html


def test_rate_button_starts_a_line_management_review(client, manager, officer, pep):
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=manager)
    client.force_login(manager)

    response = client.post(reverse("sampling:entry_start", args=[entry.pk]))
    review = QaReview.objects.get(pep=pep, reviewer=manager)
    assert response["Location"] == reverse("reviews:rate", args=[review.pk])
    assert review.kind == ReviewKind.LINE_MANAGEMENT
    entry.refresh_from_db()
    assert entry.review == review
    assert "In progress (draft)" in body(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    # Once more: the same draft, continued.
    assert client.post(reverse("sampling:entry_start", args=[entry.pk]))["Location"] == response["Location"]
    assert QaReview.objects.filter(pep=pep).count() == 1

    submit(review, ["green"] * 8)
    html = body(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert "1 of 1</strong> sampled PEP done" in html
    assert "app-rating-tag--green" in html
    # A done entry opens the review instead of starting another.
    done = client.post(reverse("sampling:entry_start", args=[entry.pk]))
    assert done["Location"] == reverse("reviews:detail", args=[review.pk])


def test_rate_button_of_a_lead_area_entry_starts_a_lead_sample_of_the_lead_areas(client, officer, pep):
    area = LeadArea.objects.create(code="send-sample", name="SEND", theme=LeadAreaTheme.SEND, rated_areas="2,3,7")
    lead = UserFactory(role=Role.LEAD)
    lead.lead_areas.add(area)
    child = ChildFactory(allocated_officer=officer, has_send=True)
    send_pep = PepFactory(child=child, term=pep.term, status=PepStatus.SUBMITTED)
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=lead)
    assert entry.pep == send_pep
    client.force_login(lead)

    html = body(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert "Lead area sample: SEND" in html
    assert "Lead-practitioner sample" in html

    response = client.post(reverse("sampling:entry_start", args=[entry.pk]))
    review = QaReview.objects.get(reviewer=lead)
    assert response["Location"] == reverse("reviews:rate", args=[review.pk])
    assert review.kind == ReviewKind.LEAD_SAMPLE
    assert sorted(review.area_ratings.values_list("area__position", flat=True)) == [2, 3, 7]


def test_draft_pep_cannot_be_rated_from_the_worklist(client, manager, officer, pep):
    pep.status = PepStatus.DRAFT
    pep.save()
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=manager)
    client.force_login(manager)
    html = body(client.get(reverse("reviews:worklist"), {"term": pep.term.pk}))
    assert "PEP not yet submitted" in html
    assert reverse("sampling:entry_start", args=[entry.pk]) not in html
    response = client.post(reverse("sampling:entry_start", args=[entry.pk]))
    assert response.status_code == 302
    assert not QaReview.objects.exists()


def test_someone_elses_entry_cannot_be_started(client, manager, other_manager, officer, pep):
    draw_term_samples(pep.term)
    entry = SampleEntry.objects.get(assigned_to=manager)
    client.force_login(other_manager)
    assert client.post(reverse("sampling:entry_start", args=[entry.pk])).status_code == 404


# --- finalising without QA -------------------------------------------------------------


@pytest.fixture
def sampled_and_not(officer, pep):
    """Two submitted PEPs of ``officer``: a quarter of two is one, so one is sampled."""
    second = PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.SUBMITTED)
    draw_term_samples(pep.term)
    sampled = SampleEntry.objects.get(sample__kind=SampleKind.LINE_MANAGEMENT).pep
    return sampled, (second if sampled == pep else pep)


def test_worklist_offers_finalising_the_teams_peps_outside_the_sample(client, manager, sampled_and_not):
    sampled, not_sampled = sampled_and_not
    client.force_login(manager)
    html = body(client.get(reverse("reviews:worklist"), {"term": sampled.term.pk}))
    section = html.split("not in the sample")[1]
    assert reverse("peps:finalise", args=[not_sampled.pk]) in section
    assert reverse("peps:finalise", args=[sampled.pk]) not in html


def test_finalise_without_qa_when_not_sampled(client, manager, sampled_and_not):
    _, not_sampled = sampled_and_not
    client.force_login(manager)
    assert "Finalise without QA" in body(client.get(reverse("peps:detail", args=[not_sampled.pk])))

    # The button asks first, saying what finalising without QA means; nothing changes yet.
    asked = client.post(reverse("peps:finalise", args=[not_sampled.pk]), {"next": reverse("reviews:worklist")})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Finalise this PEP without a QA review?" in page
    assert 'name="confirmed" value="True"' in page and f'value="{reverse("reviews:worklist")}"' in page
    not_sampled.refresh_from_db()
    assert not_sampled.status == PepStatus.SUBMITTED

    response = client.post(
        reverse("peps:finalise", args=[not_sampled.pk]), {"next": reverse("reviews:worklist"), "confirmed": "True"}
    )
    assert response["Location"] == reverse("reviews:worklist")
    not_sampled.refresh_from_db()
    assert not_sampled.status == PepStatus.FINALISED
    assert any("finalised without a QA review" in m for m in messages_of(response))


def test_finalise_without_qa_refused_when_sampled(client, manager, sampled_and_not):
    sampled, _ = sampled_and_not
    client.force_login(manager)
    assert "Finalise without QA" not in body(client.get(reverse("peps:detail", args=[sampled.pk])))

    response = client.post(reverse("peps:finalise", args=[sampled.pk]))
    assert response["Location"] == reverse("peps:detail", args=[sampled.pk])
    sampled.refresh_from_db()
    assert sampled.status == PepStatus.SUBMITTED
    assert any("QA sample" in m for m in messages_of(response))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # Not the officer: finalising a PEP without QA is for whoever assures its quality.
        ("officer", 403),
        ("manager", 302),
        ("vsh", 302),
        ("lead", 403),
        ("administrator", 403),
        ("other_manager", 404),
    ],
)
def test_who_may_finalise_without_qa(client, request, sampled_and_not, role, expected):
    _, not_sampled = sampled_and_not
    client.force_login(request.getfixturevalue(role))
    page = client.get(reverse("peps:detail", args=[not_sampled.pk]))
    if page.status_code == 200:  # the button shows only to those who may use it
        assert ("Finalise without QA" in page.content.decode()) is (expected == 302)
    response = client.post(reverse("peps:finalise", args=[not_sampled.pk]), {"confirmed": "True"})
    assert response.status_code == expected
    not_sampled.refresh_from_db()
    assert (not_sampled.status == PepStatus.FINALISED) == (expected == 302)


def _not_sampled_peps(officer, term, count):
    """``count`` more submitted PEPs of ``officer``, outside the sample (drawn first)."""
    return [
        PepFactory(child=ChildFactory(allocated_officer=officer), term=term, status=PepStatus.SUBMITTED)
        for _ in range(count)
    ]


def test_finalising_the_selected_peps_asks_once_then_finalises_each(client, manager, sampled_and_not, other_pep):
    sampled, not_sampled = sampled_and_not
    more = _not_sampled_peps(not_sampled.child.allocated_officer, not_sampled.term, 2)
    chosen = [not_sampled, more[0]]
    client.force_login(manager)
    worklist = body(client.get(reverse("reviews:worklist"), {"term": sampled.term.pk}))
    assert 'data-module="moj-multi-select"' in worklist and "Finalise the selected PEPs without QA" in worklist
    assert f'name="pep" type="checkbox" value="{not_sampled.pk}"' in worklist

    url = reverse("peps:finalise_selected")
    # The sampled PEP and another team's are not the manager's to finalise: left out, as
    # if not ticked, on the page and after it.
    ticked = [p.pk for p in chosen] + [sampled.pk, other_pep.pk]
    asked = client.post(url, {"pep": ticked, "next": reverse("reviews:worklist")})
    page = body(asked)
    assert asked.status_code == 200 and "Finalise 2 PEPs without a QA review?" in page
    for pep in chosen:
        assert pep.child.full_name in page
    for pep in (sampled, other_pep, more[1]):
        assert pep.child.full_name not in page
    assert all(p.status == PepStatus.SUBMITTED for p in PepFactory._meta.model.objects.filter(pk__in=ticked))

    done = client.post(url, {"pep": ticked, "confirmed": "True", "next": reverse("reviews:worklist")})
    assert done["Location"] == reverse("reviews:worklist")
    assert "2 PEPs finalised without a QA review" in messages_of(done)
    statuses = dict(PepFactory._meta.model.objects.values_list("pk", "status"))
    assert [statuses[p.pk] for p in chosen] == [PepStatus.FINALISED] * 2
    assert statuses[sampled.pk] == statuses[other_pep.pk] == statuses[more[1].pk] == PepStatus.SUBMITTED

    # A second click (another tab) finds nothing left to finalise, and says so.
    again = client.post(url, {"pep": [p.pk for p in chosen], "confirmed": "True"})
    assert again.status_code == 302 and "Select the PEPs to finalise without QA" in messages_of(again)


def test_the_selected_peps_page_takes_as_many_queries_for_twelve_as_for_two(client, manager, sampled_and_not):
    _, not_sampled = sampled_and_not
    officer = not_sampled.child.allocated_officer
    few = [not_sampled, *_not_sampled_peps(officer, not_sampled.term, 1)]
    many = few + _not_sampled_peps(officer, not_sampled.term, 10)
    client.force_login(manager)
    url = reverse("peps:finalise_selected")
    counts = []
    for chosen in (few, many):
        with CaptureQueriesContext(connection) as queries:
            page = client.post(url, {"pep": [p.pk for p in chosen]})
        assert f"Finalise {len(chosen)} PEPs without a QA review?" in body(page)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_finalising_nothing_selected_says_what_to_do(client, manager, sampled_and_not):
    client.force_login(manager)
    response = client.post(reverse("peps:finalise_selected"), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("reviews:worklist")
    assert "Select the PEPs to finalise without QA" in messages_of(response)


def test_an_officer_cannot_finalise_selected_peps(client, officer, sampled_and_not):
    _, not_sampled = sampled_and_not
    client.force_login(officer)
    client.post(reverse("peps:finalise_selected"), {"pep": [not_sampled.pk], "confirmed": "True"})
    not_sampled.refresh_from_db()
    assert not_sampled.status == PepStatus.SUBMITTED


def test_the_worklist_groups_by_sample_and_filters_and_sorts(client, manager, officer, other_officer, pep):
    for last_name in ("Aardvark", "Zebra", "Mole", "Otter", "Badger", "Heron", "Vole"):
        PepFactory(child=ChildFactory(allocated_officer=officer, last_name=last_name), term=pep.term)
    draw_term_samples(pep.term)
    client.force_login(manager)
    url = reverse("reviews:worklist")

    page = body(client.get(url, {"term": pep.term.pk}))
    assert 'id="kind-line_management"' in page and "Line-management sample (" in page
    assert 'id="worklist-filter"' in page and "All officers" in page and "All samples" in page

    # Filter by an officer: only their PEPs.
    entries = list(SampleEntry.objects.filter(assigned_to=manager).select_related("pep__child"))
    assert len(entries) >= 2
    theirs, others = entries[0], entries[1:]
    theirs.pep.officer = other_officer
    theirs.pep.save()
    only = body(client.get(url, {"term": pep.term.pk, "officer": str(other_officer.pk)}))
    assert theirs.pep.child.full_name in only
    assert all(e.pep.child.full_name not in only for e in others)
    # An officer id not on the worklist is ignored (the filter narrows only what one sees).
    ignored = body(client.get(url, {"term": pep.term.pk, "officer": "999999"}))
    assert all(e.pep.child.full_name in ignored for e in entries)
    # A kind of sample not on the worklist is ignored too.
    assert all(e.pep.child.full_name in body(client.get(url, {"kind": "nonsense"})) for e in entries)

    # Sorted by child, A to Z, and back.
    names = [e.pep.child.full_name for e in SampleEntry.objects.filter(assigned_to=manager)]
    ascending = body(client.get(url, {"term": pep.term.pk, "sort": "child"}))
    descending = body(client.get(url, {"term": pep.term.pk, "sort": "-child"}))
    order = sorted(names, key=lambda n: n.split()[-1].lower())
    if len(order) > 1:
        assert ascending.index(order[0]) < ascending.index(order[-1])
        assert descending.index(order[0]) > descending.index(order[-1])
    assert 'aria-sort="ascending"' in ascending and 'aria-sort="descending"' in descending


# --- coverage --------------------------------------------------------------------------


def test_coverage_is_refused_to_officers(client, officer, pep):
    client.force_login(officer)
    assert client.get(reverse("sampling:coverage")).status_code == 403


def test_coverage_manager_sees_their_team_and_vsh_everyone(
    client, manager, vsh, officer, other_officer, pep, other_pep
):
    draw_term_samples(pep.term)
    url = reverse("sampling:coverage")
    client.force_login(manager)
    html = body(client.get(url, {"term": pep.term.pk}))
    assert str(officer) in html and str(other_officer) not in html
    assert "0 of 1</strong> officer meet the policy so far" in html

    client.force_login(vsh)
    html = body(client.get(url, {"term": pep.term.pk}))
    assert str(officer) in html and str(other_officer) in html
    assert "0 of 2</strong> officers meet the policy so far" in html


def test_coverage_figures_follow_the_reviews(client, manager, vsh, officer, pep):
    for _ in range(4):
        PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term, status=PepStatus.SUBMITTED)
    draw_term_samples(pep.term)
    client.force_login(manager)
    url = reverse("sampling:coverage")

    def cells():
        html = body(client.get(url, {"term": pep.term.pk}))
        row = re.search(r"<tbody.*?</tbody>", html, re.S).group(0)
        return [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]

    # caseload 5, 25% -> at least 2 reviewed
    # Policy met beside the officer: on a phone it is in view without scrolling the table.
    assert cells()[1:] == [
        "Not met",
        str(manager),
        f"5 PEPs of {officer}",
        "25%",
        "2",
        "2",
        f"0 reviewed of {officer}'s PEPs",
        "None to cover",
    ]
    assert f"/peps/?term={pep.term.pk}&officer={officer.pk}" in body(client.get(url, {"term": pep.term.pk}))
    for entry in SampleEntry.objects.filter(assigned_to=manager):
        submit(start_entry_review(entry, manager), ["green"] * 8)
    assert cells()[1] == "Met"
    assert "1 of 1</strong> officer meet" in body(client.get(url, {"term": pep.term.pk}))


def test_coverage_sorts_in_python(client, vsh, manager, pep):
    UserFactory(first_name="Aaron", last_name="First", line_manager=manager)
    UserFactory(first_name="Zed", last_name="Last", line_manager=manager)
    client.force_login(vsh)
    url = reverse("sampling:coverage")
    ascending = body(client.get(url, {"term": pep.term.pk, "sort": "officer"}))
    descending = body(client.get(url, {"term": pep.term.pk, "sort": "-officer"}))
    assert ascending.index("Aaron First") < ascending.index("Zed Last")
    assert descending.index("Zed Last") < descending.index("Aaron First")
    assert 'aria-sort="descending"' in descending


# --- moderation ------------------------------------------------------------------------


@pytest.fixture
def moderated(manager, other_manager, officer, pep):
    """``manager`` rated ``pep`` Gold; the cross-moderation sample gives it to ``other_manager``."""
    submit(start_review(pep, manager), ["gold"] * 8)
    draw_term_samples(pep.term)
    return SampleEntry.objects.get(assigned_to=other_manager, sample__kind=SampleKind.CROSS_MODERATION, pep=pep)


def test_moderation_is_blind_until_the_re_rating_is_submitted(client, other_manager, pep, moderated):
    client.force_login(other_manager)
    url = reverse("sampling:moderation")
    html = body(client.get(url, {"term": pep.term.pk}))
    assert pep.child.la_reference in html
    assert "Hidden until you submit yours" in html
    assert "app-rating-tag--gold" not in html
    # Nor on the PEP page, the PEP list, or the first review's page.
    pep_page = body(client.get(reverse("peps:detail", args=[pep.pk])))
    assert "You are moderating this PEP: the first QA rating is hidden until you submit yours." in pep_page
    assert "app-rating-tag--gold" not in pep_page
    assert "QA judgement Gold" not in pep_page  # the status history
    listing = body(client.get(reverse("peps:list")))
    assert "Hidden while you moderate" in listing and "app-rating-tag--gold" not in listing
    first = QaReview.objects.get(pep=pep, kind=ReviewKind.LINE_MANAGEMENT)
    # While blind, the first review reads as if it did not exist.
    assert client.get(reverse("reviews:detail", args=[first.pk])).status_code == 404

    response = client.post(reverse("sampling:entry_start", args=[moderated.pk]), {"next": f"{url}?term={pep.term.pk}"})
    review = QaReview.objects.get(reviewer=other_manager)
    assert response["Location"] == reverse("reviews:rate", args=[review.pk])
    assert review.kind == ReviewKind.MODERATION
    submit(review, ["green"] * 8)

    html = body(client.get(url, {"term": pep.term.pk}))
    assert "Hidden until you submit yours" not in html
    assert "app-rating-tag--gold" in html and "app-rating-tag--green" in html
    assert "You are moderating" not in body(client.get(reverse("peps:detail", args=[pep.pk])))


def test_one_re_rating_reads_as_counts_and_too_few_for_kappa(client, vsh, manager, other_manager, pep, moderated):
    """One PEP re-rated Green against a Gold first rating read "0% agreement, kappa 0.00",
    and per area "not enough data" where the raters agreed but "0.00" where they did not."""
    review = start_entry_review(moderated, other_manager)
    submit(review, ["gold"] * 7 + ["green"])  # overall Gold both sides: the Aspiration area differs
    first = QaReview.objects.get(pep=pep, kind=ReviewKind.LINE_MANAGEMENT)
    QaReview.objects.filter(pk=first.pk).update(overall_judgement="green")  # and the overall judgement
    client.force_login(vsh)
    html = body(client.get(reverse("sampling:moderation"), {"term": pep.term.pk}))
    assert 'id="overall-agreed">0 of 1</span>agreed on the overall judgement (0%)' in html
    assert '<span id="overall-kappa">Too few re-ratings to compute kappa (need 10)</span>' in html
    per_area = html.split('id="per-area"')[1].split("</table>")[0]
    assert per_area.count("1 of 1 agreed (100%)") == 7 and per_area.count("0 of 1 agreed (0%)") == 1
    assert "Weighted kappa" not in per_area  # said once, under the table, not in every row
    assert 'id="per-area-kappa">Too few re-ratings to compute kappa for any area (need 10).' in html
    assert "0.00" not in html and "not enough data" not in html
    disagreement = html.split('id="disagreements"')[1]
    assert pep.child.la_reference in disagreement
    assert str(manager) in disagreement and str(other_manager) in disagreement
    assert reverse("sampling:settle", args=[moderated.pk]) in disagreement


def test_kappa_shows_from_ten_re_ratings(client, vsh, manager, other_manager, officer, pep):
    term = pep.term
    _add_peps(officer, term, 11)
    for item in term.peps.all():
        submit(start_review(item, manager), ["gold"] * 8)
    sample = SampleFactory(term=term, kind=SampleKind.MODERATION_GROUP)
    for index, item in enumerate(term.peps.order_by("pk")[:10]):
        entry = SampleEntryFactory(
            sample=sample,
            pep=item,
            assigned_to=other_manager,
            original_review=item.reviews.get(),
        )
        submit(start_entry_review(entry, other_manager), ["gold"] * 8 if index % 2 else ["green"] * 8)
    client.force_login(vsh)
    html = body(client.get(reverse("sampling:moderation"), {"term": term.pk}))
    assert 'id="overall-agreed">5 of 10</span>agreed on the overall judgement (50%)' in html
    assert 'id="overall-kappa">0.00<' in html  # the first rater always Gold: no better than chance
    assert "Too few re-ratings" not in html.split('id="per-area"')[0]
    # Every area is Gold against Green or Gold: all areas defined, none too few.
    per_area = html.split('id="per-area"')[1].split("</table>")[0]
    assert "Weighted kappa" in per_area and per_area.count("0.00") == 8 and "-0.00" not in per_area
    assert "Too few re-ratings" not in html


def test_each_disagreement_shows_both_sides_rating_and_comment(client, vsh, manager, other_manager, pep, moderated):
    first = QaReview.objects.get(pep=pep, kind=ReviewKind.LINE_MANAGEMENT)
    AreaRating.objects.filter(review=first, area__position=7).update(comment="Targets are SMART and costed.")
    review = start_entry_review(moderated, other_manager)
    ratings = rate_all(review, ["gold"] * 6 + ["amber", "gold"], comment="Fine")
    seventh = review.area_ratings.get(area__position=7).pk
    ratings[seventh] = AreaInput(rating="amber", comment="No date on two targets.")
    save_review(review, ratings, strengths="", development_points="", submit=True)
    client.force_login(vsh)
    html = body(client.get(reverse("sampling:moderation"), {"term": pep.term.pk}))
    card = html.split(f'id="disagreement-{moderated.pk}"')[1]
    assert f"First reviewer: {manager}" in card and f"Moderator: {other_manager}" in card
    rows = card.split("app-disagreement-area")[1:]
    assert len(rows) == 1  # only the area rated differently
    assert "Targets and outcomes" in rows[0]
    assert "Targets are SMART and costed." in rows[0] and "No date on two targets." in rows[0]
    assert rows[0].index("app-rating-tag--gold") < rows[0].index("app-rating-tag--amber")


def test_the_settle_form_as_written_out_posts_what_settle_reads(client, vsh, other_manager, pep, moderated):
    """The settle form is written out by hand (sampling/_settle_form.html), not by crispy:
    its fields carry SettleForm's names, every judgement is offered, ids are unique, and
    what it posts settles the disagreement."""
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    client.force_login(vsh)
    html = body(client.get(reverse("sampling:moderation"), {"term": pep.term.pk}))
    form = html.split(f'action="{reverse("sampling:settle", args=[moderated.pk])}"')[1].split("</form>")[0]
    prefix = f"settle-{moderated.pk}"
    assert re.findall(rf'name="{prefix}-agreed_judgement"[^>]*value="(\w+)"', form) == ["gold", "green", "amber", "red"]
    assert f'name="{prefix}-notes"' in form and "<legend" in form and 'aria-describedby="id_' in form
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    for label_for in re.findall(r'for="([^"]+)"', form):
        assert f'id="{label_for}"' in form
    response = client.post(
        reverse("sampling:settle", args=[moderated.pk]), {f"{prefix}-agreed_judgement": "amber", f"{prefix}-notes": ""}
    )
    assert response.status_code == 302
    moderated.refresh_from_db()
    assert moderated.agreed_judgement == "amber"


def test_moderation_page_refused_to_officers_and_administrators(client, officer, administrator, pep):
    for user in (officer, administrator):
        client.force_login(user)
        assert client.get(reverse("sampling:moderation")).status_code == 403


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("manager", True),
        ("other_manager", True),
        ("vsh", True),
        ("lead", False),
        ("third_manager", False),
    ],
)
def test_who_may_settle_a_disagreement(client, request, pep, moderated, other_manager, role, allowed):
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    user = UserFactory(role=Role.MANAGER) if role == "third_manager" else request.getfixturevalue(role)
    client.force_login(user)
    prefix = f"settle-{moderated.pk}"
    response = client.post(
        reverse("sampling:settle", args=[moderated.pk]),
        {f"{prefix}-agreed_judgement": "green", f"{prefix}-notes": "Targets not SMART."},
    )
    moderated.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert moderated.agreed_judgement == "green" and moderated.settled_at
        client.force_login(request.getfixturevalue("vsh"))
        html = body(client.get(reverse("sampling:moderation"), {"term": pep.term.pk}))
        assert "Agreed judgement" in html and "Targets not SMART." in html
        assert f"by {user}" in html
        assert "Settle it again" in html  # a settled disagreement may be settled again
    else:
        assert response.status_code == 403
        assert moderated.agreed_judgement == "" and moderated.settled_at is None
        assert not ModerationSettlement.objects.exists()


def settle_form(entry, judgement="", notes="", based_on=""):
    prefix = f"settle-{entry.pk}"
    return {f"{prefix}-agreed_judgement": judgement, f"{prefix}-notes": notes, f"{prefix}-based_on": based_on}


def test_settling_applies_the_agreed_judgement_to_the_pep(client, manager, other_manager, pep, moderated):
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    pep.refresh_from_db()
    assert pep.judgement == "gold"  # as first rated
    client.force_login(manager)
    response = client.post(reverse("sampling:settle", args=[moderated.pk]), settle_form(moderated, "green"))
    assert response.status_code == 302
    assert messages_of(response) == ["Agreed judgement recorded and applied to the PEP"]
    pep.refresh_from_db()
    assert pep.judgement == "green"
    # The PEP list (and every report, which reads the PEP's judgement) follows it.
    assert pep.child.la_reference in body(client.get(reverse("peps:list"), {"judgement": "green"}))
    html = body(client.get(reverse("sampling:moderation"), {"term": pep.term.pk}))
    assert "Applied to the PEP (it was Gold)." in html


def test_settling_again_keeps_the_history(client, manager, other_manager, pep, moderated):
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    client.force_login(manager)
    url = reverse("sampling:settle", args=[moderated.pk])
    client.post(url, settle_form(moderated, "green", "First talk."))
    first = ModerationSettlement.objects.get()
    client.force_login(other_manager)
    response = client.post(url, settle_form(moderated, "amber", "Second look.", based_on=first.pk))
    assert response.status_code == 302
    assert list(moderated.settlements.values_list("judgement", "notes", "settled_by")) == [
        ("amber", "Second look.", other_manager.pk),
        ("green", "First talk.", manager.pk),
    ]
    moderated.refresh_from_db()
    pep.refresh_from_db()
    assert (moderated.agreed_judgement, moderated.agreement_notes, pep.judgement) == ("amber", "Second look.", "amber")
    html = body(client.get(reverse("sampling:moderation"), {"term": pep.term.pk}))
    card = html.split(f'id="disagreement-{moderated.pk}"')[1]
    assert "Second look." in card.split("Settled before")[0]
    assert f"Green, {date_format(first.settled_at, 'j M Y')}" in card.split("Settled before")[1]
    assert "First talk." in card.split("Settled before")[1]


def test_settling_on_a_stale_page_keeps_the_notes_and_says_who_settled(client, manager, other_manager, pep, moderated):
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    url = reverse("sampling:settle", args=[moderated.pk])
    client.force_login(manager)
    client.post(url, settle_form(moderated, "green", "Mine."))
    client.force_login(other_manager)  # their page was loaded before that settlement
    response = client.post(url, settle_form(moderated, "amber", "Theirs, typed at length."))
    html = body(response)
    assert "govuk-error-summary" in html
    assert f"settled as Green by {manager}" in html
    assert "Theirs, typed at length.</textarea>" in html
    assert ModerationSettlement.objects.count() == 1
    # Sent again from that page, it now rests on the settlement it was shown.
    current = ModerationSettlement.objects.get()
    assert f'value="{current.pk}"' in html
    assert client.post(url, settle_form(moderated, "amber", "Theirs.", based_on=current.pk)).status_code == 302
    assert ModerationSettlement.objects.count() == 2


def test_settling_needs_a_re_rating(client, manager, pep, moderated):
    client.force_login(manager)
    html = body(client.post(reverse("sampling:settle", args=[moderated.pk]), settle_form(moderated, "green")))
    assert "The PEP has not been re-rated yet." in html
    moderated.refresh_from_db()
    assert moderated.settled_at is None and not ModerationSettlement.objects.exists()


def test_settling_without_a_judgement_keeps_the_notes_and_shows_the_error_summary(
    client, manager, other_manager, pep, moderated
):
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    client.force_login(manager)
    response = client.post(
        reverse("sampling:settle", args=[moderated.pk]), settle_form(moderated, notes="We talked it through.")
    )
    html = body(response)  # the page again, not a redirect to a banner
    assert messages_of(response) == []
    assert html.startswith("<!DOCTYPE html>") and "<title>Error: Moderation" in html
    summary = html.split('class="govuk-error-summary"')[1].split("</div>")[0]
    anchor = f"id_settle-{moderated.pk}-agreed_judgement_1"
    assert f'<a href="#{anchor}">Choose the judgement you agreed</a>' in summary
    assert f'id="{anchor}" value="gold"' in html  # the summary lands on the first radio
    assert "We talked it through.</textarea>" in html
    assert "govuk-form-group--error" in html
    moderated.refresh_from_db()
    assert moderated.settled_at is None


# --- peer review -----------------------------------------------------------------------


# --- navigation and home pages ---------------------------------------------------------


def test_navigation_items_follow_the_role(client, officer, manager, pep):
    client.force_login(officer)
    html = body(client.get(reverse("home")))
    assert reverse("sampling:coverage") not in html and reverse("sampling:moderation") not in html
    client.force_login(manager)
    html = body(client.get(reverse("sampling:coverage")))
    assert f'href="{reverse("sampling:coverage")}" aria-current="page"' in html
    assert reverse("sampling:moderation") in html and reverse("practice:peer_reviews") in html


def test_home_pages_show_the_sample(client, manager, vsh, officer, pep):
    draw_term_samples(pep.term)
    client.force_login(manager)
    assert "0 of 1</strong> sampled PEP on your worklist done" in body(client.get(reverse("home")))
    client.force_login(vsh)
    assert "0 of 1</strong> officer meet the policy so far" in body(client.get(reverse("home")))


# --- query counts ----------------------------------------------------------------------


def _add_peps(officer, term, count):
    for _ in range(count):
        PepFactory(child=ChildFactory(allocated_officer=officer), term=term, status=PepStatus.SUBMITTED)


def test_worklist_queries_are_constant(client, manager, officer, pep, django_assert_num_queries):
    term = pep.term
    _add_peps(officer, term, 11)  # 12 PEPs: 3 sampled
    draw_term_samples(term)
    first = SampleEntry.objects.filter(assigned_to=manager).first()
    start_entry_review(first, manager)
    client.force_login(manager)
    url = f"{reverse('reviews:worklist')}?term={term.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert body(client.get(url)).count("the PEP of") >= 3
    _add_peps(officer, term, 36)  # 48 PEPs: 12 sampled
    draw_term_samples(term)
    assert SampleEntry.objects.filter(assigned_to=manager).count() == 12
    with django_assert_num_queries(len(few.captured_queries)):
        html = body(client.get(url))
    assert "of 12</strong> sampled PEPs done" in html


def test_worklist_has_one_form_per_table_whatever_the_rows(client, manager, officer, pep):
    """One form for the sample table and one for the team queue, whatever their rows: each
    row's button posts to its own entry or PEP (formaction), the finalise buttons with the
    page to come back to."""
    term = pep.term
    _add_peps(officer, term, 47)  # 48 submitted PEPs: 12 sampled, 36 in the team queue
    draw_term_samples(term)
    entries = list(SampleEntry.objects.filter(assigned_to=manager))
    client.force_login(manager)
    url = f"{reverse('reviews:worklist')}?term={term.pk}"
    html = body(client.get(url))
    sample, queue = html.split('id="worklist-actions"')[1].split('id="team-queue-actions"')
    main = html.split("<main")[1].split("</main>")[0]
    assert main.count("<form") == 3  # the two tables and the term picker
    assert sample.count('name="csrfmiddlewaretoken"') == 1
    for entry in entries:
        assert f'formaction="{reverse("sampling:entry_start", args=[entry.pk])}"' in sample
    not_sampled = set(term.peps.values_list("pk", flat=True)) - {entry.pep_id for entry in entries}
    assert len(not_sampled) == 36
    for pk in not_sampled:
        assert f'formaction="{reverse("peps:finalise", args=[pk])}"' in queue
        assert f'formaction="{reverse("reviews:start", args=[pk])}"' in queue
    assert f'name="next" value="{url}"' in queue.replace("&amp;", "&")


def test_coverage_queries_are_constant(client, vsh, manager, pep, django_assert_num_queries):
    term = pep.term

    def add_officers(count):
        for _ in range(count):
            officer = UserFactory(line_manager=manager)
            _add_peps(officer, term, 2)
        draw_term_samples(term)

    add_officers(1)  # with pep's officer: 2
    client.force_login(vsh)
    url = f"{reverse('sampling:coverage')}?term={term.pk}&sort=-reviewed"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert "of 2</strong> officers" in body(client.get(url))
    add_officers(4)
    with django_assert_num_queries(len(few.captured_queries)):
        assert "of 6</strong> officers" in body(client.get(url))


def test_moderation_page_queries_are_constant(
    client, vsh, manager, other_manager, officer, pep, django_assert_num_queries
):
    term = pep.term
    _add_peps(officer, term, 7)
    for item in term.peps.all():
        submit(start_review(item, manager), ["gold"] * 8)
    draw_term_samples(term)
    entries = list(SampleEntry.objects.filter(assigned_to=other_manager, sample__kind=SampleKind.CROSS_MODERATION))
    submit(start_entry_review(entries[0], other_manager), ["green"] * 8)
    client.force_login(vsh)
    url = f"{reverse('sampling:moderation')}?term={term.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        body(client.get(url))
    for entry in entries[1:]:
        submit(start_entry_review(entry, other_manager), ["amber"] * 8)
    with django_assert_num_queries(len(few.captured_queries)):
        html = body(client.get(url))
    assert html.count("To settle") == len(entries)


def test_moderator_cannot_find_the_hidden_judgement_by_filtering_or_sorting(client):
    """Filtering or sorting the PEP list by judgement or status leaves out a PEP whose
    first rating the user is still moderating, and its row hides both."""
    from core.vocabulary import Rating
    from peps.models import PepStatus
    from sampling.models import Sample, SampleEntry, SampleKind

    from .factories import PepFactory, UserFactory

    moderator = UserFactory(role="manager")
    pep = PepFactory(status=PepStatus.RETURNED, judgement=Rating.RED)
    sample = Sample.objects.create(term=pep.term, kind=SampleKind.CROSS_MODERATION, reviewer=moderator, seed="s")
    SampleEntry.objects.create(
        sample=sample, pep=pep, reason="cross_moderation", assigned_to=moderator, due_date=pep.term.end_date
    )
    client.force_login(moderator)

    listed = client.get("/peps/").content.decode()
    assert pep.child.la_reference in listed
    assert "Hidden while you moderate" in listed
    assert "govuk-tag--orange" not in listed  # the "Returned for amendment" status tag
    for query in ("judgement=red", "status=returned"):
        assert pep.child.la_reference not in client.get(f"/peps/?{query}").content.decode()
    assert "Poor quality" not in client.get(f"/peps/{pep.pk}/").content.decode()


def test_after_submitting_the_result_page_offers_the_next_pep_to_rate(client, manager, officer, pep):
    """One click on from a submitted review to the next PEP on the worklist; none once the
    worklist is done, and never on someone else's review."""
    for _ in range(7):  # a caseload of 8 submitted PEPs: a 25% sample of 2
        PepFactory(child=ChildFactory(allocated_officer=officer), term=pep.term)
    draw_term_samples(pep.term)
    entries = list(SampleEntry.objects.filter(assigned_to=manager).order_by("pk"))
    assert len(entries) == 2
    client.force_login(manager)

    first = start_entry_review(entries[0], manager)
    submit(first, ["green"] * 8)
    html = body(client.get(reverse("reviews:detail", args=[first.pk])))
    assert "Rate the next PEP on your worklist" in html
    assert reverse("sampling:entry_start", args=[entries[1].pk]) in html

    last = start_entry_review(entries[1], manager)
    submit(last, ["gold"] * 8)
    assert "Rate the next PEP" not in body(client.get(reverse("reviews:detail", args=[last.pk])))


def test_a_tampered_settlement_reference_reads_as_none(client, manager, other_manager, pep, moderated):
    submit(start_entry_review(moderated, other_manager), ["green"] * 8)
    client.force_login(manager)
    url = reverse("sampling:settle", args=[moderated.pk])
    assert client.post(url, settle_form(moderated, "green", based_on="x")).status_code == 302
    html = body(client.post(url, settle_form(moderated, "amber", "Again", based_on="x")))
    assert "settled as Green" in html and "There is a problem" in html
