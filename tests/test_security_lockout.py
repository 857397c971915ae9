"""Sign-in lockout (django-axes, accounts/lockout.py): failures counted per account and per
address in the database; at the 5th failure the account, and the address, are locked for
30 minutes; while locked the right password is refused and the sign-in page says why; an
administrator unlocks early; the cool-off ends it; X-Forwarded-For counts only behind a
configured proxy."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from accounts.lockout import client_ip, lockout_message
from web.accounts.views import reset_failed_sign_ins

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 5
MESSAGE = (
    "Your account is locked for 30 minutes after 5 failed sign-ins. Try again later or ask an "
    "administrator to unlock it."
)


def attempt(client, username, password="wrong-password", address="192.0.2.10", **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, follow=True, **extra
    )


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def fail(client, username, times, address="192.0.2.10"):
    for _ in range(times):
        attempt(client, username, address=address)


def test_the_settings_are_the_documented_ones(settings):
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_COOLOFF_MINUTES == 30
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert lockout_message() == MESSAGE


def test_four_failures_then_the_right_password_signs_in(client, officer):
    fail(client, "officer", LIMIT - 1)
    response = attempt(client, "officer", PASSWORD)
    assert signed_in(client)
    # Signed in with the password: on to the second factor (a first sign-in sets it up).
    assert response.redirect_chain[-1][0] == reverse("second_factor:enrol") + "?next=/"


def test_a_success_clears_the_count(client, officer):
    fail(client, "officer", LIMIT - 1)
    attempt(client, "officer", PASSWORD)
    assert not AccessAttempt.objects.filter(username="officer").exists()
    client.logout()
    fail(client, "officer", 1)
    attempt(client, "officer", PASSWORD)
    assert signed_in(client)


def test_signing_in_to_ones_own_account_does_not_clear_failures_against_another(client, officer, manager):
    """From one address: four guesses at the manager, then the officer's own sign-in, then
    one more guess: the manager is locked (axes' own reset on success would have cleared
    every failure from the address)."""
    fail(client, "manager", LIMIT - 1)
    attempt(client, "officer", PASSWORD)
    assert signed_in(client)
    client.logout()
    attempt(client, "manager")
    attempt(client, "manager", PASSWORD, address="203.0.113.50")
    assert not signed_in(client)


def test_each_failure_before_the_lockout_says_the_password_is_wrong(client, officer):
    for _ in range(LIMIT - 1):
        response = attempt(client, "officer")
        body = response.content.decode()
        assert "Enter a correct username and password" in body
        assert escape(MESSAGE) not in body


def test_the_fifth_failure_locks_the_account_with_a_message_on_the_sign_in_page(client, officer):
    fail(client, "officer", LIMIT - 1)
    response = attempt(client, "officer")
    assert response.redirect_chain == [(reverse("login"), 302)]
    body = response.content.decode()
    assert '<h1 class="govuk-heading-xl">Sign in</h1>' in body  # the sign-in page, not a bare 403
    assert escape(MESSAGE) in body
    assert 'class="govuk-notification-banner' in body


def test_the_right_password_is_refused_while_locked(client, officer):
    fail(client, "officer", LIMIT)
    response = attempt(client, "officer", PASSWORD)
    assert not signed_in(client)
    assert escape(MESSAGE) in response.content.decode()


def test_the_lockout_keeps_a_safe_next(client, officer, pep):
    fail(client, "officer", LIMIT)
    url = reverse("peps:detail", args=[pep.pk])
    response = client.post(
        f"{reverse('login')}?next={url}", {"username": "officer", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10"
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url.replace('/', '%2F')}"
    response = client.post(
        f"{reverse('login')}?next=https://evil.example/", {"username": "officer", "password": PASSWORD}
    )
    assert response["Location"] == reverse("login")


def test_an_account_is_locked_whatever_address_it_is_tried_from(client, officer):
    for number in range(LIMIT):
        attempt(client, "officer", address=f"198.51.100.{number}")
    attempt(client, "officer", PASSWORD, address="203.0.113.99")
    assert not signed_in(client)


def test_an_address_is_locked_whatever_usernames_it_tries(client, officer):
    for number in range(LIMIT):
        attempt(client, f"guess{number}")
    # Another account, right password, from the locked address: refused ...
    response = attempt(client, "officer", PASSWORD)
    assert not signed_in(client)
    assert escape(MESSAGE) in response.content.decode()
    # ... and from another address, fine: the account itself is not locked.
    attempt(client, "officer", PASSWORD, address="203.0.113.7")
    assert signed_in(client)


def test_other_accounts_are_not_locked_from_other_addresses(client, officer, manager):
    fail(client, "officer", LIMIT)
    attempt(client, "manager", PASSWORD, address="203.0.113.8")
    assert signed_in(client)


def test_failures_are_kept_in_the_database(client, officer):
    fail(client, "officer", 2)
    assert AccessAttempt.objects.get(username="officer").failures_since_start == 2


def test_the_cool_off_ends_the_lockout(client, officer):
    fail(client, "officer", LIMIT)
    attempt(client, "officer", PASSWORD)
    assert not signed_in(client)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31))
    attempt(client, "officer", PASSWORD)
    assert signed_in(client)


def test_a_failure_while_locked_restarts_the_wait(client, officer):
    fail(client, "officer", LIMIT)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=20))
    attempt(client, "officer")  # still locked: the wait starts again
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=20))
    attempt(client, "officer", PASSWORD)
    assert not signed_in(client)


def test_an_administrator_unlocks_an_account_in_the_admin(client, officer, administrator):
    fail(client, "officer", LIMIT)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    admin = type(client)()
    admin.force_login(administrator)
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [officer.pk]},
        follow=True,
    )
    assert "Sign-in unlocked for 1 user(s)" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="officer").exists()
    attempt(client, "officer", PASSWORD)
    assert signed_in(client)


def test_the_unlock_action_needs_the_change_permission(client, officer):
    fail(client, "officer", LIMIT)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename="view_user"))
    client.force_login(viewer)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "unlock_sign_in", "_selected_action": [officer.pk]}
    )
    assert response.status_code in (200, 302, 403)
    assert AccessAttempt.objects.filter(username="officer").exists()


def test_the_access_attempts_are_in_the_admin_for_unlocking_an_address(client, officer, administrator):
    fail(client, "guess", LIMIT)
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    assert "192.0.2.10" in response.content.decode()


def test_a_password_reset_unlocks_the_account(client, officer):
    """The reset itself is in test_security_passwords.py; here, what it calls."""
    fail(client, "officer", LIMIT)
    reset_failed_sign_ins(username="officer")
    attempt(client, "officer", PASSWORD)
    assert signed_in(client)


# --- the client's address ---------------------------------------------------------------


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="203.0.113.5")) == "10.0.0.1"


def test_behind_one_proxy_the_right_most_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded="203.0.113.5")) == "203.0.113.5"
    # A client that sends its own X-Forwarded-For cannot choose its address.
    assert client_ip(_request(forwarded="1.2.3.4, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(_request()) == "10.0.0.1"


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded="1.2.3.4, 203.0.113.5, 10.0.0.9")) == "203.0.113.5"
    assert client_ip(_request(forwarded="203.0.113.5")) == "10.0.0.1"  # fewer hops than proxies


def test_a_spoofed_forwarded_address_does_not_dodge_the_address_lockout(client, officer):
    for number in range(LIMIT):
        attempt(client, f"guess{number}", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    attempt(client, "officer", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert not signed_in(client)


def test_behind_a_proxy_the_forwarded_address_is_locked(client, officer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for number in range(LIMIT):
        attempt(client, f"guess{number}", address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    attempt(client, "officer", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert not signed_in(client)
    # Another client behind the same proxy is not.
    attempt(client, "officer", PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")
    assert signed_in(client)
