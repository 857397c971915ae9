"""Security headers on every route (issue 10, hardening): a Content-Security-Policy with a
nonce on every page, no inline script without that nonce and no inline style at all, and
a Permissions-Policy.

Every URL of the project is taken from tests/test_url_guards.py (its cases say how to
fill each route and who may use it): each is asked for as its insider and as anonymous.
The admin's main pages are asked for as a superuser.
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from . import test_url_guards as guards

pytestmark = pytest.mark.django_db

world = guards.world  # the URL guards' world, reused as it is

ROUTES = guards.NAMES
# The admin pages checked (the admin's own inline markup: README, "Security headers").
ADMIN_PAGES = [
    "admin:index",
    "admin:peps_child_changelist",
    "admin:peps_child_add",
    "admin:peps_pep_changelist",
    "admin:reviews_qareview_changelist",
    "admin:accounts_user_changelist",
    "admin:accounts_user_add",
]

NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=_-]+)'")


def _response(client, world, name):
    """The insider's answer: a GET, or for a POST-only route the case's POST."""
    case = guards.CASES[name]
    client.force_login(world[case.insider])
    url = guards._url(name, world)
    if case.post_only:
        return client.post(url, case.data)
    return client.get(url)


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class InlineMarkup(HTMLParser):
    """Every inline script (with its nonce), <style> element, style="" attribute, on*
    handler and javascript: address in a page."""

    def __init__(self):
        super().__init__()
        self.inline_scripts: list[str | None] = []
        self.scripts_with_src = 0
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if attributes.get("src"):
                self.scripts_with_src += 1
            else:
                self.inline_scripts.append(attributes.get("nonce"))
        if tag == "style":
            self.problems.append("a <style> element")
        for key, value in attrs:
            if key == "style":
                self.problems.append(f'<{tag} style="{value}">')
            if key.startswith("on"):
                self.problems.append(f"<{tag} {key}=...>")
            if key in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {key}={value}>")


def _check_html(response, where: str) -> int:
    """The page's CSP carries a nonce, every inline script carries it, and there is no
    inline style or handler. The number of inline scripts."""
    header = response["Content-Security-Policy"]
    nonces = NONCE.findall(header)
    assert len(nonces) == 1, f"{where}: no nonce in {header}"
    parser = InlineMarkup()
    parser.feed(response.content.decode())
    assert parser.inline_scripts, f"{where}: base.html's script is missing"
    assert all(nonce == nonces[0] for nonce in parser.inline_scripts), f"{where}: an inline script without the nonce"
    assert not parser.problems, f"{where}: {parser.problems}"
    return len(parser.inline_scripts)


def test_the_policy_is_strict(client):
    response = client.get(reverse("login"))
    directives = _directives(response["Content-Security-Policy"])
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'" and NONCE.match(directives["script-src"][1])
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["style-src"] == ["'self'"]  # no 'unsafe-inline'
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert "'unsafe-eval'" not in str(directives) and "'unsafe-inline'" not in str(directives)
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.mark.parametrize("name", ROUTES)
def test_every_route_has_the_csp_and_permissions_policy(client, world, name):
    response = _response(client, world, name)
    assert response.status_code < 500, f"{name}: {response.status_code}"
    header = response.get("Content-Security-Policy")
    assert header, f"{name}: no Content-Security-Policy"
    directives = _directives(header)
    assert directives["default-src"] == ["'self'"] and directives["style-src"] == ["'self'"], name
    assert "camera=()" in response.get("Permissions-Policy", ""), f"{name}: no Permissions-Policy"
    if response.get("Content-Type", "").startswith("text/html") and response.status_code == 200:
        # A full page (not an htmx fragment): its nonce is in the header and on its scripts.
        if "<html" in response.content.decode():
            _check_html(response, name)


@pytest.mark.parametrize("name", ROUTES)
def test_anonymous_gets_the_headers_too(client, world, name):
    response = client.get(guards._url(name, world), follow=True)
    assert response.status_code == 200
    if "<html" in response.content.decode():  # not the health check's JSON
        _check_html(response, f"{name} (anonymous, at {response.request['PATH_INFO']})")
    else:
        assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_figures(client, world, capsys):
    """How many routes answer with the CSP, and how many pages carry its nonce."""
    with_csp = with_nonce = 0
    for name in ROUTES:
        response = _response(client, world, name)
        if response.get("Content-Security-Policy"):
            with_csp += 1
        if NONCE.search(response.get("Content-Security-Policy", "")):
            with_nonce += 1
    with capsys.disabled():
        print(f"\nCSP: {with_csp} of {len(ROUTES)} routes; a nonce on {with_nonce} (the HTML pages)")
    assert with_csp == len(ROUTES)
    assert len(ROUTES) == len(guards.CASES) >= 44  # every route of the URL guards: a new one shows up here too
    assert with_nonce >= 20  # 23 when written: the full HTML pages (not downloads, redirects, fragments)


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_the_admin_works_under_the_csp(client, world, administrator, name):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    response = client.get(reverse(name))
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert _directives(header)["style-src"] == ["'self'"]
    parser = InlineMarkup()
    parser.feed(response.content.decode())
    assert not parser.inline_scripts, f"{name}: an inline script"
    assert not parser.problems, f"{name}: {parser.problems}"


def test_report_only_mode(client, world, settings):
    """CSP_REPORT_ONLY: the same policy, as Content-Security-Policy-Report-Only."""
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    del settings.CONTENT_SECURITY_POLICY
    response = client.get(reverse("login"))
    assert "Content-Security-Policy" not in response
    assert NONCE.search(response["Content-Security-Policy-Report-Only"])
