"""Signing in and out, and each role's start page."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils.html import escape

from core.vocabulary import Role

from .factories import PASSWORD, ChildFactory, PepFactory, UserFactory
from .second_factor import code_for, confirmed_device

pytestmark = pytest.mark.django_db


def sign_in(client, user, password=PASSWORD):
    """The password, then the code from the user's authenticator app when it is asked for."""
    device = confirmed_device(user)
    response = client.post(reverse("login"), {"username": user.username, "password": password}, follow=True)
    if response.resolver_match and response.resolver_match.view_name == "second_factor:verify":
        response = client.post(
            response.request["PATH_INFO"] + "?" + response.request["QUERY_STRING"],
            {"code": code_for(device)},
            follow=True,
        )
    return response


def test_officer_lands_on_their_caseload(client, officer, pep, other_pep):
    second = ChildFactory(allocated_officer=officer, first_name="Second", last_name="Child")
    response = sign_in(client, officer)
    assert response.redirect_chain == [(reverse("home"), 302)]
    body = response.content.decode()
    assert "My caseload" in body
    assert "2 children allocated to you." in body
    for child in (pep.child, second):
        assert child.full_name in body
        assert child.la_reference in body
    assert other_pep.child.full_name not in body
    assert "The whole Virtual School" not in body


def test_manager_lands_on_their_team(client, manager, officer, other_officer, pep, other_pep):
    second = UserFactory(first_name="Second", last_name="Report", line_manager=manager)
    response = sign_in(client, manager)
    body = response.content.decode()
    assert "My team's PEPs" in body
    for report in (officer, second):
        assert escape(str(report)) in body
    assert escape(str(other_officer)) not in body
    # The team's PEP awaiting QA, not the other team's.
    assert pep.child.full_name in body
    assert other_pep.child.full_name not in body


@pytest.mark.parametrize("role", ["vsh", "lead", "administrator"])
def test_whole_school_roles_land_on_the_school_page(client, request, role, pep, other_pep):
    response = sign_in(client, request.getfixturevalue(role))
    body = response.content.decode()
    assert "The whole Virtual School" in body
    assert "My caseload" not in body
    assert "My team's PEPs" not in body


def test_next_is_followed_after_sign_in(client, vsh, pep):
    url = reverse("peps:detail", args=[pep.pk])
    response = client.post(f"{reverse('login')}?next={url}", {"username": "vsh", "password": PASSWORD})
    assert response["Location"] == url


def test_wrong_password_keeps_the_username_and_does_not_sign_in(client, manager):
    response = sign_in(client, manager, password="not the password")
    assert response.status_code == 200
    assert response.redirect_chain == []
    body = response.content.decode()
    assert "<title>Error: Sign in" in body
    assert 'name="username" value="manager"' in body
    assert "not the password" not in body  # the password is never echoed back
    assert SESSION_KEY not in client.session


def test_wrong_password_shows_the_error_summary(client, manager):
    body = sign_in(client, manager, password="not the password").content.decode()
    assert "There is a problem" in body
    assert "Enter a correct username and password." in body
    assert '<a href="#id_username">Enter a correct username' in body


def test_an_inactive_user_cannot_sign_in(client):
    user = UserFactory(role=Role.VSH, is_active=False)
    response = sign_in(client, user)
    assert response.redirect_chain == []
    assert SESSION_KEY not in client.session


def test_signed_in_user_visiting_login_goes_home(client, vsh):
    client.force_login(vsh)
    response = client.get(reverse("login"))
    assert (response.status_code, response["Location"]) == (302, reverse("home"))


def test_logout_by_post(client, vsh):
    sign_in(client, vsh)
    assert SESSION_KEY in client.session

    response = client.post(reverse("logout"))

    assert (response.status_code, response["Location"]) == (302, reverse("login"))
    assert SESSION_KEY not in client.session
    assert client.get(reverse("home"))["Location"] == f"{reverse('login')}?next=/"


def test_logout_by_get_is_refused(client, vsh):
    client.force_login(vsh)
    assert client.get(reverse("logout")).status_code == 405
    assert SESSION_KEY in client.session


def test_the_sign_out_button_posts(client, officer):
    client.force_login(officer)
    body = client.get(reverse("home")).content.decode()
    assert f'method="post" action="{reverse("logout")}"' in body


@pytest.mark.parametrize("url_name", ["accessibility", "privacy"])
def test_public_pages_need_no_sign_in(client, db, url_name):
    assert client.get(reverse(url_name)).status_code == 200


def test_officer_with_an_empty_caseload(client):
    lonely = UserFactory(role=Role.OFFICER)
    PepFactory()  # someone else's
    body = sign_in(client, lonely).content.decode()
    assert "0 children allocated to you." in body
