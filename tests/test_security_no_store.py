"""``Cache-Control: no-store`` on every page and download that shows a child (issue 10,
hardening): in fact on every response that is not a static file (hvs_qa.middleware.
NoStoreMiddleware), so the rule cannot miss a page. Every route of tests/test_url_guards.py
as its insider and as anonymous, the downloads by name, and the admin."""

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import reverse
from django.utils.cache import patch_cache_control

from hvs_qa.middleware import NoStoreMiddleware

from . import test_url_guards as guards

pytestmark = pytest.mark.django_db

world = guards.world

# The pages and downloads that show a child, or a child's data.
CHILD_ROUTES = sorted(guards.SHOWS_CHILD)
DOWNLOADS = [
    "reports:download",  # the report PDFs (the social care one names children by LA reference)
    "reporting:figures_csv",
    "reporting:figures_xlsx",
    "reporting:ratings_csv",
    "reporting:ratings_xlsx",
    "imports:template",
    "imports:errors_csv",
]


def _no_store(response) -> bool:
    directives = {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",")}
    return "no-store" in directives and "public" not in directives


def _insider(client, world, name):
    case = guards.CASES[name]
    client.force_login(world[case.insider])
    url = guards._url(name, world)
    return client.post(url, case.data) if case.post_only else client.get(url)


@pytest.mark.parametrize("name", CHILD_ROUTES + DOWNLOADS)
def test_child_pages_and_downloads_are_not_stored(client, world, name):
    response = _insider(client, world, name)
    assert response.status_code == 200, f"{name}: {response.status_code}"
    assert _no_store(response), f"{name}: Cache-Control {response.get('Cache-Control')!r}"
    if name in DOWNLOADS:
        assert not response.get("Content-Type", "").startswith("text/html"), f"{name} is not a download"


@pytest.mark.parametrize("name", guards.NAMES)
def test_every_route_is_not_stored(client, world, name):
    """As its insider (GET, or the POST of a POST-only route) and as anonymous (the
    redirect to sign in, or the public page). 44 routes when written."""
    insider = _insider(client, world, name)
    assert _no_store(insider), f"{name} ({insider.status_code}): {insider.get('Cache-Control')!r}"
    client.logout()
    anonymous = client.get(guards._url(name, world))
    assert _no_store(anonymous), f"{name} anonymous ({anonymous.status_code}): {anonymous.get('Cache-Control')!r}"


def test_the_child_pages_and_downloads_are_routes():
    assert set(CHILD_ROUTES + DOWNLOADS) <= set(guards.NAMES)


def test_refusals_and_the_admin_are_not_stored(client, world, administrator):
    client.force_login(world["outsider"])
    assert _no_store(client.get(guards._url("peps:detail", world)))  # 404
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    for name in ("admin:peps_child_changelist", "admin:peps_pep_changelist"):
        assert _no_store(client.get(reverse(name)))
    pep = world["pep"]
    assert _no_store(client.get(reverse("admin:peps_child_change", args=[pep.child_id])))


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_their_own_caching(client):
    """Static files show no child: WhiteNoise answers them before the middleware."""
    response = client.get("/static/dist/app.css")
    if response.status_code == 404:
        pytest.skip("static/dist not built")
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_middleware_overrides_a_public_cache(rf):
    def view(request):
        response = HttpResponse("x")
        patch_cache_control(response, public=True, max_age=3600)
        return response

    response = NoStoreMiddleware(view)(rf.get("/"))
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "no-store" in directives and "public" not in directives and "private" in directives
