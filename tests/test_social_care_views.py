"""The VSH's "Send to social care managers" page (web/reporting/social_care_views.py): who
may use it, the confirmation (teams, managers, counts, what cannot be sent), sending once
per click, and the background service down. The world is conftest's ``social_care_world``.
"""

import re
import time
import uuid
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from post_office.models import Email

from core.vocabulary import Role
from reporting import social_care
from reporting.models import SEND_UNAVAILABLE, SocialCareDispatch, SocialCareSend, SocialCareSendStatus

from .conftest import celery_broker_at, free_port
from .factories import TermFactory, UserFactory

pytestmark = pytest.mark.django_db

SEND = reverse("reports:social_care_send")
REF = re.compile(r"\b(?:ALPHA|BETA|GAMMA|DELTA|NOSW)-\d{4}\b")


def page(client, term) -> str:
    response = client.get(SEND, {"term": term.pk})
    assert response.status_code == 200
    return response.content.decode()


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([0-9a-f-]{36})"', body).group(1)


def plan_row(body: str, team: str) -> str:
    match = re.search(
        rf'<tr class="govuk-table__row">\s*<th scope="row" class="govuk-table__header">{team}</th>(.*?)</tr>',
        body,
        re.S,
    )
    assert match, f"no row for {team}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


# --- who may -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER, Role.LEAD, Role.ADMINISTRATOR])
def test_only_the_vsh_may_see_the_page_or_send(client, social_care_world, role):
    client.force_login(UserFactory(role=role))
    term = social_care_world.term
    assert client.get(SEND, {"term": term.pk}).status_code == 403
    assert client.post(SEND, {"term": term.pk, "token": str(uuid.uuid4())}).status_code == 403
    assert not SocialCareSend.objects.exists()
    index = client.get(reverse("reports:index"), {"term": term.pk})
    assert "Send to social care managers" not in index.content.decode()


def test_anonymous_is_sent_to_sign_in(client, social_care_world):
    response = client.get(SEND, {"term": social_care_world.term.pk})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_reports_page_links_the_vsh_to_it(client, vsh, social_care_world):
    client.force_login(vsh)
    body = client.get(reverse("reports:index"), {"term": social_care_world.term.pk}).content.decode()
    assert f'href="{SEND}?term={social_care_world.term.pk}"' in body and "Send to social care managers" in body


def test_an_unknown_term_is_not_found(client, vsh, social_care_world):
    client.force_login(vsh)
    assert client.get(SEND, {"term": "999999"}).status_code == 404
    assert client.post(SEND, {"term": "x", "token": str(uuid.uuid4())}).status_code == 404
    assert client.put(SEND).status_code == 405


# --- the confirmation ---------------------------------------------------------------------


def test_the_confirmation_lists_each_team_its_manager_its_counts_and_what_cannot_be_sent(
    client, vsh, social_care_world, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda *args: date(2003, 11, 1))
    client.force_login(vsh)
    body = page(client, social_care_world.term)
    assert plan_row(body, "Alpha team") == "Ann Alpha ann.alpha@council.example 1 1 Will be sent"
    assert plan_row(body, "Beta team") == "Bob Beta bob.beta@council.example 0 1 Will be sent"
    assert plan_row(body, "Delta team") == "Dot Delta dot.delta@council.example 0 0 Nothing to report"
    assert plan_row(body, "Gamma team").startswith("Gil Gamma No e-mail recorded 1 1 Cannot be sent")
    assert plan_row(body, "No social worker recorded").startswith("1 1 Cannot be sent No social worker recorded")
    assert ">Send to 2 social care managers</button>" in body
    assert 'data-prevent-double-click="true"' in body
    # The termly send, 14 days after the deadline.
    assert "The reports go to the managers on their own on 10 November 2003, 14 days after" in body
    assert "Nothing has been sent for Autumn 2003/04 yet." in body
    assert not REF.findall(body)  # counts only: no child on this page


def test_a_term_with_nothing_to_send_has_no_button(client, vsh, social_care_world):
    client.force_login(vsh)
    body = page(client, TermFactory(academic_year=2004, season="autumn"))
    assert 'id="nothing-to-send"' in body and "Send to" not in body.split('id="send-plan"')[1].split("</table>")[1]


# --- sending ------------------------------------------------------------------------------


def test_confirming_sends_each_team_once_and_the_page_lists_what_went(
    client, vsh, social_care_world, stub_pdf, eager, django_capture_on_commit_callbacks
):
    client.force_login(vsh)
    term = social_care_world.term
    token = token_of(page(client, term))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SEND, {"term": term.pk, "token": token})
    assert response.status_code == 302 and response.url == f"{SEND}?term={term.pk}"
    send = SocialCareSend.objects.get()
    assert send.requested_by == vsh and send.status == SocialCareSendStatus.DONE
    assert sorted(address for email in Email.objects.all() for address in email.to) == [
        "ann.alpha@council.example",
        "bob.beta@council.example",
    ]
    body = page(client, term)
    assert "Sending the social care reports for Autumn 2003/04 to the team managers" in body
    table = body.split('id="dispatches"')[1].split("</table>")[0]
    assert table.count("By ") == 3 and "Nothing to report" in table and "Ann Alpha" in table
    assert "Gamma team" not in table
    assert "The termly send was due on 10 November 2003; none went on its own" in body
    # A new token each time the page is shown: confirming again is a deliberate new send.
    assert token_of(body) != token


def test_after_the_schedule_the_page_says_when_it_went(client, vsh, social_care_world, stub_pdf):
    social_care.send_scheduled(date(2003, 11, 10))
    client.force_login(vsh)
    body = page(client, social_care_world.term)
    assert f"The termly send went on its own on {timezone.localdate():%-d %B %Y}" in body
    table = body.split('id="dispatches"')[1].split("</table>")[0]
    assert table.count("Termly schedule") == 3


def test_a_double_click_sends_once(client, vsh, social_care_world, stub_pdf, eager, django_capture_on_commit_callbacks):
    client.force_login(vsh)
    term = social_care_world.term
    form = {"term": term.pk, "token": token_of(page(client, term))}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(SEND, form)
        second = client.post(SEND, form)
    assert first.status_code == second.status_code == 302
    assert SocialCareSend.objects.count() == 1 and Email.objects.count() == 2
    body = client.get(second.url).content.decode()
    assert "Already asked for at" in body and "these reports were not sent again" in body


def test_a_form_without_its_token_sends_nothing_and_says_why(client, vsh, social_care_world):
    client.force_login(vsh)
    for token in ("", "not-a-token"):
        response = client.post(SEND, {"term": social_care_world.term.pk, "token": token})
        assert response.status_code == 200
        body = response.content.decode()
        assert "There is a problem" in body and "Open this page again and confirm" in body
        assert re.search(r'name="token" value="[0-9a-f-]{36}"', body)  # a fresh one to confirm with
    assert not SocialCareSend.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_sending_fails_fast_and_says_so(social_care_world, vsh):
    client = Client(raise_request_exception=False)
    client.force_login(vsh)
    term = social_care_world.term
    with celery_broker_at(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        response = client.post(SEND, {"term": term.pk, "token": str(uuid.uuid4())})
        assert time.monotonic() - started < 2.0
        assert response.status_code == 302
        body = page(client, term)
    assert SEND_UNAVAILABLE in body  # the banner, and the send's line below
    assert SocialCareSend.objects.get().status == SocialCareSendStatus.FAILED
    assert not SocialCareDispatch.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_pdfs_are_built_by_the_task_not_in_the_request(social_care_world, vsh, redis_server, monkeypatch):
    def not_here(*args, **kwargs):
        raise AssertionError("a PDF was built in the web request")

    monkeypatch.setattr(social_care.pdf, "social_care_team_report_pdf", not_here)
    client = Client(raise_request_exception=False)
    client.force_login(vsh)
    with celery_broker_at(redis_server.url):
        response = client.post(SEND, {"term": social_care_world.term.pk, "token": str(uuid.uuid4())})
    assert response.status_code == 302
    assert SocialCareSend.objects.get().status == SocialCareSendStatus.PENDING
    assert redis_server.client().llen("celery") == 1  # queued for the worker
    assert not SocialCareDispatch.objects.exists()
