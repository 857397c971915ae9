"""Session timeouts (accounts/sessions.py, hvs_qa.middleware.SessionTimeoutMiddleware):
signed out after SESSION_IDLE_TIMEOUT without activity and SESSION_COOKIE_AGE after signing
in, with the reason on the sign-in page; automatic requests are not activity; the warning
dialog's markup; the keep-alive."""

import re
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils.html import escape

from accounts import sessions
from reporting.models import ReportKind, ReportRequest, ReportStatus

from .factories import PASSWORD
from .second_factor import mark_verified

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _activity_every_ten_seconds(settings):
    settings.SESSION_ACTIVITY_RESOLUTION = 10


IDLE_MESSAGE = "You were signed out after 30 minutes without activity. Sign in again."
ABSOLUTE_MESSAGE = "You were signed out because you had been signed in for 8 hours. Sign in again."


def sign_in(client, user):
    """The password, then the second factor (as its code page would mark the session)."""
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert SESSION_KEY in client.session
    mark_verified(client, user)


def shift(client, key, seconds):
    """Move a time kept in the session this many seconds into the past."""
    session = client.session
    session[key] -= seconds
    session.save()


def test_the_defaults(settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_IDLE_WARNING == 2 * 60


def test_signing_in_records_when(client, officer):
    before = time.time()
    sign_in(client, officer)
    assert before <= client.session[sessions.SIGNED_IN_AT] <= time.time()
    assert client.session[sessions.LAST_ACTIVE_AT] == client.session[sessions.SIGNED_IN_AT]


def test_29_minutes_idle_is_still_signed_in(client, officer):
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 29 * 60)
    assert client.get(reverse("home")).status_code == 200
    assert SESSION_KEY in client.session


def test_30_minutes_idle_signs_out_with_the_reason_on_the_sign_in_page(client, officer, pep):
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 30 * 60)
    url = reverse("peps:detail", args=[pep.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[0] == (f"{reverse('login')}?next={url}", 302)
    assert SESSION_KEY not in client.session
    body = response.content.decode()
    assert escape(IDLE_MESSAGE) in body
    assert pep.child.la_reference not in body
    # Signing in again goes back to the page.
    response = client.post(f"{reverse('login')}?next={url}", {"username": officer.username, "password": PASSWORD})
    assert response["Location"] == url


def test_the_idle_timeout_is_a_setting(client, officer, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 5 * 60)
    response = client.get(reverse("home"), follow=True)
    assert "You were signed out after 5 minutes without activity." in response.content.decode()


def test_activity_keeps_the_session(client, officer):
    sign_in(client, officer)
    for _ in range(3):
        shift(client, sessions.LAST_ACTIVE_AT, 20 * 60)
        assert client.get(reverse("home")).status_code == 200
    assert SESSION_KEY in client.session


def test_the_absolute_timeout_ends_an_active_session(client, officer):
    sign_in(client, officer)
    shift(client, sessions.SIGNED_IN_AT, 8 * 60 * 60)
    response = client.get(reverse("home"), follow=True)
    assert SESSION_KEY not in client.session
    assert escape(ABSOLUTE_MESSAGE) in response.content.decode()


def test_7_hours_59_in_is_still_signed_in(client, officer):
    sign_in(client, officer)
    shift(client, sessions.SIGNED_IN_AT, 8 * 60 * 60 - 60)
    assert client.get(reverse("home")).status_code == 200


def test_a_session_from_before_gets_its_times_on_its_next_request(client, officer):
    client.force_login(officer)  # no sign-in signal with a request
    session = client.session
    session.pop(sessions.SIGNED_IN_AT, None)
    session.pop(sessions.LAST_ACTIVE_AT, None)
    session.save()
    client.get(reverse("home"))
    assert sessions.SIGNED_IN_AT in client.session and sessions.LAST_ACTIVE_AT in client.session


# --- automatic requests ---------------------------------------------------------------------


def test_a_background_request_is_not_activity(client, officer):
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 20 * 60)
    before = client.session[sessions.LAST_ACTIVE_AT]
    response = client.get(reverse("account:keep_alive"), headers={"X-Background-Request": "1"})
    assert response.status_code == 200
    assert client.session[sessions.LAST_ACTIVE_AT] == before
    assert 9 * 60 <= response.json()["seconds_left"] <= 10 * 60


def test_a_background_request_after_the_timeout_gets_401(client, officer):
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 31 * 60)
    response = client.get(reverse("account:keep_alive"), headers={"X-Background-Request": "1"})
    assert response.status_code == 401
    assert response.json()["signed_out"] == "idle"
    assert SESSION_KEY not in client.session
    # The message waits for the sign-in page the script goes to.
    assert escape(IDLE_MESSAGE) in client.get(reverse("login")).content.decode()


def test_htmx_after_the_timeout_is_told_where_to_go(client, officer, pep):
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 31 * 60)
    page = reverse("peps:detail", args=[pep.pk])
    response = client.get(reverse("home"), headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"})
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"{reverse('login')}?next={page}"


def test_the_report_status_poll_is_marked_background(client, manager, pep):
    """Polling a report's status every few seconds is automatic: not activity."""
    report = ReportRequest.objects.create(
        kind=ReportKind.SOCIAL_CARE, term=pep.term, requested_by=manager, status=ReportStatus.RUNNING
    )
    client.force_login(manager)
    body = client.get(reverse("reports:status", args=[report.pk])).content.decode()
    assert 'hx-trigger="every' in body
    assert """hx-headers='{"X-Background-Request": "1"}'""" in body


# --- the keep-alive and the warning ---------------------------------------------------------


def test_stay_signed_in_posts_and_counts_as_activity(client, officer):
    sign_in(client, officer)
    shift(client, sessions.LAST_ACTIVE_AT, 29 * 60)
    response = client.post(reverse("account:keep_alive"))
    assert response.status_code == 200
    assert response.json()["seconds_left"] >= 30 * 60 - 2
    assert time.time() - client.session[sessions.LAST_ACTIVE_AT] < 2


def test_the_keep_alive_never_outlasts_the_absolute_timeout(client, officer):
    sign_in(client, officer)
    shift(client, sessions.SIGNED_IN_AT, 8 * 60 * 60 - 5 * 60)
    assert client.post(reverse("account:keep_alive")).json()["seconds_left"] <= 5 * 60


def test_the_keep_alive_signed_out_sends_to_sign_in(client, db):
    response = client.post(reverse("account:keep_alive"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_every_signed_in_page_has_the_warning_dialog(client, officer, pep):
    sign_in(client, officer)
    body = client.get(reverse("peps:detail", args=[pep.pk])).content.decode()
    dialog = re.search(r"<dialog\b([^>]*)>(.*?)</dialog>", body, re.S)
    assert dialog, "no warning dialog"
    attrs, inner = dialog.groups()
    assert 'data-module="app-session-timeout"' in attrs
    assert 'data-idle-timeout="1800"' in attrs and 'data-warning="120"' in attrs
    assert f'data-keep-alive-url="{reverse("account:keep_alive")}"' in attrs
    assert 'aria-labelledby="session-timeout-title"' in attrs
    assert re.search(r'data-seconds-left="(17\d\d|1800)"', attrs)
    assert "You’re about to be signed out" in inner and "Stay signed in" in inner
    assert 'name="csrfmiddlewaretoken"' in inner  # its sign-out form
    # No inline script or style in it (the CSP), and the script is a static module.
    assert "<script" not in inner and "style=" not in inner
    assert "session-timeout.js" in open("frontend/js/init.js").read()


def test_the_sign_in_page_has_no_warning(client, db):
    assert "app-session-timeout" not in client.get(reverse("login")).content.decode()


def test_the_message_names_the_durations():
    assert sessions.signed_out_message("idle") == IDLE_MESSAGE
    assert sessions.signed_out_message("absolute") == ABSOLUTE_MESSAGE
