"""hvs_qa.middleware: a NUL byte anywhere in a request answers 400, in the apps and the admin.

PostgreSQL cannot hold a NUL in text, so without the middleware these answer 500 there
(SQLite takes them): run with DATABASE_URL set to a PostgreSQL database to see it.
"""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/admin/autocomplete/?app_label=peps&model_name=designatedteacher&field_name=school"

NUL_ADDRESSES = [
    # The admin's own filters and autocomplete are in test_admin.py.
    "/admin/peps/pep/?%00=1",
    "/admin/peps/pep/%00/change/",
    "/peps/?q=%00",
    "/peps/?status=%00",
    "/peps/%00/",
    "/reviews/?term=%00",
    "/qa/moderation/?term=%00",
    "/reports/?term=%00",
]


@pytest.fixture
def admin_client(client, administrator):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    return client


@pytest.mark.parametrize("address", NUL_ADDRESSES)
def test_a_nul_in_the_address_is_a_bad_request(admin_client, address):
    response = admin_client.get(address)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


@pytest.mark.parametrize("address", ["/admin/peps/pep/?q=HVS", f"{AUTOCOMPLETE}&term=Sch", "/peps/?q=HVS"])
def test_the_same_address_without_a_nul_answers(admin_client, address):
    # The PEP list's search redirects to ?search=<token> (web/search.py).
    assert admin_client.get(address, follow=True).status_code == 200


def test_a_nul_in_a_posted_form_is_a_bad_request(client, officer):
    response = client.post(reverse("login"), {"username": "officer\x00", "password": "x"})
    assert response.status_code == 400


def test_a_nul_in_a_posted_field_name_is_a_bad_request(client):
    response = client.post(reverse("login"), {"username\x00": "officer", "password": "x"})
    assert response.status_code == 400


def test_a_posted_form_without_a_nul_goes_through(client, officer):
    response = client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    assert response.status_code == 200  # the form again, with its error


def test_a_nul_in_the_session_cookie_is_a_bad_request(client):
    client.cookies["sessionid"] = "\x00" * 32
    assert client.get(reverse("home")).status_code == 400
