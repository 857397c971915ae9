"""The Django admin, as an administrator with staff and superuser rights."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from core.vocabulary import Phase
from peps.models import Pep, PepStatus, PepStatusChange
from practice.models import CapabilityConcern
from reviews.models import AreaRating, ProForma, ProFormaArea, QaReview, ReviewStatus
from reviews.services import correct_review, save_review, start_review

from .factories import PracticeActionFactory, ProFormaFactory, SupervisionFactory, rate_all

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


REGISTERED = sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


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
    assert list(ProForma.objects.filter(phase=Phase.EYFS).order_by("version").values_list("version", "is_active")) == [
        (1, True),
        (2, True),
        (3, False),
    ]


# The frozen record: a submitted review, its area ratings, the PEP's status history and
# the pro-forma version it was made on are shown, never changed, in the admin.


class ChangeForm(HTMLParser):
    """What a browser would post from an admin change form: its inputs, selects and textareas."""

    def __init__(self, html: str):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data[self._textarea][0] = self.data[self._textarea][0].strip("\n")
            self._textarea = None


def change_form(client, url) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    return ChangeForm(response.content.decode()).data


def admin_url(obj, view="change") -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def bulk_delete(client, model, objs):
    """The changelist's "Delete selected" action, confirmed."""
    return client.post(
        changelist(model),
        {
            "action": "delete_selected",
            "_selected_action": [obj.pk for obj in objs],
            "post": "yes",
        },
    )


def assert_no_delete_action(client, model, objs):
    """The changelist offers no "Delete selected", and posting it anyway deletes nothing."""
    assert 'value="delete_selected"' not in client.get(changelist(model)).content.decode()
    response = bulk_delete(client, model, objs)
    assert response.status_code in (200, 302, 403)
    assert model.objects.filter(pk__in=[obj.pk for obj in objs]).count() == len(objs)


def input_names(body: str) -> set[str]:
    return set(re.findall(r'<(?:input|textarea|select)[^>]*name="([^"]+)"', body))


@pytest.fixture
def submitted(pep, manager) -> QaReview:
    """A submitted all-Gold review: the PEP is finalised and its status history has a row."""
    review = start_review(pep, manager)
    return save_review(
        review, rate_all(review, ["gold"] * 8), strengths="Strong voice", development_points="", submit=True
    )


@pytest.fixture
def draft(other_pep, other_manager) -> QaReview:
    return start_review(other_pep, other_manager)


@pytest.fixture
def frozen_area(submitted) -> ProFormaArea:
    return submitted.pro_forma.areas.get(position=1)


def test_an_area_of_a_version_in_use_is_shown_read_only(admin_client, frozen_area):
    response = admin_client.get(admin_url(frozen_area))
    assert response.status_code == 200
    body = response.content.decode()
    assert input_names(body) & {"title", "description", *AREA_FIELDS, "position", "pro_forma"} == set()
    assert frozen_area.title in body


def test_an_area_of_a_version_in_use_cannot_be_changed(admin_client, frozen_area):
    title = frozen_area.title
    response = admin_client.post(
        admin_url(frozen_area),
        {
            "pro_forma": frozen_area.pro_forma_id,
            "position": 1,
            "title": "Changed",
            "description": "",
            **{f"{r}_criteria": "Changed" for r in ("gold", "green", "amber", "red")},
        },
    )
    assert response.status_code == 403
    frozen_area.refresh_from_db()
    assert frozen_area.title == title


def test_an_area_of_a_version_in_use_cannot_be_deleted(admin_client, submitted):
    # Position 8 is rated, so protected anyway; a lead's review rates only some areas, and
    # the ones left unrated are frozen too.
    area = submitted.pro_forma.areas.get(position=8)
    AreaRating.objects.filter(area=area).delete()
    assert admin_client.get(admin_url(area, "delete")).status_code == 403
    assert admin_client.post(admin_url(area, "delete"), {"post": "yes"}).status_code == 403
    assert ProFormaArea.objects.filter(pk=area.pk).exists()


def test_the_bulk_delete_action_refuses_frozen_areas(admin_client, submitted):
    area = submitted.pro_forma.areas.get(position=8)
    AreaRating.objects.filter(area=area).delete()
    unused = ProFormaFactory(phase=Phase.SSA).areas.get(position=1)
    response = bulk_delete(admin_client, ProFormaArea, [area, unused])
    assert response.status_code == 403
    assert ProFormaArea.objects.filter(pk__in=[area.pk, unused.pk]).count() == 2


def test_an_area_of_a_version_not_in_use_can_still_be_changed(admin_client):
    area = ProFormaFactory(phase=Phase.SSA).areas.get(position=1)
    url = admin_url(area)
    data = change_form(admin_client, url)
    assert {"title", *AREA_FIELDS} <= set(data)
    data["title"] = ["Renamed"]
    response = admin_client.post(url, data)
    assert response.status_code == 302
    area.refresh_from_db()
    assert area.title == "Renamed"


def test_no_area_can_be_added_to_a_version_in_use(admin_client, submitted):
    in_use = submitted.pro_forma
    response = admin_client.post(
        reverse("admin:reviews_proformaarea_add"),
        {
            "pro_forma": in_use.pk,
            "position": 9,
            "title": "Ninth",
            "description": "",
            **{f"{r}_criteria": "x" for r in ("gold", "green", "amber", "red")},
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert "Select a valid choice" in response.content.decode()
    assert in_use.areas.count() == 8


def test_a_submitted_review_is_shown_read_only(admin_client, submitted):
    response = admin_client.get(admin_url(submitted))
    assert response.status_code == 200
    body = response.content.decode()
    assert input_names(body) & {"status", "strengths", "pep", "reviewer", "kind"} == set()
    assert not re.search(r'name="area_ratings-\d+-(rating|comment|DELETE)"', body)
    assert "Strong voice" in body


def test_a_submitted_review_cannot_be_put_back_to_draft(admin_client, submitted):
    response = admin_client.post(
        admin_url(submitted),
        {
            "status": ReviewStatus.DRAFT,
            "strengths": "Changed",
            "development_points": "",
            "area_ratings-TOTAL_FORMS": "0",
            "area_ratings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert (submitted.status, submitted.strengths) == (ReviewStatus.SUBMITTED, "Strong voice")


def test_a_submitted_review_cannot_be_deleted(admin_client, submitted):
    assert admin_client.post(admin_url(submitted, "delete"), {"post": "yes"}).status_code == 403
    assert bulk_delete(admin_client, QaReview, [submitted]).status_code == 403
    assert QaReview.objects.filter(pk=submitted.pk).exists()
    assert submitted.area_ratings.count() == 8


def test_reviews_are_not_added_in_the_admin(admin_client, pep, manager):
    assert admin_client.get(reverse("admin:reviews_qareview_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:reviews_qareview_add"),
        {
            "pep": pep.pk,
            "reviewer": manager.pk,
            "kind": "line_management",
            "pro_forma": ProForma.objects.current_for(pep.phase).pk,
            "status": ReviewStatus.SUBMITTED,
            "overall_judgement": "gold",
            "area_ratings-TOTAL_FORMS": "0",
            "area_ratings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 403
    assert not QaReview.objects.exists()


def test_a_draft_s_feedback_can_be_corrected_but_not_its_status(admin_client, draft):
    url = admin_url(draft)
    data = change_form(admin_client, url)
    assert "status" not in data
    data.update(strengths=["Corrected"], status=[ReviewStatus.SUBMITTED])
    assert admin_client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert (draft.strengths, draft.status) == ("Corrected", ReviewStatus.DRAFT)


def test_a_draft_can_be_deleted_with_its_area_ratings(admin_client, draft):
    assert admin_client.post(admin_url(draft, "delete"), {"post": "yes"}).status_code == 302
    assert not QaReview.objects.filter(pk=draft.pk).exists()
    assert not AreaRating.objects.filter(review_id=draft.pk).exists()


def test_area_ratings_are_read_only(admin_client, submitted, draft):
    rating = submitted.area_ratings.first()
    draft_rating = draft.area_ratings.first()
    assert admin_client.get(admin_url(rating)).status_code == 200
    assert admin_client.get(reverse("admin:reviews_arearating_add")).status_code == 403
    response = admin_client.post(
        admin_url(rating), {"review": submitted.pk, "area": rating.area_id, "rating": "red", "comment": "Changed"}
    )
    assert response.status_code == 403
    for one in (rating, draft_rating):
        assert admin_client.post(admin_url(one, "delete"), {"post": "yes"}).status_code == 403
    assert_no_delete_action(admin_client, AreaRating, [rating, draft_rating])
    rating.refresh_from_db()
    assert (rating.rating, rating.comment) == ("gold", "ok")
    assert AreaRating.objects.filter(pk__in=[rating.pk, draft_rating.pk]).count() == 2


def test_the_status_history_is_read_only(admin_client, submitted):
    change = PepStatusChange.objects.get(pep=submitted.pep)
    assert admin_client.get(admin_url(change)).status_code == 200
    response = admin_client.post(admin_url(change), {"note": "Changed", "to_status": PepStatus.DRAFT})
    assert response.status_code == 403
    assert admin_client.post(admin_url(change, "delete"), {"post": "yes"}).status_code == 403
    assert_no_delete_action(admin_client, PepStatusChange, [change])
    change.refresh_from_db()
    assert (change.to_status, change.note) == (PepStatus.FINALISED, PepStatusChange.objects.get().note)
    assert PepStatusChange.objects.filter(pk=change.pk).exists()


def test_no_status_change_can_be_added_in_the_admin(admin_client, pep):
    url = reverse("admin:peps_pepstatuschange_add")
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {}).status_code == 403  # was a 500: the empty form saved no PEP
    assert not PepStatusChange.objects.exists()


def test_a_pep_s_status_cannot_be_set_in_the_admin(admin_client, submitted):
    pep = Pep.objects.get(pk=submitted.pep_id)
    assert (pep.status, pep.judgement) == (PepStatus.FINALISED, "gold")
    url = admin_url(pep)
    data = change_form(admin_client, url)
    assert "status" not in data and "judgement" not in data
    data.update(status=[PepStatus.DRAFT], judgement=["red"], targets=["Revised targets"])
    assert admin_client.post(url, data).status_code == 302
    pep = Pep.objects.get(pk=pep.pk)
    assert (pep.status, pep.judgement, pep.targets) == (PepStatus.FINALISED, "gold", "Revised targets")
    assert PepStatusChange.objects.filter(pep=pep).count() == 1


def test_the_pep_page_shows_its_status_history_read_only(admin_client, submitted):
    body = admin_client.get(admin_url(submitted.pep)).content.decode()
    assert 'name="status_changes-TOTAL_FORMS" value="1"' in body
    assert not re.search(r'name="status_changes-\d+-(?!id|pep)[a-z_]+"', body)


@pytest.mark.parametrize(
    "address",
    [
        "/admin/peps/pep/?q=%00",
        "/admin/peps/pep/?status__exact=%00",
        "/admin/peps/child/?q=a%00b",
        "/admin/autocomplete/?term=%00&app_label=peps&model_name=designatedteacher&field_name=school",
        "/admin/autocomplete/?term=a&app_label=peps&model_name=child%00&field_name=school",
    ],
)
def test_a_nul_in_an_admin_filter_or_search_is_a_bad_request(admin_client, address):
    # A 500 on PostgreSQL before hvs_qa.middleware (SQLite takes the NUL).
    assert admin_client.get(address).status_code == 400


def test_the_change_pages_touched_still_open(admin_client, submitted, draft, frozen_area):
    objs = [
        submitted,
        draft,
        submitted.pep,
        frozen_area,
        submitted.pro_forma,
        submitted.area_ratings.first(),
        PepStatusChange.objects.first(),
    ]
    for obj in objs:
        assert admin_client.get(admin_url(obj)).status_code == 200, obj


def test_a_pep_with_a_qa_record_cannot_be_deleted_in_the_admin(admin_client, submitted):
    # Deleting the PEP would take its submitted review and status history with it.
    pep = submitted.pep
    response = admin_client.get(admin_url(pep, "delete"))
    assert response.status_code == 200
    assert "permission to delete the following types of objects" in response.content.decode()
    assert admin_client.post(admin_url(pep, "delete"), {"post": "yes"}).status_code == 403
    assert Pep.objects.filter(pk=pep.pk).exists()


def test_a_corrected_reviews_corrections_are_shown_read_only(admin_client, submitted, vsh):
    correction = correct_review(
        submitted,
        rate_all(submitted, ["red"] * 8),
        strengths="",
        development_points="",
        reason="Wrong PEP",
        by=vsh,
        version=None,
    )

    body = admin_client.get(admin_url(submitted)).content.decode()
    assert "Wrong PEP" in body
    assert not re.search(r'name="corrections-\d+-(?!id|review)[a-z_]+"', body)
    assert admin_client.get(admin_url(correction)).status_code == 200
    assert admin_client.post(admin_url(correction), {"reason": "Rewritten"}).status_code == 403
    assert admin_client.post(admin_url(correction, "delete"), {"post": "yes"}).status_code == 403
    correction.refresh_from_db()
    assert correction.reason == "Wrong PEP"


# --- deleting a user: the confidential line-management records stay unnamed -----------


def test_deleting_a_user_does_not_name_their_capability_process_or_supervisions(admin_client, officer, manager):
    CapabilityConcern.objects.create(
        officer=officer, opened_by=manager, opened_on=timezone.localdate(), notes="Confidential"
    )
    PracticeActionFactory(
        supervision=SupervisionFactory(officer=officer, manager=manager), description="Agreed in private"
    )
    for response in (
        admin_client.get(reverse("admin:accounts_user_delete", args=[officer.pk])),
        admin_client.post(
            reverse("admin:accounts_user_changelist"), {"action": "delete_selected", "_selected_action": [officer.pk]}
        ),
    ):
        html = response.content.decode()
        assert response.status_code == 200 and "Cannot delete user" in html
        assert "apability" not in html and "Supervision of" not in html and "Agreed in private" not in html
        assert "Records kept outside the admin" in html
    assert officer.__class__.objects.filter(pk=officer.pk).exists()
