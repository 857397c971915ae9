"""Signing in through the council's identity provider (accounts/oidc.py): off unless
configured; people matched by e-mail to existing active accounts, nobody created; the
second factor still asked unless OIDC_TRUSTS_IDP_MFA. The provider's HTTP calls are faked."""

import time
from unittest import mock
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.urls import NoReverseMatch, reverse

from core.vocabulary import Role

from .factories import UserFactory
from .second_factor import code_for, confirmed_device

pytestmark = pytest.mark.django_db

SECRET = "test-client-secret-of-some-length-0123456789"
PROVIDER = "https://idp.example.gov.uk"
BACKEND = "accounts.oidc.CouncilOIDCBackend"


def test_off_by_default(client):
    assert django_settings.OIDC_ENABLED is False
    assert BACKEND not in django_settings.AUTHENTICATION_BACKENDS
    with pytest.raises(NoReverseMatch):
        reverse("oidc_authentication_init")
    assert client.get("/oidc/authenticate/").status_code == 404
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert django_settings.OIDC_TRUSTS_IDP_MFA is False
    assert django_settings.OIDC_CREATE_USER is False


@pytest.fixture
def oidc(settings):
    settings.ROOT_URLCONF = "tests.oidc_urls"
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = "hvs-qa"
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{PROVIDER}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{PROVIDER}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{PROVIDER}/userinfo"
    settings.OIDC_PROVIDER_NAME = "Hillingdon"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, BACKEND]
    return settings


class _Response:
    def __init__(self, data):
        self._data = data
        self.status_code = 200
        self.headers = {"content-type": "application/json"}

    def json(self):
        return self._data

    def raise_for_status(self):
        pass


def _sign_in_at_the_provider(client, userinfo, next_url=""):
    """Start at our authenticate URL, then come back to the callback as the provider would,
    its token and userinfo endpoints faked."""
    start = client.get(reverse("oidc_authentication_init") + (f"?next={next_url}" if next_url else ""))
    assert start.status_code == 302 and start["Location"].startswith(f"{PROVIDER}/authorize")
    params = parse_qs(urlparse(start["Location"]).query)
    assert params["client_id"] == ["hvs-qa"] and params["scope"] == ["openid email"]
    id_token = jwt.encode(
        {
            "iss": PROVIDER,
            "aud": "hvs-qa",
            "sub": "someone",
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
            "nonce": params["nonce"][0],
        },
        SECRET,
        algorithm="HS256",
    )
    token = _Response({"id_token": id_token, "access_token": "access"})
    with (
        mock.patch("mozilla_django_oidc.auth.requests.post", return_value=token) as post,
        mock.patch("mozilla_django_oidc.auth.requests.get", return_value=_Response(userinfo)) as get,
    ):
        response = client.get(
            reverse("oidc_authentication_callback"), {"code": "the-code", "state": params["state"][0]}
        )
    assert post.call_args.args[0] == f"{PROVIDER}/token"
    assert get.call_args.args[0] == f"{PROVIDER}/userinfo"
    return response


def test_the_sign_in_page_offers_the_council_account(client, oidc):
    body = client.get(reverse("login")).content.decode()
    assert "Sign in with Hillingdon account" in body
    assert f'href="{reverse("oidc_authentication_init")}"' in body


def test_a_known_person_is_matched_by_email_and_still_gives_the_code(client, oidc):
    user = UserFactory(role=Role.MANAGER, email="Jo.Manager@Hillingdon.gov.uk")
    device = confirmed_device(user)
    response = _sign_in_at_the_provider(client, {"email": "jo.manager@hillingdon.gov.uk", "email_verified": True})
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == user.pk
    # The IdP's MFA is not trusted by default: the code is asked for.
    home = client.get(reverse("home"))
    assert home["Location"] == f"{reverse('second_factor:verify')}?next=/"
    assert client.post(home["Location"], {"code": code_for(device)})["Location"] == "/"
    assert client.get(reverse("home")).status_code == 200
    user.refresh_from_db()
    assert user.role == Role.MANAGER  # roles stay the app's


def test_a_trusted_provider_stands_for_the_second_factor(client, oidc):
    oidc.OIDC_TRUSTS_IDP_MFA = True
    user = UserFactory(role=Role.OFFICER, email="officer@hillingdon.gov.uk")
    _sign_in_at_the_provider(client, {"email": "officer@hillingdon.gov.uk"})
    assert int(client.session[SESSION_KEY]) == user.pk
    assert client.get(reverse("home")).status_code == 200
    # A password sign-in in another browser still needs the code.
    other = client.__class__()
    from .second_factor import password_only_login

    password_only_login(other, user)
    assert other.get(reverse("home"))["Location"].startswith(reverse("second_factor:enrol"))


def test_an_unknown_person_is_refused_and_not_created(client, oidc):
    UserFactory(email="someone.else@hillingdon.gov.uk")
    before = UserFactory._meta.model.objects.count()
    response = _sign_in_at_the_provider(client, {"email": "stranger@hillingdon.gov.uk", "email_verified": True})
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    assert UserFactory._meta.model.objects.count() == before
    body = client.get(response["Location"]).content.decode()
    assert "There is no account in this service for your Hillingdon account" in body
    assert "Ask your Virtual School administrator to add you" in body


@pytest.mark.parametrize(
    "userinfo",
    [{"email": "inactive@hillingdon.gov.uk"}, {"email": "unverified@hillingdon.gov.uk", "email_verified": False}, {}],
    ids=["inactive account", "unverified e-mail", "no e-mail"],
)
def test_no_sign_in_without_an_active_account_and_a_verified_address(client, oidc, userinfo):
    UserFactory(email="inactive@hillingdon.gov.uk", is_active=False)
    UserFactory(email="unverified@hillingdon.gov.uk")
    response = _sign_in_at_the_provider(client, userinfo)
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    body = client.get("/login/").content.decode()
    assert "did not work" in body or "There is no account" in body


def test_two_accounts_with_one_address_are_refused(client, oidc):
    UserFactory(email="twice@hillingdon.gov.uk")
    UserFactory(email="TWICE@hillingdon.gov.uk")
    response = _sign_in_at_the_provider(client, {"email": "twice@hillingdon.gov.uk"})
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    assert "did not work" in client.get("/login/").content.decode()


def test_a_forged_token_is_refused(client, oidc):
    user = UserFactory(email="jo@hillingdon.gov.uk")
    start = client.get(reverse("oidc_authentication_init"))
    params = parse_qs(urlparse(start["Location"]).query)
    forged = jwt.encode(
        {"nonce": params["nonce"][0], "aud": "hvs-qa"}, "another-key-entirely-0123456789-abcdef", "HS256"
    )
    with (
        mock.patch("mozilla_django_oidc.auth.requests.post", return_value=_Response({"id_token": forged})),
        mock.patch("mozilla_django_oidc.auth.requests.get", return_value=_Response({"email": user.email})),
    ):
        response = client.get(reverse("oidc_authentication_callback"), {"code": "c", "state": params["state"][0]})
    assert response.status_code == 400  # SuspiciousOperation: the signature does not verify
    assert SESSION_KEY not in client.session
