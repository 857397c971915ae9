"""The amendment loop on the pages: a returned PEP's page shows its amendment's state, due
date, reminder and escalation and the messages sent about it (to whom, waiting, sent or
failed); the PEP list tags a returned PEP with its amendment's state and due date. Both
in a constant number of queries; hidden from a moderator re-rating the PEP blind."""

import html
import re
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email

from reviews.amendments import chase_amendments
from reviews.models import Amendment
from reviews.services import mark_amended, save_review, start_review
from sampling.models import SampleKind

from .factories import ChildFactory, PepFactory, SampleEntryFactory, SampleFactory, rate_all
from .test_pep_list import PEP_DETAIL_QUERIES, capture, show
from .test_reviews_amendments import RETURNING, school_year_2031

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(7, 45)))


def return_pep(pep, reviewer) -> Amendment:
    review = start_review(pep, reviewer)
    save_review(review, rate_all(review, RETURNING), strengths="", development_points="", submit=True)
    return Amendment.objects.get(review=review)


def page(client, pep) -> str:
    response = client.get(reverse("peps:detail", args=[pep.pk]))
    assert response.status_code == 200
    return response.content.decode()


def amendment_card(body: str) -> str:
    match = re.search(r'<div class="govuk-summary-card" id="amendment">(.*?)</dl>', body, re.S)
    assert match, "no amendment card"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1)))


def messages_table(body: str) -> list[str]:
    """The rows of "Messages about this PEP", as text."""
    match = re.search(r'id="messages">.*?<tbody class="govuk-table__body">(.*?)</tbody>', body, re.S)
    assert match, "no messages table"
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", match.group(1), re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))).strip() for row in rows]


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


def test_a_returned_pep_shows_its_amendment_due_date_and_the_return_message(signed_in, pep, manager, officer):
    amendment = return_pep(pep, manager)

    body = page(signed_in, pep)

    card = amendment_card(body)
    assert "Amendment Sent" in card  # the tag, with its visually hidden word
    assert "Sent to the DT and SW" in card
    assert f"Due {amendment.due_on:%A} {amendment.due_on.day} {amendment.due_on:%B %Y}" in card
    assert "(overdue)" not in card
    assert "Sent to the DT and SW if not amended by the due date" in card
    assert f'href="{reverse("reviews:detail", args=[amendment.review_id])}"' in body
    (row,) = messages_table(body)
    child = pep.child
    assert row.startswith(timezone.localtime(amendment.requested_at).strftime("%-d %b %Y"))
    assert "Returned for amendment" in row and f"PEP returned for amendment: {child.la_reference}" in row
    assert f"{child.designated_teacher.name} (designated teacher)" in row
    assert f"{child.social_worker.name} (social worker)" in row
    assert row.index("(designated teacher)") < row.index("(social worker)") < row.index(f"Copy: {officer}")
    assert f"Copy: {officer} (allocated officer)" in row
    assert row.endswith("Waiting")  # not delivered: this test's transaction never commits


def test_the_page_follows_the_amendment_through_reminder_and_escalation(signed_in, pep, manager, officer):
    school_year_2031()
    amendment = return_pep(pep, manager)
    Amendment.objects.filter(pk=amendment.pk).update(due_on=date(2031, 4, 28))
    assert chase_amendments(at(date(2031, 4, 29))).reminded == 1
    Email.objects.filter(notice__kind="returned").update(status=STATUS.sent)
    Email.objects.filter(notice__kind="amendment_reminder").update(status=STATUS.failed)

    card = amendment_card(page(signed_in, pep))
    assert "Amendment Reminded" in card and "Overdue: reminder sent" in card
    assert "Due Monday 28 April 2031" in card
    assert "Sent to the DT and SW on 29 April 2031" in card
    assert "To the officer and their line manager on Wednesday 7 May 2031 if still not amended" in card

    assert chase_amendments(at(date(2031, 5, 7))).escalated == 1
    body = page(signed_in, pep)
    card = amendment_card(body)
    assert "Amendment Escalated" in card
    assert "Sent to the officer and their line manager on 7 May 2031" in card
    rows = messages_table(body)
    assert [row.rsplit(" ", 1)[-1] for row in rows] == ["Sent", "Failed", "Waiting"]
    assert "Amendment overdue: reminder" in rows[1]
    assert "Amendment overdue: escalation" in rows[2]
    assert f"{officer} (allocated officer)" in rows[2] and f"{manager} (officer's line manager)" in rows[2]
    assert 'govuk-tag govuk-tag--red">Failed' in body and 'govuk-tag govuk-tag--green">Sent' in body

    mark_amended(pep, officer)
    card = amendment_card(page(signed_in, pep))
    assert "Amendment Amended" in card and f"marked by {officer}: sent back for QA" in card
    assert "(overdue)" not in card


def test_past_its_due_date_the_amendment_reads_overdue(signed_in, pep, manager):
    amendment = return_pep(pep, manager)
    Amendment.objects.filter(pk=amendment.pk).update(due_on=timezone.localdate() - timedelta(days=1))

    card = amendment_card(page(signed_in, pep))
    assert "Amendment Overdue" in card and "(overdue)" in card
    assert "Goes to the DT and SW on the next school day's morning" in card


def test_a_pep_never_returned_has_no_amendment_or_messages(signed_in, pep):
    body = page(signed_in, pep)
    assert 'id="amendment"' not in body and 'id="messages"' not in body


def test_a_moderator_rating_blind_sees_no_amendment_nor_messages(client, pep, manager, other_manager):
    return_pep(pep, manager)
    # other_manager moderates the PEP: its first rating is hidden until they rate.
    SampleEntryFactory(
        sample=SampleFactory(term=pep.term, kind=SampleKind.CROSS_MODERATION), pep=pep, assigned_to=other_manager
    )
    client.force_login(other_manager)
    body = page(client, pep)
    assert 'id="moderation-blind"' in body
    assert 'id="amendment"' not in body and 'id="messages"' not in body
    assert "Returned for amendment" not in body


# GET /peps/<pk>/ of a returned PEP as the VSH: the detail page's queries (PEP_DETAIL_QUERIES,
# with the amendment and the messages), one more for the messages' recipients, two for "may
# mark it amended" (may see it; not moderating it blind), and none per message.
RETURNED_DETAIL_QUERIES = PEP_DETAIL_QUERIES + 3


def test_a_returned_peps_page_queries_do_not_grow_with_its_messages(client, vsh, pep, manager):
    school_year_2031()
    client.force_login(vsh)
    url = reverse("peps:detail", args=[pep.pk])
    amendment = return_pep(pep, manager)
    with_1 = capture(client, url)
    Amendment.objects.filter(pk=amendment.pk).update(due_on=date(2031, 4, 28))
    chase_amendments(at(date(2031, 4, 29)))
    chase_amendments(at(date(2031, 5, 7)))
    with_3 = capture(client, url)

    assert len(with_1) == len(with_3) == RETURNED_DETAIL_QUERIES, show(with_1, with_3)
    assert len(messages_table(page(client, pep))) == 3


# --- the PEP list ------------------------------------------------------------------------


def test_the_list_tags_a_returned_pep_with_its_amendment_state_and_due_date(client, vsh, officer, manager):
    today = timezone.localdate()
    client.force_login(vsh)
    peps = {}
    for name in ("Ada", "Bea", "Cy", "Di"):
        peps[name] = PepFactory(child=ChildFactory(first_name=name, allocated_officer=officer))
    due_soon = return_pep(peps["Ada"], manager)
    overdue = return_pep(peps["Bea"], manager)
    Amendment.objects.filter(pk=overdue.pk).update(due_on=today - timedelta(days=1))
    reminded = return_pep(peps["Cy"], manager)
    reminded_due = today - timedelta(days=3)
    Amendment.objects.filter(pk=reminded.pk).update(due_on=reminded_due, reminded_at=timezone.now())
    amended = return_pep(peps["Di"], manager)
    mark_amended(peps["Di"], officer)

    # Each factory PEP has a term of its own: all terms (the list defaults to the current one).
    body = client.get(reverse("peps:list"), {"term": "all"}).content.decode()

    rows = {
        name: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', body, re.S)
        for name in peps
        if f">{name} " in row
    }
    assert f"Amendment due {due_soon.due_on.day} {due_soon.due_on:%b %Y}" in rows["Ada"]  # no tag: not late
    assert "Amendment Overdue was due" in rows["Bea"]
    assert f"Amendment Reminded was due {reminded_due.day} {reminded_due:%b %Y}" in rows["Cy"]
    assert "Amendment" not in rows["Di"]  # amended: back for QA, no tag
    assert Amendment.objects.get(pk=amended.pk).amended_at is not None
    assert body.count('class="govuk-!-margin-top-1 app-amendment"') == 3
    assert body.count('<span class="govuk-visually-hidden">Amendment </span>') == 2
