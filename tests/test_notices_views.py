"""The messages page (web/notices): who may read it, its filters, sorting, pagination and
counts, a message's detail with its attempts, resending a failed one, and the links from
the PEP page and to a person's messages; in a constant number of queries."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from post_office.models import STATUS, Email

from core.vocabulary import Role
from notices.models import DeliveryState, Notice, NoticeKind
from notices.outbox import Recipient
from web.notices import filters

from .factories import ChildFactory, PepFactory, UserFactory, queue_notice

pytestmark = pytest.mark.django_db

LIST = reverse("notices:list")

DT = Recipient("dee.teacher@school.example.org", "Dee Teacher", "designated teacher")
SW = Recipient("sam.worker@council.example.org", "Sam Worker", "social worker")
OFFICER = Recipient("olu.officer@council.example.org", "Olu Officer", "allocated officer")


@pytest.fixture
def messages(pep, other_pep, manager):
    """Three messages about ``pep`` (sent, waiting, failed twice over) and a reminder
    about ``other_pep`` to someone else, written yesterday."""
    sent = queue_notice(pep, to=[DT, SW], cc=[OFFICER], state=DeliveryState.SENT, caused_by=manager)
    waiting = queue_notice(pep, to=[DT], state=DeliveryState.WAITING)
    failed = queue_notice(
        pep,
        to=[SW],
        state=DeliveryState.FAILED,
        errors=("(550, b'5.1.1 Mailbox unavailable')", "(550, b'5.1.1 Still unavailable')"),
    )
    reminder = queue_notice(
        other_pep,
        kind=NoticeKind.AMENDMENT_REMINDER,
        to=[Recipient("pat.other@school.example.org", "Pat Other", "designated teacher")],
    )
    Notice.objects.filter(pk=reminder.pk).update(created_at=timezone.now() - timedelta(days=1))
    return {"sent": sent, "waiting": waiting, "failed": failed, "reminder": reminder}


def _ids(response) -> list[int]:
    """The messages listed, in order (their detail links)."""
    return [int(pk) for pk in re.findall(r'href="/messages/(\d+)/"', response.content.decode())]


def _counts(response) -> dict[str, int]:
    block = response.content.decode().split('id="state-counts"', 1)[1].split("</ul>", 1)[0]
    pairs = re.findall(r'app-stat__number">(\d+)</span>(\w+)', block)
    return {label: int(number) for number, label in pairs}


def _administrator():
    user = UserFactory(role=Role.ADMINISTRATOR, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


# --- who may read it ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER, Role.LEAD])
def test_only_the_vsh_and_administrators_read_messages(client, messages, role):
    client.force_login(UserFactory(role=role))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("notices:detail", args=[messages["sent"].pk])).status_code == 403
    assert client.post(reverse("notices:resend", args=[messages["failed"].pk])).status_code == 403
    assert Email.objects.get(pk=messages["failed"].email_id).status == STATUS.failed


def test_the_vsh_and_an_administrator_read_every_message(client, vsh, messages):
    for user in (vsh, _administrator()):
        client.force_login(user)
        assert sorted(_ids(client.get(LIST))) == sorted(n.pk for n in messages.values())
        assert client.get(reverse("notices:detail", args=[messages["reminder"].pk])).status_code == 200


def test_an_unknown_message_is_not_found(client, vsh):
    client.force_login(vsh)
    assert client.get(reverse("notices:detail", args=[987654])).status_code == 404
    assert client.post(reverse("notices:resend", args=[987654])).status_code == 404


# --- the list -------------------------------------------------------------------------


def test_the_list_counts_each_state_and_shows_each_message(client, vsh, messages, pep):
    client.force_login(vsh)
    response = client.get(LIST)

    assert _counts(response) == {"all": 4, "waiting": 2, "sent": 1, "failed": 1}
    # Newest first: the reminder was written yesterday.
    assert _ids(response)[-1] == messages["reminder"].pk
    html = response.content.decode()
    assert "Dee Teacher</a>" not in html and "Dee Teacher <span" in html  # name and part
    assert "(designated teacher)" in html and "1 copy" in html
    assert f'href="/peps/{pep.pk}/">{pep.child.la_reference}</a>' in html
    assert "2 attempts" in html and "not tried yet" in html
    assert 'govuk-tag--red">Failed' in html and 'govuk-tag--green">Sent' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=sent", ["sent"]),
        ("state=waiting", ["waiting", "reminder"]),
        ("state=failed", ["failed"]),
        (f"kind={NoticeKind.AMENDMENT_REMINDER}", ["reminder"]),
        ("person=sam.worker@council.example.org", ["sent", "failed"]),  # a whole address: that address
        ("person=SAM.WORKER@council.example.org", ["sent", "failed"]),
        ("person=dee", ["sent", "waiting"]),  # a name, or part of one
        ("person=olu officer", ["sent"]),  # every word; copies count
        ("person=@school.example.org", ["sent", "waiting", "reminder"]),
        ("person=nobody", []),
        ("state=waiting&person=dee", ["waiting"]),
    ],
)
def test_the_filters(client, vsh, messages, query, expected):
    client.force_login(vsh)
    assert sorted(_ids(client.get(f"{LIST}?{query}"))) == sorted(messages[name].pk for name in expected)


def test_filtering_by_date_written(client, vsh, messages):
    client.force_login(vsh)
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    todays = sorted(messages[name].pk for name in ("sent", "waiting", "failed"))
    assert sorted(_ids(client.get(f"{LIST}?date_from={today:%Y-%m-%d}"))) == todays
    assert _ids(client.get(f"{LIST}?date_to={yesterday:%Y-%m-%d}")) == [messages["reminder"].pk]
    both = f"date_from={yesterday:%Y-%m-%d}&date_to={yesterday:%Y-%m-%d}"
    assert _ids(client.get(f"{LIST}?{both}")) == [messages["reminder"].pk]
    # A date that is not one is shown as an error and filters nothing.
    response = client.get(f"{LIST}?date_from=31/02/2026")
    assert len(_ids(response)) == 4 and "govuk-error-message" in response.content.decode()


def test_filtering_by_the_childs_la_reference(client, vsh, messages, pep, other_pep):
    client.force_login(vsh)
    reference = pep.child.la_reference
    expected = sorted(messages[name].pk for name in ("sent", "waiting", "failed"))
    assert sorted(_ids(client.get(f"{LIST}?reference={reference}"))) == expected
    assert sorted(_ids(client.get(f"{LIST}?reference=%20{reference.lower()}%20"))) == expected
    assert _ids(client.get(f"{LIST}?reference=NO-SUCH-REF")) == []
    assert "No messages match your filters" in client.get(f"{LIST}?reference=NO-SUCH-REF").content.decode()


def test_a_reference_or_pep_out_of_view_matches_nothing(client, vsh, messages, pep, other_pep, monkeypatch):
    """The typed reference and the PEP id are looked up in the user's visible PEPs: one out
    of view reads exactly like one that does not exist."""
    monkeypatch.setattr(filters, "visible_peps", lambda user: type(pep).objects.filter(pk=pep.pk))
    client.force_login(vsh)
    assert _ids(client.get(f"{LIST}?reference={other_pep.child.la_reference}")) == []
    assert _ids(client.get(f"{LIST}?pep={other_pep.pk}")) == []
    assert len(_ids(client.get(f"{LIST}?pep={pep.pk}"))) == 3


def test_the_counts_follow_the_other_filters_and_link_to_each_state(client, vsh, messages):
    client.force_login(vsh)
    response = client.get(f"{LIST}?person=dee&state=sent")
    assert _counts(response) == {"all": 2, "waiting": 1, "sent": 1, "failed": 0}
    html = response.content.decode()
    assert 'href="?person=dee&amp;state=waiting"' in html
    assert 'href="?person=dee"><span class="app-stat__number">2</span>all matching' in html
    # The state filter alone leaves the counts of everything.
    only_state = client.get(f"{LIST}?state=failed").content.decode()
    assert 'href="?"><span class="app-stat__number">4</span>all</a>' in only_state


def test_sorting(client, vsh, messages):
    client.force_login(vsh)
    by_state = _ids(client.get(f"{LIST}?sort=state"))
    # Failed first, then waiting (newest first among them), then sent.
    assert by_state == [messages[n].pk for n in ("failed", "waiting", "reminder", "sent")]
    assert _ids(client.get(f"{LIST}?sort=-state"))[0] == messages["sent"].pk
    assert _ids(client.get(f"{LIST}?sort=date"))[0] == messages["reminder"].pk
    for sort in ("kind", "-kind", "subject", "-subject", "reference", "-reference", "nonsense"):
        assert sorted(_ids(client.get(f"{LIST}?sort={sort}"))) == sorted(n.pk for n in messages.values())
    html = client.get(f"{LIST}?sort=state&state=waiting").content.decode()
    assert 'aria-sort="ascending"' in html and 'name="sort" value="state"' in html


def test_pages_of_25_keep_the_filters(client, vsh, pep):
    for _ in range(27):
        queue_notice(pep, state=DeliveryState.SENT)
    queue_notice(pep, state=DeliveryState.FAILED)
    client.force_login(vsh)
    first = client.get(f"{LIST}?state=sent")
    assert len(_ids(first)) == 25
    assert "?state=sent&amp;page=2" in first.content.decode()
    second = client.get(f"{LIST}?state=sent&page=2")
    assert len(_ids(second)) == 2 and not set(_ids(first)) & set(_ids(second))
    assert len(_ids(client.get(f"{LIST}?state=sent&page=999"))) == 2  # the last page


# The messages list as the VSH:
#   1. the session   2. the user
#   3. the counts per state (one aggregate)   4. COUNT(*) for the paginator
#   5. the page of messages, with the e-mail, PEP, child and term joined and the attempts counted
#   6. their recipients   7. which of their PEPs the user may open (visible_peps)
#   8. the user's second-factor device (django-otp, on every page)
MESSAGE_LIST_QUERIES = 8
# Filtered by every filter, the PEP too: one more, the PEP the list is about.
MESSAGE_LIST_FILTERED_QUERIES = 9  # with the second-factor device


def _capture(client, url) -> list[str]:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def _make_messages(count: int) -> None:
    for n in range(count):
        child = ChildFactory()
        state = [DeliveryState.SENT, DeliveryState.WAITING, DeliveryState.FAILED][n % 3]
        queue_notice(PepFactory(child=child), to=[DT, SW], cc=[OFFICER], state=state)


def test_the_list_queries_are_constant(client, vsh, django_assert_num_queries):
    client.force_login(vsh)
    _make_messages(3)
    with_3 = _capture(client, LIST)
    _make_messages(27)
    with_30 = _capture(client, LIST)

    assert len(with_3) == len(with_30) == MESSAGE_LIST_QUERIES, "\n".join(with_30)
    with django_assert_num_queries(MESSAGE_LIST_QUERIES):
        assert len(_ids(client.get(LIST))) == 25
    pep = Notice.objects.first().pep
    filtered = (
        f"{LIST}?state=failed&kind=returned&reference={pep.child.la_reference}&person=dee"
        f"&date_from=2020-01-01&date_to=2099-12-31&pep={pep.pk}&sort=-state"
    )
    assert len(_capture(client, filtered)) == MESSAGE_LIST_FILTERED_QUERIES


# A message's page as the VSH:
#   1. the session   2. the user   3. the message with its e-mail, PEP, child, term and people
#   4. its recipients   5. whether the user may open its PEP   6. its attempts
MESSAGE_DETAIL_QUERIES = 7  # with the user's second-factor device (django-otp)


def test_the_detail_queries_are_constant(client, vsh, pep, django_assert_num_queries):
    client.force_login(vsh)
    few = queue_notice(pep, to=[DT], state=DeliveryState.FAILED)
    many = queue_notice(
        pep, to=[DT, SW], cc=[OFFICER], state=DeliveryState.FAILED, errors=tuple(f"error {n}" for n in range(10))
    )
    assert len(_capture(client, reverse("notices:detail", args=[few.pk]))) == MESSAGE_DETAIL_QUERIES
    with django_assert_num_queries(MESSAGE_DETAIL_QUERIES):
        client.get(reverse("notices:detail", args=[many.pk]))


# --- a message ------------------------------------------------------------------------


def test_a_message_shows_its_people_text_attempts_and_pep(client, vsh, messages, pep, manager):
    client.force_login(vsh)
    html = client.get(reverse("notices:detail", args=[messages["sent"].pk])).content.decode()

    assert messages["sent"].email.subject in html
    to, cc = html.split(">To</dt>", 1)[1].split(">Copy to</dt>", 1)
    assert "Dee Teacher, designated teacher" in to and "dee.teacher@school.example.org" in to
    assert "Sam Worker, social worker" in to
    assert "Olu Officer, allocated officer" in cc.split("</dd>", 1)[0]
    assert f"?person={'olu.officer%40council.example.org'}" in html  # the person's messages
    assert "Please amend these areas by" in html  # the body
    assert f'href="/peps/{pep.pk}/">the {pep.term} PEP of {pep.child.la_reference}</a>' in html
    assert f"when {manager} saved what it is about" in html
    assert 'govuk-tag--green">Sent</strong>' in html and ">Accepted<" in html
    assert "Resend" not in html


def test_a_failed_message_shows_each_error_and_a_resend_button(client, vsh, messages):
    client.force_login(vsh)
    html = client.get(reverse("notices:detail", args=[messages["failed"].pk])).content.decode()

    assert "Not delivered after 2 attempts" in html
    assert "SMTPDataError: (550, b&#x27;5.1.1 Mailbox unavailable&#x27;)" in html
    assert "Still unavailable" in html
    assert html.count('govuk-tag--red">Refused') == 2
    assert f'action="{reverse("notices:resend", args=[messages["failed"].pk])}"' in html
    assert 'data-prevent-double-click="true">Resend</button>' in html
    waiting = client.get(reverse("notices:detail", args=[messages["waiting"].pk])).content.decode()
    assert "Waiting to be sent." in waiting and "Not tried yet." in waiting and ">Resend<" not in waiting


def test_a_message_being_retried_says_when(client, vsh, pep):
    notice = queue_notice(pep, errors=("(421, b'Try later')",))
    later = timezone.now() + timedelta(minutes=4)
    Email.objects.filter(pk=notice.email_id).update(status=STATUS.requeued, number_of_retries=1, scheduled_time=later)
    client.force_login(vsh)
    html = client.get(reverse("notices:detail", args=[notice.pk])).content.decode()
    assert "The mail server refused it 1 time: it is tried again after" in html
    assert timezone.localtime(later).strftime("%H:%M") in html


# --- resending ------------------------------------------------------------------------


def test_resend_queues_the_message_again_once(
    client, vsh, messages, mailoutbox, eager, django_capture_on_commit_callbacks
):
    notice = messages["failed"]
    url = reverse("notices:resend", args=[notice.pk])
    client.force_login(vsh)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("notices:detail", args=[notice.pk]), 302)]
    assert "The message will be sent again" in response.content.decode()
    notice.refresh_from_db()
    assert notice.resent_by == vsh and notice.resent_at is not None
    # Delivered after the commit (the embedded default delivers in-process), with the
    # messages that were waiting.
    assert Email.objects.get(pk=notice.email_id).status == STATUS.sent
    assert sorted(m.to[0] for m in mailoutbox) == sorted([DT.address, SW.address, "pat.other@school.example.org"])

    # A second click: "already resent", nothing more sent.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, follow=True)
    assert "This message was already resent by" in again.content.decode()
    assert "and has been sent since" in again.content.decode()
    assert len(mailoutbox) == 3


def test_resending_a_message_that_did_not_fail_does_nothing(client, vsh, messages):
    client.force_login(vsh)
    for name, says in (("sent", "This message was sent"), ("waiting", "This message has not failed")):
        response = client.post(reverse("notices:resend", args=[messages[name].pk]), follow=True)
        assert says in response.content.decode()
    assert Email.objects.get(pk=messages["waiting"].email_id).status == STATUS.queued
    assert Notice.objects.filter(resent_at__isnull=False).count() == 0


def test_resend_needs_a_post_with_its_csrf_token(vsh, messages):
    url = reverse("notices:resend", args=[messages["failed"].pk])
    client = Client(enforce_csrf_checks=True)
    client.force_login(vsh)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert Email.objects.get(pk=messages["failed"].email_id).status == STATUS.failed


# --- links ----------------------------------------------------------------------------


def test_the_pep_page_links_to_its_messages_for_those_who_may_read_them(client, vsh, officer, manager, pep, messages):
    link = f'href="{LIST}?pep={pep.pk}">Read the messages about this PEP, and resend a failed one</a>'
    client.force_login(vsh)
    assert link in client.get(reverse("peps:detail", args=[pep.pk])).content.decode()
    for user in (officer, manager):
        # They see that messages went, and to whom (the PEP's page), not the messages page.
        client.force_login(user)
        html = client.get(reverse("peps:detail", args=[pep.pk])).content.decode()
        assert "Messages about this PEP" in html and f"{LIST}?pep=" not in html

    client.force_login(vsh)
    response = client.get(f"{LIST}?pep={pep.pk}")
    assert sorted(_ids(response)) == sorted(messages[n].pk for n in ("sent", "waiting", "failed"))
    html = response.content.decode()
    assert f"Messages about the {pep.term} PEP of {pep.child.la_reference}" in html
    assert f"PEP: {pep.child.la_reference}, {pep.term}" in html  # the selected filter
    assert f'<input type="hidden" name="pep" value="{pep.pk}"' in html  # kept by the filter form


def test_a_persons_link_lists_their_messages(client, vsh, messages):
    client.force_login(vsh)
    html = client.get(reverse("notices:detail", args=[messages["failed"].pk])).content.decode()
    link = re.search(r'href="(/messages/\?person=[^"]+)">messages to Sam Worker', html).group(1)
    assert sorted(_ids(client.get(link))) == sorted(messages[n].pk for n in ("sent", "failed"))


def test_the_admin_shows_a_message_to_read_only(client, administrator, messages):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    notice = messages["sent"]
    listed = client.get(reverse("admin:notices_notice_changelist") + "?q=sam.worker").content.decode()
    found = {int(pk) for pk in re.findall(r'href="/admin/notices/notice/(\d+)/change/', listed)}
    assert found == {messages["sent"].pk, messages["failed"].pk}  # to that address
    page = client.get(reverse("admin:notices_notice_change", args=[notice.pk])).content.decode()
    assert "Sam Worker" in page and "Olu Officer" in page
    assert 'name="_save"' not in page  # nothing to change
    assert client.get(reverse("admin:notices_notice_add")).status_code == 403


def test_a_password_reset_messages_text_is_not_shown(client, vsh, pep):
    """Its link sets the person's password: reading it on the messages page would let the
    reader use it."""
    notice = queue_notice(None, kind=NoticeKind.PASSWORD_RESET, state="sent")
    client.force_login(vsh)
    html = client.get(reverse("notices:detail", args=[notice.pk])).content.decode()
    assert "Not shown: a password reset message holds a link" in html
    assert notice.email.message.strip().splitlines()[0] not in html
