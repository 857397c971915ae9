"""THE access matrix of the pages: who gets what from each URL.

One row per URL, one column per role. Each row has a setup that brings the data to the
state the URL needs (a draft review of ``pep`` by ``manager``, a returned PEP...). A
cell is the status code expected, or where the response redirects to:

- ``LOGIN``: to /login/?next=<the URL> (anonymous users, everywhere),
- ``RATE``: to the rate page of a review (a review was started or resumed),
- ``DETAIL``: to the review's detail page,
- ``PEP``: to the PEP's detail page.

A 403 or 404 never shows the child's name or LA reference.
"""

import re
from urllib.parse import quote

import pytest
from django.urls import reverse

from peps.models import Pep, PepStatus
from reviews.models import QaReview, ReviewStatus
from reviews.services import save_review, start_review

from .factories import ChildFactory, PepFactory, UserFactory, rate_all

pytestmark = pytest.mark.django_db

LOGIN, RATE, DETAIL, PEP = "login", "rate", "detail", "pep"
ROLES = ["anonymous", "officer", "manager", "other_manager", "lead", "vsh", "administrator"]


# Setups: each gets the fixtures and returns (method, url).


def _home(f):
    return "get", reverse("home")


def _pep_list(f):
    return "get", reverse("peps:list")


def _pep_detail(f):
    return "get", reverse("peps:detail", args=[f["pep"].pk])


def _worklist(f):
    return "get", reverse("reviews:worklist")


def _start(f):
    return "post", reverse("reviews:start", args=[f["pep"].pk])


def _manager_draft(f) -> QaReview:
    return start_review(f["pep"], f["manager"])


def _manager_submitted(f, ratings=("gold",) * 8) -> QaReview:
    review = start_review(f["pep"], f["manager"])
    return save_review(review, rate_all(review, list(ratings)), strengths="", development_points="", submit=True)


def _rate_draft(f):
    return "get", reverse("reviews:rate", args=[_manager_draft(f).pk])


def _judgement_draft(f):
    return "post", reverse("reviews:judgement", args=[_manager_draft(f).pk])


def _detail_draft(f):
    return "get", reverse("reviews:detail", args=[_manager_draft(f).pk])


def _rate_submitted(f):
    return "get", reverse("reviews:rate", args=[_manager_submitted(f).pk])


def _detail_submitted(f):
    return "get", reverse("reviews:detail", args=[_manager_submitted(f).pk])


def _confirm_draft(f):
    """The confirmation page of the manager's draft, every area rated and commented on."""
    review = _manager_draft(f)
    save_review(review, rate_all(review, ["green"] * 8), strengths="", development_points="", submit=False)
    return "get", reverse("reviews:confirm", args=[review.pk])


def _correct_submitted(f):
    return "get", reverse("reviews:correct", args=[_manager_submitted(f).pk])


def _correct_draft(f):
    return "get", reverse("reviews:correct", args=[_manager_draft(f).pk])


def _mark_amended(f):
    _manager_submitted(f, ["red"] * 8)
    f["pep"].refresh_from_db()
    assert f["pep"].status == PepStatus.RETURNED
    return "post", reverse("peps:mark_amended", args=[f["pep"].pk])


def _as_draft(f):
    """``pep`` back to a draft (its meeting held, as the factory has it)."""
    Pep.objects.filter(pk=f["pep"].pk).update(status=PepStatus.DRAFT)
    f["pep"].refresh_from_db()
    return f["pep"]


def _record(f):
    return "get", reverse("peps:record", args=[_as_draft(f).pk])


def _record_new(f):
    return "get", reverse("peps:record_new", args=[ChildFactory(allocated_officer=f["officer"]).pk])


def _check_answers(f):
    return "get", reverse("peps:submit", args=[_as_draft(f).pk])


def _submit(f):
    return "post", reverse("peps:submit", args=[_as_draft(f).pk])


#                       anonymous officer manager other_manager lead  vsh  administrator
MATRIX = {
    "home":             (_home, (LOGIN, 200, 200, 200, 200, 200, 200)),
    "pep_list":         (_pep_list, (LOGIN, 200, 200, 200, 200, 200, 200)),
    "pep_detail":       (_pep_detail, (LOGIN, 200, 200, 404, 200, 200, 200)),
    # A QA worklist for those who QA (or whom a sample assigns a PEP): not officers or
    # administrators, for whom it would always be empty.
    "worklist":         (_worklist, (LOGIN, 403, 200, 200, 200, 200, 403)),
    # Nobody QAs their own PEP; an administrator sees everything but QAs nothing.
    "start":            (_start, (LOGIN, 403, RATE, 404, RATE, RATE, 403)),
    # A draft belongs to its reviewer: nobody else, whatever their role, opens it.
    "rate_draft":       (_rate_draft, (LOGIN, 404, 200, 404, 404, 404, 404)),
    "judgement_draft":  (_judgement_draft, (LOGIN, 404, 200, 404, 404, 404, 404)),
    "detail_draft":     (_detail_draft, (LOGIN, 404, RATE, 404, 404, 404, 404)),
    "rate_submitted":   (_rate_submitted, (LOGIN, 404, DETAIL, 404, 404, 404, 404)),
    "detail_submitted": (_detail_submitted, (LOGIN, 200, 200, 404, 200, 200, 200)),
    "confirm_draft":    (_confirm_draft, (LOGIN, 404, 200, 404, 404, 404, 404)),
    # A submitted review is corrected by its reviewer, their line manager or the VSH; a
    # lead practitioner, an officer or an administrator sees it but may not correct it.
    "correct_submitted": (_correct_submitted, (LOGIN, 403, 200, 404, 403, 200, 403)),
    "correct_draft":    (_correct_draft, (LOGIN, 404, DETAIL, 404, 404, 404, 404)),
    "mark_amended":     (_mark_amended, (LOGIN, PEP, PEP, 404, PEP, PEP, 403)),
    # The PEP meeting: the child's officer, their line manager and the VSH record it and
    # submit the PEP; a lead practitioner and an administrator see the PEP but do not.
    "record":           (_record, (LOGIN, 200, 200, 404, 403, 200, 403)),
    "record_new":       (_record_new, (LOGIN, 200, 200, 404, 403, 200, 403)),
    "check_answers":    (_check_answers, (LOGIN, 200, 200, 404, 403, 200, 403)),
    "submit":           (_submit, (LOGIN, PEP, PEP, 404, 403, PEP, 403)),
}  # fmt: skip

CASES = [
    pytest.param(url_key, role, expected, id=f"{url_key}-{role}")
    for url_key, (_, row) in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.fixture
def people(officer, manager, other_manager, other_officer, lead, vsh, administrator, pep, other_pep):
    return {
        "officer": officer,
        "manager": manager,
        "other_manager": other_manager,
        "other_officer": other_officer,
        "lead": lead,
        "vsh": vsh,
        "administrator": administrator,
        "pep": pep,
        "other_pep": other_pep,
    }


@pytest.mark.parametrize(("url_key", "role", "expected"), CASES)
def test_access_matrix(client, people, url_key, role, expected):
    setup, _ = MATRIX[url_key]
    method, url = setup(people)
    pep = people["pep"]
    status_before = Pep.objects.get(pk=pep.pk).status
    reviews_before = set(QaReview.objects.values_list("pk", "status"))
    if role != "anonymous":
        client.force_login(people[role])

    response = getattr(client, method)(url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={quote(url)}"
    elif expected == RATE:
        assert response.status_code == 302
        match = re.fullmatch(r"/reviews/(\d+)/rate/", response["Location"])
        assert match, response["Location"]
        review = QaReview.objects.get(pk=match[1])
        assert (review.pep_id, review.reviewer_id, review.status) == (pep.pk, people[role].pk, ReviewStatus.DRAFT)
    elif expected == DETAIL:
        assert response.status_code == 302
        assert re.fullmatch(r"/reviews/\d+/", response["Location"]), response["Location"]
    elif expected == PEP:
        assert response.status_code == 302
        assert response["Location"] == reverse("peps:detail", args=[pep.pk])
    else:
        assert response.status_code == expected

    child = pep.child
    body = response.content.decode()
    if response.status_code in (403, 404) or expected == LOGIN:
        # Never the data: no name, no reference, on a refusal.
        assert child.first_name not in body
        assert child.last_name not in body
        assert child.la_reference not in body
    if expected in (403, 404, LOGIN):
        # A refused request changes nothing.
        assert Pep.objects.get(pk=pep.pk).status == status_before
        assert set(QaReview.objects.values_list("pk", "status")) == reviews_before
    if url_key in ("pep_detail", "detail_submitted") and expected == 200:
        assert child.full_name in body
        assert child.la_reference in body


def test_marking_amended_resubmits_the_pep(client, people):
    method, url = _mark_amended(people)
    client.force_login(people["officer"])
    client.post(url)
    assert Pep.objects.get(pk=people["pep"].pk).status == PepStatus.SUBMITTED


def test_starting_twice_resumes_the_same_draft(client, people):
    client.force_login(people["manager"])
    first = client.post(reverse("reviews:start", args=[people["pep"].pk]))
    second = client.post(reverse("reviews:start", args=[people["pep"].pk]))
    assert first["Location"] == second["Location"]
    assert QaReview.objects.filter(pep=people["pep"]).count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", ["/", "/peps/", "/reviews/", "/peps/1/", "/reviews/1/rate/"])
def test_anonymous_is_sent_to_login_with_next(client, db, url, method):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={quote(url)}"


# The PEP list shows only the PEPs a user may see.


@pytest.fixture
def named_peps(pep, other_pep, manager):
    """Three PEPs with distinct names: ``pep`` (officer), a teammate's, ``other_pep``."""
    teammate = UserFactory(username="teammate", line_manager=manager)
    team_pep = PepFactory(
        child=ChildFactory(allocated_officer=teammate, first_name="Teamkid", last_name="Sameteam"), term=pep.term
    )
    names = {}
    for key, each, first, last in [
        ("own", pep, "Ownkid", "Officerscase"),
        ("other", other_pep, "Otherkid", "Otherteam"),
    ]:
        each.child.first_name, each.child.last_name = first, last
        each.child.save()
        names[key] = f"{first} {last}"
    names["team"] = "Teamkid Sameteam"
    return names, team_pep


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("officer", {"own"}),
        ("manager", {"own", "team"}),
        ("other_manager", {"other"}),
        ("lead", {"own", "team", "other"}),
        ("vsh", {"own", "team", "other"}),
        ("administrator", {"own", "team", "other"}),
    ],
)
def test_pep_list_shows_only_permitted_peps(client, request, named_peps, role, visible):
    names, _ = named_peps
    client.force_login(request.getfixturevalue(role))
    body = client.get(reverse("peps:list")).content.decode()
    shown = {key for key, name in names.items() if name in body}
    assert shown == visible
    assert f"<strong>{len(visible)}</strong> PEP" in body
