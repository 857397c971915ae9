"""Signing in and out, and each role's start page."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape

from core.vocabulary import Role, Season

from .factories import (
    PASSWORD,
    CapabilityConcernFactory,
    ChildFactory,
    PepFactory,
    PracticeActionFactory,
    QaReviewFactory,
    SupervisionFactory,
    TermFactory,
    UserFactory,
)
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


# --- who needs supervision, on the manager's start page (practice/needs.py) -------------


def _needing(manager, term, first_name="Needy"):
    """An officer of ``manager``'s team with a Red PEP this term (reviewed by the manager),
    and an overdue action from an earlier supervision."""
    officer = UserFactory(role=Role.OFFICER, line_manager=manager, first_name=first_name)
    pep = PepFactory(child=ChildFactory(allocated_officer=officer), term=term, judgement="red")
    review = QaReviewFactory(pep=pep, reviewer=manager, submitted=True, overall_judgement="red")
    today = timezone.localdate()
    supervision = SupervisionFactory(officer=officer, manager=manager, date=today - timedelta(days=50))
    PracticeActionFactory(supervision=supervision, due=today - timedelta(days=3))
    return officer, review, supervision


@pytest.fixture
def current_term():
    # Far in the past, the only term: the current one (see tests/test_pep_list.py).
    return TermFactory(academic_year=2001, season=Season.AUTUMN)


def test_manager_sees_who_needs_supervision_and_why(client, manager, current_term):
    officer, review, supervision = _needing(manager, current_term)
    client.force_login(manager)
    body = client.get(reverse("home")).content.decode()
    assert "Who needs supervision" in body
    section = body.split('id="needs-supervision"', 1)[1].split("Reviews to do", 1)[0]
    assert escape(str(officer)) in section
    assert "1 of 1 PEP Amber or Red this term (100%, above 33%)" in section
    assert "1 PEP rated Red" in section and "1 action overdue" in section
    assert f"Last supervision: {supervision.date.day} {supervision.date:%B %Y}" in section
    assert f'href="{reverse("reviews:detail", args=[review.pk])}"' in section
    assert review.pep.child.la_reference in section
    assert review.pep.child.full_name not in section  # the LA reference, not the name
    assert f'href="{reverse("practice:capability", kwargs={"officer_pk": officer.pk})}"' in section
    assert "Capability process open" not in section
    # The link to record a supervision, once the supervision pages exist.
    try:
        new = reverse("practice:supervision_new")
    except NoReverseMatch:
        assert "Record a supervision" not in section
    else:
        assert f'href="{new}?officer={officer.pk}&amp;review={review.pk}"' in section


def test_an_open_capability_process_is_tagged(client, manager, current_term):
    officer, _review, _supervision = _needing(manager, current_term)
    CapabilityConcernFactory(officer=officer, opened_by=manager)
    client.force_login(manager)
    assert "Capability process open" in client.get(reverse("home")).content.decode()


def test_no_one_needs_supervision(client, manager, officer, current_term):
    PepFactory(child=ChildFactory(allocated_officer=officer), term=current_term, judgement="green")
    client.force_login(manager)
    body = client.get(reverse("home")).content.decode()
    assert "No one in your team needs supervision for their PEPs' quality this term" in body


def test_another_teams_officer_is_not_listed(client, manager, other_manager, current_term):
    theirs, _review, _supervision = _needing(other_manager, current_term, first_name="Theirs")
    client.force_login(manager)
    assert escape(str(theirs)) not in client.get(reverse("home")).content.decode()


# 17 with no one to supervise (tests/test_pep_list.py), and when someone needs it: their
# last supervisions, the reviews to discuss, the open capability processes.
MANAGER_HOME_WITH_NEEDS_QUERIES = 17 + 3


def test_manager_home_queries_stay_constant_with_officers_to_supervise(client, manager, current_term):
    def count():
        client.get(reverse("home"))
        with CaptureQueriesContext(connection) as queries:
            body = client.get(reverse("home")).content.decode()
        return len(queries.captured_queries), body

    client.force_login(manager)
    for n in range(2):
        _needing(manager, current_term, first_name=f"Needy{n}")
    with_2, _ = count()
    for n in range(2, 6):
        _needing(manager, current_term, first_name=f"Needy{n}")
    with_6, body = count()
    assert body.count("1 PEP rated Red") == 6
    assert with_2 == with_6 == MANAGER_HOME_WITH_NEEDS_QUERIES


def test_the_vsh_sees_their_own_line_reports_who_need_supervision(client, vsh, manager, current_term):
    """The VSH's line reports are the managers (who may hold a caseload too)."""
    manager.line_manager = vsh
    manager.save()
    officer, _review, _supervision = _needing(manager, current_term)  # the manager's report, not the VSH's
    PepFactory(child=ChildFactory(allocated_officer=manager), term=current_term, judgement="red")
    CapabilityConcernFactory(officer=manager, opened_by=vsh)
    client.force_login(vsh)
    body = client.get(reverse("home")).content.decode()
    section = body.split('id="needs-supervision"', 1)[1]
    assert escape(str(manager)) in section and "1 PEP rated Red" in section
    assert "Capability process open" in section
    assert escape(str(officer)) not in section


@pytest.mark.parametrize("role", ["lead", "administrator"])
def test_other_whole_school_roles_see_no_one_to_supervise(client, request, role, manager, current_term):
    _needing(manager, current_term)
    client.force_login(request.getfixturevalue(role))
    body = client.get(reverse("home")).content.decode()
    assert "Who needs supervision" not in body and "apability" not in body


def test_the_start_page_says_which_peps_it_leaves_out_so_it_adds_up_to_the_term_in_figures(client, vsh, current_term):
    """The VSH's start page hides the outcome of the PEPs they re-rate blind for
    moderation; the term in figures counts every PEP. The start page says so, with the
    number, so the two agree: what it shows plus what it leaves out is the term."""
    from reporting.figures import term_figures
    from sampling.models import SampleKind

    from .factories import SampleEntryFactory, SampleFactory

    gold = [PepFactory(term=current_term, status="finalised", judgement="gold") for _ in range(3)]
    PepFactory(term=current_term, status="returned", judgement="amber")
    sample = SampleFactory(term=current_term, kind=SampleKind.CROSS_MODERATION, reviewer=vsh)
    for pep in gold[:2]:
        SampleEntryFactory(sample=sample, pep=pep, assigned_to=vsh)
    client.force_login(vsh)

    body = client.get(reverse("home")).content.decode()

    counts = body.split('id="term-counts"')[1]
    assert '<span class="app-stat__number">2</span>PEPs this term' in counts
    assert '<span class="app-stat__number">1</span>waiting for amendment' in counts
    assert "the 2 PEPs you are re-rating for moderation" in body
    figures = term_figures(current_term)
    assert figures.completion.due == 2 + 2 and figures.gold == 1 + 2
