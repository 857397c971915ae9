"""The Django admin, as an administrator with staff and superuser rights."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from core.vocabulary import Phase
from reviews.models import ProForma
from reviews.services import start_review

from .factories import ProFormaFactory

pytestmark = pytest.mark.django_db

AREA_FIELDS = ["title", "description", "gold_criteria", "green_criteria", "amber_criteria", "red_criteria"]


@pytest.fixture
def admin_client(client, administrator):
    administrator.is_staff = administrator.is_superuser = True
    administrator.save()
    client.force_login(administrator)
    return client


def area_inputs(body: str) -> list[str]:
    """The names of the inputs for the wording of pro-forma areas on a change page (not
    the hidden id and pro_forma inputs every inline form has)."""
    names = re.findall(r'<(?:input|textarea)[^>]*name="(areas-\d+-[a-z_]+)"', body)
    return [name for name in names if name.split("-", 2)[2] in AREA_FIELDS]


REGISTERED = sorted(
    (model._meta.app_label, model._meta.model_name) for model in admin.site._registry
)


@pytest.mark.parametrize(("app_label", "model_name"), REGISTERED, ids=[f"{a}.{m}" for a, m in REGISTERED])
def test_every_changelist_opens(admin_client, pep, other_pep, manager, app_label, model_name):
    start_review(pep, manager)  # some reviews and area ratings to list
    response = admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    assert response.status_code == 200


def test_admin_index_lists_the_apps(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()
    for app_label in ("accounts", "peps", "reviews"):
        assert f'href="/admin/{app_label}/"' in body


def test_a_staff_member_without_superuser_cannot_change_pro_formas(client, administrator):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)
    pro_forma = ProForma.objects.current_for(Phase.SSA)
    assert client.get(reverse("admin:reviews_proforma_change", args=[pro_forma.pk])).status_code == 403


def test_non_staff_are_sent_to_the_admin_login(client, vsh):
    client.force_login(vsh)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_pro_forma_change_page_not_in_use_is_editable(admin_client):
    pro_forma = ProForma.objects.current_for(Phase.SSA)
    assert not pro_forma.is_in_use
    response = admin_client.get(reverse("admin:reviews_proforma_change", args=[pro_forma.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    names = area_inputs(body)
    for n in range(8):
        for field in AREA_FIELDS:
            assert f"areas-{n}-{field}" in names
    assert 'name="title"' in body


def test_pro_forma_in_use_shows_its_areas_read_only(admin_client, pep, manager):
    review = start_review(pep, manager)
    pro_forma = review.pro_forma
    assert pro_forma.is_in_use

    response = admin_client.get(reverse("admin:reviews_proforma_change", args=[pro_forma.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert area_inputs(body) == []
    assert not re.search(r'name="areas-\d+-position"', body)
    assert 'name="areas-TOTAL_FORMS" value="8"' in body  # the eight areas are shown
    assert 'name="title"' not in body
    assert 'name="version"' not in body
    assert 'name="phase"' not in body
    # The wording is still shown, just not editable.
    for area in pro_forma.areas.all():
        assert area.gold_criteria.replace("'", "&#x27;") in body
    # Only is_active may change: retiring a version is allowed.
    assert 'name="is_active"' in body


def test_copy_as_new_version(admin_client, pep, manager):
    original = ProForma.objects.current_for(Phase.SSA)
    assert original.version == 1
    start_review(pep, manager)  # in use, so frozen: the reason to copy it

    response = admin_client.post(
        reverse("admin:reviews_proforma_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [original.pk]},
        follow=True,
    )

    assert response.status_code == 200
    copy = ProForma.objects.get(phase=Phase.SSA, version=2)
    assert copy.is_active is False
    assert copy.title == original.title
    assert f"Created {copy}, inactive." in response.content.decode()

    def areas(pro_forma):
        return list(pro_forma.areas.order_by("position").values("position", *AREA_FIELDS))

    assert len(areas(copy)) == 8
    assert areas(copy) == areas(original)
    # The original keeps its areas, and stays the one new reviews use.
    assert original.areas.count() == 8
    assert ProForma.objects.current_for(Phase.SSA) == original
    # The copy is not in use, so it can be edited.
    body = admin_client.get(reverse("admin:reviews_proforma_change", args=[copy.pk])).content.decode()
    assert "areas-0-gold_criteria" in area_inputs(body)


def test_copying_again_takes_the_next_free_version(admin_client):
    original = ProForma.objects.current_for(Phase.EYFS)
    ProFormaFactory(phase=Phase.EYFS)  # version 2 exists already
    admin_client.post(
        reverse("admin:reviews_proforma_changelist"),
        {"action": "copy_as_new_version", "_selected_action": [original.pk]},
    )
    assert list(ProForma.objects.filter(phase=Phase.EYFS).order_by("version")
                .values_list("version", "is_active")) == [(1, True), (2, True), (3, False)]
