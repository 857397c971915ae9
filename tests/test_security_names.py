"""Children's names out of addresses, logs and page titles (issue 10, hardening).

The PEP list's search posts; the text is kept in the session under a short random token
(web/search.py) and the list redirects to ?search=<token>. Pagination, sorting, "remove
this filter" and the PEP links carry the token, never the text; the token works only in
the session that made it. Titles name a child by LA reference.
"""

import logging
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from core.vocabulary import Role
from web.search import SEARCH_PARAM

from . import test_url_guards as guards
from .factories import ChildFactory, PepFactory, TermFactory, UserFactory

pytestmark = pytest.mark.django_db

NAME = "Quillon"
LIST = reverse("peps:list")


class Addresses(HTMLParser):
    """Every address in a page (links, forms, scripts) and its <title>."""

    def __init__(self):
        super().__init__()
        self.addresses: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "action", "src", "hx-get", "hx-post", "formaction") and value:
                self.addresses.append(value)
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def _parse(response) -> Addresses:
    parser = Addresses()
    parser.feed(response.content.decode())
    return parser


def _no_name(address: str, *names: str) -> None:
    text = unquote(unquote(address)).lower()
    for name in names:
        assert name.lower() not in text, f"{name!r} in {address!r}"


@pytest.fixture
def many(settings, vsh):
    """Seven PEPs of children called Quillon (three pages of 3), and one other."""
    settings.PEPS_PER_PAGE = 3
    term = TermFactory()
    for n in range(7):
        PepFactory(child=ChildFactory(first_name=NAME, last_name=f"Child{n}"), term=term)
    PepFactory(child=ChildFactory(first_name="Other", last_name="Person"), term=term)
    return term


def _search(client, text, **filters):
    return client.post(LIST, {"q": text, **filters})


def test_the_search_posts_and_redirects_to_a_token(client, vsh, many):
    client.force_login(vsh)
    response = _search(client, NAME, status="", sort="-child")
    assert response.status_code == 302
    location = response["Location"]
    _no_name(location, NAME)
    token = parse_qs(urlsplit(location).query)[SEARCH_PARAM][0]
    assert 6 <= len(token) <= 16
    assert parse_qs(urlsplit(location).query)["sort"] == ["-child"]

    page = client.get(location)
    body = page.content.decode()
    assert page.status_code == 200
    assert "<strong>7</strong> PEPs matching your filters" in body
    # The box shows the search back; the form posts.
    assert re.search(rf'<input class="govuk-input" id="id_q" name="q" type="search" value="{NAME}"', body)
    assert re.search(r'<form method="post" action="/peps/" class="app-filter"', body)
    parser = _parse(page)
    assert parser.addresses
    for address in parser.addresses:
        _no_name(address, NAME)
    listed = [a for a in parser.addresses if a.startswith("?") or a.startswith("/peps/")]
    # Pagination and sorting links, and the PEP links' back link, carry the token.
    assert any("page=2" in a and f"{SEARCH_PARAM}={token}" in a for a in listed)
    assert any("sort=child" in a and f"{SEARCH_PARAM}={token}" in a for a in listed)
    assert any(a.startswith("/peps/") and "list=" in a and token in unquote(a) for a in listed)
    # "Remove this filter" for the search drops the token.
    assert 'href="?sort=-child"' in body

    second = client.get(f"{location}&page=3")
    assert second.status_code == 200 and "Child0" in second.content.decode()  # sorted by child, descending


def test_an_old_style_address_is_turned_into_a_token(client, vsh, many):
    client.force_login(vsh)
    response = client.get(LIST, {"q": NAME, "page": "2"})
    assert response.status_code == 302
    _no_name(response["Location"], NAME)
    assert f"{SEARCH_PARAM}=" in response["Location"] and "page" not in response["Location"]


def test_the_token_does_not_work_for_another_session(client, vsh, many):
    client.force_login(vsh)
    location = _search(client, NAME)["Location"]
    assert NAME in client.get(location).content.decode()

    other = Client()
    other.force_login(UserFactory(role=Role.VSH))
    response = other.get(location)
    assert response.status_code == 302
    assert SEARCH_PARAM not in response["Location"]
    page = other.get(response["Location"])
    body = page.content.decode()
    assert "That search has expired" in body
    assert 'value="Quillon"' not in body
    assert "<strong>8</strong> PEPs" in body  # the whole list, not the search

    # The same user signed in again (a new session): the token is gone too.
    client.logout()
    client.force_login(vsh)
    assert SEARCH_PARAM not in client.get(location)["Location"]


def test_an_expired_token_is_refused(client, vsh, many, settings):
    settings.SEARCH_TOKEN_SECONDS = -1
    client.force_login(vsh)
    location = _search(client, NAME)["Location"]
    assert SEARCH_PARAM not in client.get(location)["Location"]


def test_an_empty_search_has_no_token(client, vsh, many):
    client.force_login(vsh)
    assert _search(client, "  ", status="submitted")["Location"] == f"{LIST}?status=submitted"


def test_the_search_still_finds_by_la_reference(client, vsh, many):
    client.force_login(vsh)
    child = ChildFactory(first_name="Ref", last_name="Only", la_reference="REF-99")
    PepFactory(child=child, term=many)
    body = client.get(_search(client, "ref-99")["Location"]).content.decode()
    assert "<strong>1</strong> PEP matching" in body and "Ref Only" in body


# --- titles and logs, on every page of the URL guards' world ---------------------------

world = guards.world


@pytest.mark.parametrize("name", sorted(guards.SHOWS_CHILD))
def test_titles_name_no_child(client, world, name, caplog):
    case = guards.CASES[name]
    client.force_login(world[case.insider])
    with caplog.at_level(logging.DEBUG):
        response = client.get(guards._url(name, world))
    assert response.status_code == 200
    parser = _parse(response)
    assert parser.title, f"{name}: no title"
    for secret in (guards.CHILD_FIRST, guards.CHILD_LAST):
        assert secret not in parser.title, f"{name}: {parser.title!r}"
        assert secret not in caplog.text, f"{name} logged the child's name"
        for address in parser.addresses:
            _no_name(address, secret)
    if name in {"peps:detail", "reviews:detail", "reviews:rate", "reviews:confirm", "reviews:correct", "peps:record"}:
        assert guards.CHILD_REF in parser.title, f"{name}: {parser.title!r}"


def test_downloads_log_no_child(client, world, caplog):
    client.force_login(world["vsh"])
    with caplog.at_level(logging.DEBUG):
        for name in ("reporting:ratings_csv", "imports:errors_csv"):
            assert client.get(guards._url(name, world)).status_code == 200
        social_care = reverse("reports:download", args=[world["social_care_report"].pk])
        assert client.get(social_care).status_code == 200
        client.post(LIST, {"q": guards.CHILD_LAST})
    for secret in (guards.CHILD_FIRST, guards.CHILD_LAST):
        assert secret not in caplog.text


def test_no_admin_search_looks_up_a_childs_name():
    """The admin's search travels in the address (?q=...), so none searches a child's name:
    children are found by LA reference or UPN."""
    child_name_fields = []
    for model, model_admin in admin.site._registry.items():
        for field in model_admin.search_fields:
            path = field.lstrip("^=@")
            if (
                (model.__name__ == "Child" and path in ("first_name", "last_name"))
                or "child__first_name" in path
                or ("child__last_name" in path)
            ):
                child_name_fields.append(f"{model.__name__}: {field}")
    assert child_name_fields == []
