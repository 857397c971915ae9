"""The second factor (accounts.second_factor, web/second_factor): required for every role,
set up on first sign-in, a code each time, recovery codes used once, wrong codes throttled,
every page (and the admin) closed until it is given, and reset by an administrator."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
from core.vocabulary import Role

from . import test_url_guards as guards
from .factories import PASSWORD, UserFactory
from .second_factor import code_for, confirmed_device, password_only_login

pytestmark = pytest.mark.django_db

ROLES = [Role.OFFICER, Role.MANAGER, Role.LEAD, Role.VSH, Role.ADMINISTRATOR]


def _password(client, user, next_url=""):
    url = reverse("login") + (f"?next={quote(next_url)}" if next_url else "")
    return client.post(url, {"username": user.username, "password": PASSWORD}, follow=True)


def _code_of(device):
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _secret_on(body: str) -> str:
    return re.search(r'<code class="app-secret-key" id="secret-key">([A-Z2-7 ]+)</code>', body).group(1)


# --- the setting ------------------------------------------------------------------------


def test_the_second_factor_is_required_by_default(settings):
    assert settings.OTP_REQUIRED is True
    assert settings.OTP_TOTP_THROTTLE_FACTOR >= 1 and settings.OTP_STATIC_THROTTLE_FACTOR >= 1
    order = settings.MIDDLEWARE
    assert order.index("django_otp.middleware.OTPMiddleware") > order.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
    assert order.index("accounts.second_factor.SecondFactorMiddleware") > order.index(
        "django.contrib.auth.middleware.LoginRequiredMiddleware"
    )


# --- enrolment on first sign-in ---------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_first_sign_in_sets_up_an_app_for_every_role(client, role):
    user = UserFactory(role=role)
    response = _password(client, user)
    assert response.redirect_chain[-1] == (f"{reverse('second_factor:enrol')}?next=/", 302)
    body = response.content.decode()
    assert "Set up your authenticator app" in body
    assert '<svg role="img"' in body and 'class="app-qr-code"' in body  # made here, inline
    assert "<img" not in body.split('id="main-content"')[1]  # no image from elsewhere
    assert "navigation" not in response.context or response.context["navigation"] == []

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert _secret_on(body).replace(" ", "") == second_factor.base32_secret(device)
    response = client.post(reverse("second_factor:enrol") + "?next=/", {"code": _code_of(device)}, follow=True)
    device.refresh_from_db()
    assert device.confirmed
    assert response.redirect_chain[-1][0].startswith(reverse("second_factor:recovery_codes"))
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    # Shown once.
    again = client.get(reverse("second_factor:recovery_codes")).content.decode()
    assert not any(code in again for code in codes)
    assert "You have 10 recovery codes left" in again
    # Signed in: the start page opens.
    assert client.get(reverse("home")).status_code == 200


def test_the_set_up_page_keeps_its_key_when_reloaded(client, officer):
    password_only_login(client, officer)
    first = _secret_on(client.get(reverse("second_factor:enrol")).content.decode())
    second = _secret_on(client.get(reverse("second_factor:enrol")).content.decode())
    assert first == second
    assert TOTPDevice.objects.filter(user=officer).count() == 1


def test_a_wrong_code_does_not_confirm_the_app(client, officer):
    password_only_login(client, officer)
    client.get(reverse("second_factor:enrol"))
    response = client.post(reverse("second_factor:enrol"), {"code": "000000"})
    assert response.status_code == 200
    assert "The code is not correct" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor:enrol"))


def test_someone_with_an_app_cannot_set_up_another_without_its_code(client, officer):
    """Otherwise a stolen password would be enough: set up your own app and go in."""
    confirmed_device(officer)
    password_only_login(client, officer)
    response = client.get(reverse("second_factor:enrol"))
    assert response["Location"].startswith(reverse("second_factor:verify"))
    response = client.post(reverse("second_factor:enrol"), {"code": "123456"})
    assert response["Location"].startswith(reverse("second_factor:verify"))
    assert TOTPDevice.objects.filter(user=officer).count() == 1


# --- the code at each sign-in -----------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_enters_a_code_after_the_password(client, role):
    user = UserFactory(role=role)
    device = confirmed_device(user)
    response = _password(client, user)
    assert response.redirect_chain[-1] == (f"{reverse('second_factor:verify')}?next=/", 302)
    assert "Enter the code from your authenticator app" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session

    response = client.post(reverse("second_factor:verify") + "?next=/", {"code": code_for(device)})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(reverse("home")).status_code == 200


def test_the_code_keeps_where_the_user_was_going(client, vsh, pep):
    device = confirmed_device(vsh)
    url = reverse("peps:detail", args=[pep.pk])
    response = _password(client, vsh, next_url=url)
    assert response.redirect_chain[-1][0] == f"{reverse('second_factor:verify')}?next={quote(url)}"
    response = client.post(response.redirect_chain[-1][0], {"code": code_for(device)})
    assert response["Location"] == url


def test_the_code_does_not_send_elsewhere(client, vsh):
    device = confirmed_device(vsh)
    password_only_login(client, vsh)
    response = client.post(reverse("second_factor:verify") + "?next=https://evil.example/", {"code": code_for(device)})
    assert response["Location"] == reverse("home")


def test_a_wrong_code_is_refused(client, manager):
    confirmed_device(manager)
    password_only_login(client, manager)
    response = client.post(reverse("second_factor:verify"), {"code": "000000"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Error: Enter the code" in body
    assert "The code is not correct" in body
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(reverse("home"))["Location"].startswith(reverse("second_factor:verify"))


def test_a_code_works_once(client, manager):
    device = confirmed_device(manager)
    code = code_for(device)
    password_only_login(client, manager)
    assert client.post(reverse("second_factor:verify"), {"code": code}).status_code == 302
    other = client.__class__()
    password_only_login(other, manager)
    assert other.post(reverse("second_factor:verify"), {"code": code}).status_code == 200


# --- recovery codes ---------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(client, officer):
    confirmed_device(officer)
    codes = second_factor.new_recovery_codes(officer)
    password_only_login(client, officer)
    response = client.post(reverse("second_factor:verify"), {"code": codes[0].upper()}, follow=True)
    assert response.redirect_chain[-1] == (reverse("home"), 302)
    assert "You used a recovery code. You have 9 left" in response.content.decode()
    assert not StaticToken.objects.filter(token=codes[0]).exists()

    again = client.__class__()
    password_only_login(again, officer)
    response = again.post(reverse("second_factor:verify"), {"code": codes[0]})
    assert response.status_code == 200 and "The code is not correct" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in again.session


def test_new_recovery_codes_replace_the_old(client, officer):
    old = second_factor.new_recovery_codes(officer)
    client.force_login(officer)
    response = client.post(reverse("second_factor:recovery_codes"), follow=True)
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticToken.objects.filter(device__user=officer).count() == 10


# --- throttling -------------------------------------------------------------------------


def test_wrong_codes_are_throttled_even_before_the_right_one(client, officer):
    device = confirmed_device(officer)
    password_only_login(client, officer)
    for _ in range(5):
        client.post(reverse("second_factor:verify"), {"code": "000000"})
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    # Locked for 2^(n-1) seconds after the n-th failure: now even the right code is refused.
    device.throttling_failure_count = 5
    device.throttling_failure_timestamp = timezone.now()
    device.save()
    response = client.post(reverse("second_factor:verify"), {"code": code_for(device)})
    assert response.status_code == 200
    assert "Too many wrong codes. Wait" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    # Once the wait is over, the right code signs in and the count starts again.
    device.throttling_failure_timestamp = timezone.now() - timedelta(seconds=17)
    device.save()
    response = client.post(reverse("second_factor:verify"), {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_each_wrong_code_doubles_the_wait(officer):
    device = confirmed_device(officer)
    for expected in (1, 2, 3):
        device.throttling_failure_timestamp = None
        device.save()
        assert second_factor.check_code(officer, "000000").device is None
        device.refresh_from_db()
        assert device.throttling_failure_count == expected
    allowed, data = device.verify_is_allowed()
    assert not allowed
    assert data["locked_until"] - device.throttling_failure_timestamp == timedelta(seconds=4)


def test_wrong_recovery_codes_are_throttled(officer):
    confirmed_device(officer)
    codes = second_factor.new_recovery_codes(officer)
    assert second_factor.check_code(officer, "notacode").device is None
    StaticDevice.objects.filter(user=officer).update(throttling_failure_count=5)  # a 16 s wait
    outcome = second_factor.check_code(officer, codes[0])  # right, but within the wait
    assert outcome.device is None and outcome.locked_until is not None
    assert StaticToken.objects.filter(token=codes[0]).exists()


def test_confirming_a_new_app_is_throttled(client, officer):
    password_only_login(client, officer)
    client.get(reverse("second_factor:enrol"))
    client.post(reverse("second_factor:enrol"), {"code": "000000"})
    device = TOTPDevice.objects.get(user=officer)
    assert device.throttling_failure_count == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=5)  # a 16 s wait
    response = client.post(reverse("second_factor:enrol"), {"code": _code_of(device)})
    assert "Too many wrong codes" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


# --- every page closed until the code is given -----------------------------------------

# The pages for people who are not signed in (sign-in, password reset, the health check...).
OPEN = {"logout"} | guards.PUBLIC
SECOND_FACTOR = {name for name in guards.NAMES if name.startswith("second_factor:")}


@pytest.mark.parametrize("has_app", [True, False], ids=["with an app", "first sign-in"])
def test_every_protected_url_redirects_until_verified(client, has_app):
    world_user = UserFactory(role=Role.VSH)
    if has_app:
        confirmed_device(world_user)
    step = reverse("second_factor:verify" if has_app else "second_factor:enrol")
    password_only_login(client, world_user)
    fake = {k: guards._Any() for k in ("pep", "review", "draft", "entry", "report", "meeting")}
    fake |= {k: guards._Any() for k in ("draft_pep", "new_child", "import_run", "notice", "supervision", "officer")}
    fake |= {"exemplar": guards._Any()}
    checked = 0
    for name in guards.NAMES:
        if name in OPEN | SECOND_FACTOR:
            continue
        url = reverse(name, kwargs=guards.CASES[name].kwargs(fake))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {name}: {response.status_code}"
            assert response["Location"] == f"{step}?next={quote(url)}", f"{method.upper()} {name}"
        checked += 1
    assert checked >= 40
    # The open pages stay open, and signing out works.
    for name in ("accessibility", "privacy"):
        assert client.get(reverse(name)).status_code == 200
    assert client.post(reverse("logout"))["Location"] == reverse("login")


ADMIN_URLS = ["admin:index", "admin:accounts_user_changelist", "admin:peps_pep_changelist", "admin:password_change"]


@pytest.mark.parametrize("name", ADMIN_URLS)
def test_the_admin_needs_the_code_too(client, administrator, name):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    confirmed_device(administrator)
    password_only_login(client, administrator)
    url = reverse(name)
    response = client.get(url)
    assert response["Location"] == f"{reverse('second_factor:verify')}?next={quote(url)}"
    # The admin's own sign-in page does not let them past it either.
    response = client.get(reverse("admin:login"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("second_factor:verify"))


def test_the_device_admin_pages_are_not_offered(admin_client):
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)


def test_off_only_by_the_setting(client, settings, officer):
    settings.OTP_REQUIRED = False
    password_only_login(client, officer)
    assert client.get(reverse("home")).status_code == 200


# --- reset by an administrator ---------------------------------------------------------


def test_an_administrator_resets_a_second_factor(client, administrator, officer):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    device = confirmed_device(officer)
    second_factor.new_recovery_codes(officer)
    # The officer is signed in with their code in another browser.
    officer_client = client.__class__()
    password_only_login(officer_client, officer)
    officer_client.post(reverse("second_factor:verify"), {"code": code_for(device)})
    assert officer_client.get(reverse("home")).status_code == 200

    client.force_login(administrator)
    changelist = reverse("admin:accounts_user_changelist")
    listing = client.get(changelist).content.decode()
    assert "Second factor" in listing and "reset_second_factor" in listing
    response = client.post(changelist, {"action": "reset_second_factor", "_selected_action": [officer.pk]}, follow=True)
    assert "Second factor reset for 1 user(s)" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticDevice.objects.filter(user=officer).exists()
    # At their next page the officer sets up an app again.
    assert officer_client.get(reverse("home"))["Location"] == f"{reverse('second_factor:enrol')}?next=/"
    from django.contrib.admin.models import LogEntry

    assert LogEntry.objects.filter(object_id=str(officer.pk), change_message__contains="second factor").exists()


def test_an_officer_cannot_reach_the_reset(client, officer, other_officer):
    confirmed_device(other_officer)
    client.force_login(officer)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [other_officer.pk]},
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert TOTPDevice.objects.filter(user=other_officer).exists()
