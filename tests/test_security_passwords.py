"""Password rules (accounts/password_validation.py and Django's), changing a password, and
resetting a forgotten one through the outbox (web/accounts), with links that expire."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from post_office.models import Email

from accounts.password_validation import (
    GuessablePasswordValidator,
    PredictablePatternValidator,
    VariedCharactersValidator,
)
from notices.models import Notice, NoticeKind

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

GOOD = "kettle-orbit-plum-lantern"


def refusals(password, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return error.messages
    return []


# --- the rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "Summer2026!!!"])
def test_the_issues_two_examples_are_refused(password):
    assert refusals(password)


def test_aaaaaaaaaaaa_is_refused_for_too_few_different_characters():
    with pytest.raises(ValidationError, match="too few different characters"):
        VariedCharactersValidator().validate("aaaaaaaaaaaa")
    VariedCharactersValidator().validate("abcdef")


@pytest.mark.parametrize(
    "password",
    [
        "Summer2026!!!",
        "summer2026",
        "Autumn-2025-VS",
        "WINTER_2027",
        "January2026!",
        "Sept2025!!",
        "Monday123456",
        "Hillingdon2026!",
        "LondonBoroughOfHillingdon1",
        "VirtualSchool2026",
        "Password2026!",
        "SummerHillingdon26",
    ],
)
def test_a_season_month_day_or_the_councils_name_with_numbers_is_refused(password):
    with pytest.raises(ValidationError, match="one of the first things anyone would guess"):
        PredictablePatternValidator().validate(password)


@pytest.mark.parametrize("password", [GOOD, "Summer at the lido 2026", "demo-password-2026", "correct horse battery"])
def test_words_beside_the_predictable_ones_are_allowed(password):
    PredictablePatternValidator().validate(password)


@pytest.mark.parametrize("password", ["abcdefghijkl", "qwertyuiop123", "1q2w3e4r5t6y", "p@ssw0rd12345", "zzzzzzyyyyyy"])
def test_guessable_patterns_and_breached_passwords_are_refused(password):
    assert refusals(password), password


def test_the_users_own_names_are_guessable(settings):
    user = UserFactory.build(username="pkowalczyk", first_name="Patrycja", last_name="Kowalczyk")
    with pytest.raises(ValidationError, match="too easy to guess"):
        GuessablePasswordValidator(min_score=4).validate("Patrycja.Kowalczyk", user)


@pytest.mark.parametrize("password", [GOOD, "bx7Lq-9mZp2wR", "correct horse battery staple"])
def test_strong_passwords_pass_every_rule(password):
    assert refusals(password) == []


def test_the_messages_are_plain_english():
    messages = refusals("Summer2026!!!") + refusals("aaaaaaaaaaaa") + refusals("qwertyuiop123")
    for message in messages:
        assert message[0].isupper() and message.endswith("."), message
        assert "zxcvbn" not in message and "score" not in message


def test_a_very_long_password_is_checked_without_error():
    assert refusals("kettle orbit plum lantern " * 10) == []


# --- changing a password --------------------------------------------------------------------


def test_the_header_links_to_change_password(client, officer):
    client.force_login(officer)
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("account:password_change")}"' in body
    assert "Change password" in body


def test_changing_a_password(client, officer):
    client.force_login(officer)
    url = reverse("account:password_change")
    page = client.get(url).content.decode()
    assert "Change your password" in page and 'name="old_password"' in page
    response = client.post(url, {"old_password": PASSWORD, "new_password1": GOOD, "new_password2": GOOD}, follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Your password has been changed" in response.content.decode()
    assert SESSION_KEY in client.session  # still signed in here
    officer.refresh_from_db()
    assert officer.check_password(GOOD)


def test_a_weak_new_password_is_refused_with_an_error_summary(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("account:password_change"),
        {"old_password": PASSWORD, "new_password1": "Summer2026!!!", "new_password2": "Summer2026!!!"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body and "one of the first things anyone would guess" in body
    assert body.count("<title>Error: ") == 1
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_the_current_password_is_needed(client, officer):
    client.force_login(officer)
    client.post(
        reverse("account:password_change"), {"old_password": "not-it", "new_password1": GOOD, "new_password2": GOOD}
    )
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_changing_a_password_signs_out_the_other_sessions(client, officer):
    other = type(client)()
    other.force_login(officer)
    client.force_login(officer)
    client.post(
        reverse("account:password_change"), {"old_password": PASSWORD, "new_password1": GOOD, "new_password2": GOOD}
    )
    response = other.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- resetting a forgotten password ---------------------------------------------------------


def reset_link(notice: Notice) -> str:
    match = re.search(r"https?://[^/\s]+(/account/password/reset/[^\s]+/)", notice.email.message)
    assert match, notice.email.message
    return match.group(1)


def test_the_sign_in_page_links_to_the_reset(client, db):
    body = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("account:password_reset")}"' in body


def test_a_reset_link_is_sent_through_the_outbox(client, officer, settings):
    settings.SITE_URL = "https://hvs.example.org"
    officer.email = "sam.kowalski@hillingdon-vs.example.org"
    officer.save()
    response = client.post(reverse("account:password_reset"), {"email": "Sam.Kowalski@hillingdon-vs.example.org"})
    assert response["Location"] == reverse("account:password_reset_done")
    notice = Notice.objects.get()
    assert notice.kind == NoticeKind.PASSWORD_RESET and notice.pep is None
    assert list(notice.recipients.values_list("address", flat=True)) == [officer.email]
    assert notice.email.subject == "Reset your password for PEP quality assurance"
    assert "https://hvs.example.org/account/password/reset/" in notice.email.message
    assert "officer" in notice.email.message and "for 1 hour" in notice.email.message


def test_the_link_is_built_on_site_url_not_the_host_header(client, officer, settings):
    settings.SITE_URL = "https://hvs.example.org"
    settings.ALLOWED_HOSTS = ["*"]
    officer.email = "sam@example.org"
    officer.save()
    client.post(reverse("account:password_reset"), {"email": "sam@example.org"}, HTTP_HOST="evil.example")
    assert "evil.example" not in Notice.objects.get().email.message


def test_the_reset_does_not_say_whether_an_address_exists(client, officer):
    officer.email = "sam@example.org"
    officer.save()
    known = client.post(reverse("account:password_reset"), {"email": "sam@example.org"}, follow=True)
    unknown = client.post(reverse("account:password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert _without_tokens(known) == _without_tokens(unknown)
    assert "If an account has the address you entered" in known.content.decode()
    assert Notice.objects.count() == 1  # nothing for the unknown address


def _without_tokens(response) -> str:
    return re.sub(
        r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value="|nonce=")[^"]+', r"\1", response.content.decode()
    )


def test_an_inactive_account_gets_no_link(client):
    UserFactory(email="gone@example.org", is_active=False)
    client.post(reverse("account:password_reset"), {"email": "gone@example.org"})
    assert not Email.objects.exists()


def test_the_link_sets_a_new_password_once(client, officer):
    officer.email = "sam@example.org"
    officer.save()
    client.post(reverse("account:password_reset"), {"email": "sam@example.org"})
    link = reset_link(Notice.objects.get())
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    weak = client.post(set_url, {"new_password1": "aaaaaaaaaaaa", "new_password2": "aaaaaaaaaaaa"})
    assert "too few different characters" in weak.content.decode()
    done = client.post(set_url, {"new_password1": GOOD, "new_password2": GOOD}, follow=True)
    assert "Your password has been reset" in done.content.decode()
    officer.refresh_from_db()
    assert officer.check_password(GOOD)
    # Used once: the same link now says it has expired.
    again = client.get(link, follow=True).content.decode()
    assert "The link has expired" in again and "new_password1" not in again


def test_a_reset_link_expires(client, officer, settings, monkeypatch):
    settings.PASSWORD_RESET_TIMEOUT = 3600
    uid = urlsafe_base64_encode(force_bytes(officer.pk))
    token = default_token_generator.make_token(officer)
    url = reverse("account:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    assert "Choose a new password" in client.get(url, follow=True).content.decode()
    # An hour and a minute later (the token generator's clock moved on).
    now = default_token_generator._now()
    monkeypatch.setattr(type(default_token_generator), "_now", lambda self: now + timedelta(minutes=61))
    client.cookies.clear()
    body = client.get(url, follow=True).content.decode()
    assert "The link has expired" in body


def test_the_reset_timeout_is_an_hour_by_default(settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


def test_a_reset_clears_the_lockout(client, officer):
    officer.email = "sam@example.org"
    officer.save()
    for _ in range(5):
        client.post(reverse("login"), {"username": "officer", "password": "wrong-password"})
    client.post(reverse("account:password_reset"), {"email": "sam@example.org"})
    form = client.get(reset_link(Notice.objects.get()), follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": GOOD, "new_password2": GOOD})
    client.post(reverse("login"), {"username": "officer", "password": GOOD})
    assert SESSION_KEY in client.session
